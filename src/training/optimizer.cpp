#include "lsweep/training/optimizer.hpp"

#include <torch/torch.h>

#include <stdexcept>
#include <string>

namespace lsweep::training {

HeavyBallSgd::HeavyBallSgd(std::vector<torch::Tensor> params, double lr, double momentum, double weight_decay)
    : params_(std::move(params)), buffers_(params_.size()), lr_(lr), momentum_(momentum), weight_decay_(weight_decay) {}

void HeavyBallSgd::adopt_buffers(std::vector<torch::Tensor> buffers) {
  if (buffers.size() != params_.size()) {
    throw std::invalid_argument("adopt_buffers: " + std::to_string(buffers.size()) + " buffers for " +
                                std::to_string(params_.size()) + " parameters");
  }
  buffers_ = std::move(buffers);
}

void HeavyBallSgd::zero_grad() {
  for (auto& p : params_) p.mutable_grad().reset();
}

void HeavyBallSgd::step() {
  torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    auto& p = params_[i];
    if (!p.grad().defined()) continue;
    torch::Tensor d_p = p.grad();
    if (weight_decay_ != 0.0) d_p = d_p.add(p, weight_decay_);
    if (momentum_ != 0.0) {
      auto& buf = buffers_[i];
      if (!buf.defined()) {
        buf = torch::clone(d_p).detach();
      } else {
        buf.mul_(momentum_).add_(d_p, 1.0);
      }
      d_p = buf;
    }
    p.add_(d_p, -lr_);
  }
}

}  // namespace lsweep::training
