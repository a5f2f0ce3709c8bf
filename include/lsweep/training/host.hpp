#pragma once
/// \file
/// A tensor's values on the host, for rows, reports and the sampler.

#include <vector>

#include <torch/types.h>

namespace lsweep::training {

/// Every value of `t` (any device, dtype and layout), as float64 in row-major order.
inline std::vector<double> host_doubles(const torch::Tensor& t) {
  const auto c = t.detach().to(torch::kCPU, torch::kFloat64).contiguous();
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

}  // namespace lsweep::training
