#include "lsweep/training/optimizer.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace lsweep::training {

Optimizer::Optimizer(std::vector<torch::Tensor> params, const config::TrainConfig& train, double lr)
    : params_(std::move(params)),
      buffers_(params_.size()),
      kind_(train.optimizer),
      lr_(lr),
      momentum_(train.momentum),
      weight_decay_(train.weight_decay),
      beta1_(train.beta1),
      beta2_(train.beta2),
      eps_(train.eps),
      decay_(train.lr_decay) {
  if (kind_ == config::OptimizerKind::adam) second_.resize(params_.size());
}

Optimizer::Optimizer(std::vector<torch::Tensor> params, double lr, double momentum, double weight_decay)
    : params_(std::move(params)), buffers_(params_.size()), lr_(lr), momentum_(momentum), weight_decay_(weight_decay) {}

double Optimizer::rate(std::int64_t t) const {
  if (!decay_.active()) return lr_;
  const double divided = lr_ / std::pow(decay_.factor, static_cast<double>(t / decay_.every));
  return std::min(lr_, std::max(divided, decay_.floor));
}

void Optimizer::adopt_buffers(std::vector<torch::Tensor> buffers) {
  if (buffers.size() != params_.size()) {
    throw std::invalid_argument("adopt_buffers: " + std::to_string(buffers.size()) + " buffers for " +
                                std::to_string(params_.size()) + " parameters");
  }
  buffers_ = std::move(buffers);
}

void Optimizer::zero_grad() {
  for (auto& p : params_) p.mutable_grad().reset();
}

void Optimizer::step() {
  torch::NoGradGuard no_grad;
  const double lr = rate(steps_);
  ++steps_;
  if (kind_ == config::OptimizerKind::adam) {
    adam_step(lr);
  } else {
    sgd_step(lr);
  }
}

void Optimizer::sgd_step(double lr) {
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
    p.add_(d_p, -lr);
  }
}

// torch::optim::Adam's operations in its order (LibTorch 1.13 and 2.x), so
// that the bits agree.
void Optimizer::adam_step(double lr) {
  const double t = static_cast<double>(steps_);
  const double correction1 = 1.0 - std::pow(beta1_, t);
  const double correction2 = 1.0 - std::pow(beta2_, t);
  for (std::size_t i = 0; i < params_.size(); ++i) {
    auto& p = params_[i];
    if (!p.grad().defined()) continue;
    torch::Tensor g = p.grad();
    if (weight_decay_ != 0.0) g = g.add(p, weight_decay_);
    auto& m = buffers_[i];
    auto& v = second_[i];
    if (!m.defined()) {
      m = torch::zeros_like(p, torch::MemoryFormat::Preserve);
      v = torch::zeros_like(p, torch::MemoryFormat::Preserve);
    }
    m.mul_(beta1_).add_(g, 1.0 - beta1_);
    v.mul_(beta2_).addcmul_(g, g, 1.0 - beta2_);
    const auto denom = (v.sqrt() / std::sqrt(correction2)).add_(eps_);
    p.addcdiv_(m, denom, -lr / correction1);
  }
}

}  // namespace lsweep::training
