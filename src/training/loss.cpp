#include "lsweep/training/loss.hpp"

#include <torch/torch.h>

namespace lsweep::training {

torch::Tensor compute_loss(config::LossKind kind, const torch::Tensor& out, const torch::Tensor& y, bool binary) {
  using config::LossKind;
  if (binary) {
    const auto f = out.squeeze(1);
    switch (kind) {
      case LossKind::cross_entropy: return torch::softplus(-y * f).mean();
      case LossKind::mse: return 0.5 * (f - y).square().mean();
      case LossKind::quadratic_hinge: return 0.5 * torch::relu(1.0 - y * f).square().mean();
    }
  }
  switch (kind) {
    case LossKind::cross_entropy: return torch::nn::functional::cross_entropy(out, y);
    case LossKind::mse: {
      // scatter_, not one_hot: one_hot checks the labels' range on the host,
      // a device sync that a CUDA graph capture cannot contain.
      const auto target = torch::zeros_like(out).scatter_(1, y.unsqueeze(1), 1.0);
      return 0.5 * (out - target).square().sum(1).mean();
    }
    case LossKind::quadratic_hinge: break;
  }
  throw std::invalid_argument("quadratic_hinge needs binary labels");
}

torch::Tensor compute_pack_losses(config::LossKind kind, const torch::Tensor& out, const torch::Tensor& y,
                                  bool binary) {
  using config::LossKind;
  if (binary) {
    const auto f = out.squeeze(2);
    switch (kind) {
      case LossKind::cross_entropy: return torch::softplus(-y * f).mean(1);
      case LossKind::mse: return 0.5 * (f - y).square().mean(1);
      case LossKind::quadratic_hinge: return 0.5 * torch::relu(1.0 - y * f).square().mean(1);
    }
  }
  switch (kind) {
    case LossKind::cross_entropy: return -torch::log_softmax(out, 2).gather(2, y.unsqueeze(2)).squeeze(2).mean(1);
    case LossKind::mse: {
      const auto target = torch::zeros_like(out).scatter_(2, y.unsqueeze(2), 1.0);
      return 0.5 * (out - target).square().sum(2).mean(1);
    }
    case LossKind::quadratic_hinge: break;
  }
  throw std::invalid_argument("quadratic_hinge needs binary labels");
}

torch::Tensor count_correct(const torch::Tensor& out, const torch::Tensor& y, bool binary) {
  if (binary) return (out.squeeze(1) * y > 0).sum();
  return (out.argmax(1) == y).sum();
}

}  // namespace lsweep::training
