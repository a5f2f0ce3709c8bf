#pragma once
/// \file
/// SGD with heavy-ball momentum, written out so that probes can see its
/// state (the momentum buffers) through a stable API on every LibTorch
/// version. The update is torch.optim.SGD's (dampening 0, no Nesterov), with
/// the same tensor operations in the same order, so it gives the same bits:
///   buf = grad (first step), then buf = momentum * buf + grad;  p -= lr * buf
/// (without momentum: p -= lr * grad).

#include <vector>

#include <torch/types.h>

namespace lsweep::training {

class HeavyBallSgd {
 public:
  HeavyBallSgd(std::vector<torch::Tensor> params, double lr, double momentum);
  /// Drops every gradient (the next backward() sets them afresh).
  void zero_grad();
  /// One update from the parameters' current gradients.
  void step();
  double lr() const { return lr_; }
  double momentum() const { return momentum_; }
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
  double lr_, momentum_;
};

}  // namespace lsweep::training
