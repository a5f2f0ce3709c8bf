#pragma once
/// \file
/// The models a job trains: fully connected ReLU networks (model.kind =
/// "mlp") and the tanh regression model of seed 004 (model.kind = "tanh"),
/// each inside a torch::nn::Sequential (what the trainer, the Hessian and
/// the probes take).

#include <torch/nn/cloneable.h>
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

/// tanh(w_i (x_k - b_i)) for inputs `x` ([B] or [B, 1]): the features [B, n]
/// of n units with steepnesses `w` [n] and centres `b` [n].
torch::Tensor tanh_features(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b);

/// h(x) = sum_i alpha_i tanh(w_i (x - b_i)) on one input, n = `units` units
/// with fixed centres b_i = x_min + (i + 1/2) (x_max - x_min) / n (the
/// midpoints of n equal cells of [x_min, x_max]). Trained: w (the
/// parameter "w"), then alpha ("alpha"), in parameters() order; b is a
/// buffer. Initialised from LibTorch's global CPU generator, as the weights
/// of a Linear(1, n) and a Linear(n, 1) are by default: w_i ~ U(-1, 1), then
/// alpha_i ~ U(-1/sqrt(n), 1/sqrt(n)) (drawn in float32; b is made in
/// float64: call ->to(dtype) before use, as the trainer does).
///
/// With `projected` (variable projection), alpha is a buffer, not a
/// parameter: project() sets it to the least-squares solution for the
/// current w, so that only w is trained, on the reduced loss
/// min_alpha L(alpha, w). The initial alpha is still drawn (the same w for
/// the same seed either way).
class TanhRegressionImpl : public torch::nn::Cloneable<TanhRegressionImpl> {
 public:
  TanhRegressionImpl(std::int64_t units, double x_min, double x_max, bool projected);
  /// (Re)registers w, alpha and b and draws w and alpha (Cloneable's contract).
  void reset() override;
  /// x [B, 1] -> h(x) [B, 1].
  torch::Tensor forward(const torch::Tensor& x);
  /// alpha <- argmin_alpha ||y - Phi(w) alpha||^2 over the samples (x, y),
  /// Phi the features [P, n]: LAPACK's gelsd (SVD) in float64 on the CPU,
  /// the minimum-norm solution, singular values below 2^-52 P times the
  /// largest treated as 0 (a flat or repeated unit). Left alone while w is
  /// not finite (the point is diverging).
  void project(const torch::Tensor& x, const torch::Tensor& y);
  bool projected() const { return projected_; }

  torch::Tensor w, alpha, b;

 private:
  std::int64_t units_;
  double x_min_, x_max_;
  bool projected_;
};
TORCH_MODULE(TanhRegression);

/// The network of `width` (hidden units per layer, or tanh units) that `job`
/// trains on `in` input features, drawn from LibTorch's global CPU generator.
torch::nn::Sequential make_model(const config::JobConfig& job, std::int64_t in, std::int64_t width);

/// Trainable scalars (the length of parameters() flattened) of make_model's network.
std::int64_t parameter_count(const config::JobConfig& job, std::int64_t width);

/// The tanh model of a make_model network, or nullptr for an MLP.
TanhRegressionImpl* tanh_model(torch::nn::Sequential& net);

}  // namespace lsweep::training
