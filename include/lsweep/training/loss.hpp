#pragma once
/// \file
/// Losses and accuracy. All losses are means over the samples:
///   binary (scalar output f, labels y = +-1):
///     cross_entropy   mean log(1 + exp(-y f))            (logistic)
///     mse             mean 1/2 (f - y)^2
///     quadratic_hinge mean 1/2 max(0, 1 - y f)^2          (Geiger et al.)
///   classes (outputs f in R^10, labels c):
///     cross_entropy   mean -log softmax(f)_c
///     mse             mean 1/2 ||f - onehot(c)||^2

#include <torch/types.h>

#include "lsweep/config/job_config.hpp"

namespace lsweep::training {

/// `out` is the model output ([n, 1] for binary, [n, C] otherwise).
torch::Tensor compute_loss(config::LossKind kind, const torch::Tensor& out, const torch::Tensor& y, bool binary);

/// The losses of K models at once, each a mean over its own samples: `out`
/// [K, B, outputs], `y` [K, B]; returns [K]. The formulas above, batched (the
/// same values up to the order of rounding).
torch::Tensor compute_pack_losses(config::LossKind kind, const torch::Tensor& out, const torch::Tensor& y, bool binary);

/// Number of correctly classified samples (binary: y f > 0; classes: argmax).
torch::Tensor count_correct(const torch::Tensor& out, const torch::Tensor& y, bool binary);

}  // namespace lsweep::training
