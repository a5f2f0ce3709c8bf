#pragma once
/// \file
/// SGD with heavy-ball momentum, written out so that probes can see its
/// state (the momentum buffers) through a stable API on every LibTorch
/// version. The update is torch.optim.SGD's (dampening 0, no Nesterov), with
/// the same tensor operations in the same order, so it gives the same bits:
///   g = grad + weight_decay * p (coupled L2, when weight_decay > 0);
///   buf = g (first step), then buf = momentum * buf + g;  p -= lr * buf
/// (without momentum: p -= lr * g).

#include <vector>

#include <torch/types.h>

namespace lsweep::training {

class HeavyBallSgd {
 public:
  HeavyBallSgd(std::vector<torch::Tensor> params, double lr, double momentum, double weight_decay = 0.0);
  /// Drops every gradient (the next backward() sets them afresh).
  void zero_grad();
  /// One update from the parameters' current gradients.
  void step();
  double lr() const { return lr_; }
  double momentum() const { return momentum_; }
  double weight_decay() const { return weight_decay_; }
  /// One buffer per parameter, in parameters() order; undefined tensors
  /// before the first step or without momentum.
  const std::vector<torch::Tensor>& momentum_buffers() const { return buffers_; }
  /// Replaces the momentum buffers (one per parameter, in parameters()
  /// order): a pack hands each member's optimizer slices of its stacked
  /// buffers, so that probes see the member's own.
  void adopt_buffers(std::vector<torch::Tensor> buffers);

 private:
  std::vector<torch::Tensor> params_;
  std::vector<torch::Tensor> buffers_;
  double lr_, momentum_, weight_decay_;
};

}  // namespace lsweep::training
