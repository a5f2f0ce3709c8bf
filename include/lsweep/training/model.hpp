#pragma once
/// \file
/// Fully connected ReLU networks.

#include <torch/nn/modules/container/sequential.h>

#include "lsweep/config/job_config.hpp"

namespace lsweep::training {

/// `depth` hidden layers of `width` ReLU units, then a linear layer to `out`.
/// Parameters are drawn from LibTorch's global CPU generator, so seed it first
/// (torch::manual_seed) for reproducible weights. pytorch: LibTorch's default
/// (Kaiming-uniform) init; orthogonal: orthogonal weights (gain 1), zero biases.
torch::nn::Sequential make_mlp(std::int64_t in, std::int64_t width, std::int64_t depth, std::int64_t out,
                               config::InitKind init);

/// Number of trainable scalars of such a network.
std::int64_t mlp_parameter_count(std::int64_t in, std::int64_t width, std::int64_t depth, std::int64_t out);

}  // namespace lsweep::training
