#include "lsweep/training/model.hpp"

#include <torch/torch.h>

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

}  // namespace lsweep::training
