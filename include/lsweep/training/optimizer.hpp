#pragma once
/// \file
/// The optimizers, written out so that probes can see their state (momentum
/// buffers, Adam's moments) through a stable API on every LibTorch version.
///
/// SGD is torch.optim.SGD's (dampening 0, no Nesterov), with the same tensor
/// operations in the same order, so it gives the same bits:
///   g = grad + weight_decay * p (coupled L2, when weight_decay > 0);
///   buf = g (first step), then buf = momentum * buf + g;  p -= lr * buf
/// (without momentum: p -= lr * g).
/// Adam is torch.optim.Adam's (no amsgrad; coupled L2 as above), at step t:
///   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2;
///   p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps).
/// The rate of step t (t steps taken before it) under a step-wise decay is
///   min(lr, max(lr / factor^floor(t / every), floor)).

#include <cstdint>
#include <vector>

#include <torch/types.h>

#include "lsweep/config/job_config.hpp"

namespace lsweep::training {

class Optimizer {
 public:
  /// The job's optimizer (train.optimizer, its settings, train.lr_decay) at base rate `lr`.
  Optimizer(std::vector<torch::Tensor> params, const config::TrainConfig& train, double lr);
  /// Plain SGD (tests, tools).
  Optimizer(std::vector<torch::Tensor> params, double lr, double momentum, double weight_decay = 0.0);
  /// Drops every gradient (the next backward() sets them afresh).
  void zero_grad();
  /// One update from the parameters' current gradients.
  void step();
  config::OptimizerKind kind() const { return kind_; }
  /// The rate of the next step (after the decay of the steps taken).
  double lr() const { return rate(steps_); }
  /// The rate of step `t` (t steps taken before it).
  double rate(std::int64_t t) const;
  double base_lr() const { return lr_; }
  double momentum() const { return momentum_; }
  double weight_decay() const { return weight_decay_; }
  /// Whether every step applies the same function of the gradients (constant
  /// rate, no step count in it): only then may a CUDA graph replay it.
  bool fixed_step() const { return kind_ == config::OptimizerKind::sgd && !decay_.active(); }
  /// Steps taken. A CUDA graph's replay takes a step that step() does not
  /// see: its trainer counts it with set_steps(), and undoes the count of
  /// the capture, which runs nothing.
  std::int64_t steps() const { return steps_; }
  void set_steps(std::int64_t steps) { steps_ = steps; }
  /// One buffer per parameter, in parameters() order: SGD's momentum
  /// buffers, Adam's first moments m; undefined tensors before the first
  /// step, or with SGD without momentum.
  const std::vector<torch::Tensor>& momentum_buffers() const { return buffers_; }
  /// Adam's second moments v (empty for SGD).
  const std::vector<torch::Tensor>& second_moments() const { return second_; }
  /// Replaces the momentum buffers (one per parameter, in parameters()
  /// order): a pack hands each member's optimizer slices of its stacked
  /// buffers, so that probes see the member's own.
  void adopt_buffers(std::vector<torch::Tensor> buffers);

 private:
  void sgd_step(double lr);
  void adam_step(double lr);
  std::vector<torch::Tensor> params_;
  std::vector<torch::Tensor> buffers_, second_;
  config::OptimizerKind kind_ = config::OptimizerKind::sgd;
  double lr_, momentum_, weight_decay_;
  double beta1_ = 0.9, beta2_ = 0.999, eps_ = 1e-8;
  config::LrDecay decay_;
  std::int64_t steps_ = 0;
};

}  // namespace lsweep::training
