#include "lsweep/training/model.hpp"

#include <torch/torch.h>

#include <cmath>

namespace lsweep::training {

torch::nn::Sequential make_mlp(std::int64_t in, std::int64_t width, std::int64_t depth, std::int64_t out,
                               config::InitKind init) {
  torch::nn::Sequential net;
  std::int64_t fan_in = in;
  for (std::int64_t layer = 0; layer < depth; ++layer) {
    net->push_back(torch::nn::Linear(fan_in, width));
    net->push_back(torch::nn::ReLU());
    fan_in = width;
  }
  net->push_back(torch::nn::Linear(fan_in, out));
  if (init == config::InitKind::orthogonal) {
    torch::NoGradGuard no_grad;
    for (auto& module : net->modules(false)) {
      if (auto* linear = module->as<torch::nn::Linear>()) {
        torch::nn::init::orthogonal_(linear->weight);
        linear->bias.zero_();
      }
    }
  }
  return net;
}

std::int64_t mlp_parameter_count(std::int64_t in, std::int64_t width, std::int64_t depth, std::int64_t out) {
  return (in + 1) * width + (depth - 1) * (width + 1) * width + (width + 1) * out;
}

torch::Tensor tanh_features(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b) {
  return torch::tanh((x.reshape({-1, 1}) - b) * w);
}

TanhRegressionImpl::TanhRegressionImpl(std::int64_t units, double x_min, double x_max, bool projected)
    : units_(units), x_min_(x_min), x_max_(x_max), projected_(projected) {
  reset();
}

void TanhRegressionImpl::reset() {
  const double cell = (x_max_ - x_min_) / static_cast<double>(units_);
  w = register_parameter("w", torch::empty({units_}).uniform_(-1.0, 1.0));
  const double bound = 1.0 / std::sqrt(static_cast<double>(units_));
  auto a = torch::empty({units_}).uniform_(-bound, bound);
  alpha = projected_ ? register_buffer("alpha", a) : register_parameter("alpha", a);
  // float64, so that a float64 model has the centres exactly (Module::to() sets the model's dtype).
  b = register_buffer("b", torch::arange(units_, torch::kFloat64).add_(0.5).mul_(cell).add_(x_min_));
}

torch::Tensor TanhRegressionImpl::forward(const torch::Tensor& x) {
  return tanh_features(x, w, b).matmul(alpha).unsqueeze(1);
}

void TanhRegressionImpl::project(const torch::Tensor& x, const torch::Tensor& y) {
  torch::NoGradGuard no_grad;
  const auto f64 = [](const torch::Tensor& t) { return t.detach().to(torch::kCPU, torch::kFloat64); };
  const auto w64 = f64(w);
  if (!torch::isfinite(w64).all().item<bool>()) return;
  const auto phi = tanh_features(f64(x), w64, f64(b));
  const auto solution = std::get<0>(torch::linalg_lstsq(phi, f64(y).reshape({-1, 1}), c10::nullopt, "gelsd"));
  alpha.copy_(solution.reshape({-1}));
}

torch::nn::Sequential make_model(const config::JobConfig& job, std::int64_t in, std::int64_t width) {
  if (job.model.kind == config::ModelKind::mlp) {
    return make_mlp(in, width, job.model.depth, config::output_dim(job.data), job.model.init);
  }
  torch::nn::Sequential net;
  net->push_back(TanhRegression(width, job.data.x_min, job.data.x_max, job.model.variable_projection));
  return net;
}

std::int64_t parameter_count(const config::JobConfig& job, std::int64_t width) {
  if (job.model.kind == config::ModelKind::tanh) return job.model.variable_projection ? width : 2 * width;
  return mlp_parameter_count(config::input_dim(job.data), width, job.model.depth, config::output_dim(job.data));
}

TanhRegressionImpl* tanh_model(torch::nn::Sequential& net) {
  return net->size() == 1 ? net->ptr(0)->as<TanhRegressionImpl>() : nullptr;
}

}  // namespace lsweep::training
