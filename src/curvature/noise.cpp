#include "lsweep/curvature/noise.hpp"

#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "lsweep/common/error.hpp"

namespace lsweep::curvature {

double minibatch_factor(std::int64_t batch, std::int64_t population) {
  return static_cast<double>(population - batch) / static_cast<double>(population) / static_cast<double>(batch);
}

GradientNoise gradient_noise(const torch::Tensor& per_sample, std::int64_t batch, std::int64_t population,
                             Operator& hessian, double hessian_frobenius, const torch::Tensor& top_vectors) {
  const auto m = per_sample.size(0);
  if (m < 2) throw Error("gradient noise needs at least 2 per-sample gradients, got " + std::to_string(m));
  const auto before = hessian.applications();
  auto centred = per_sample.to(hessian.options());
  centred -= centred.mean(0, true);
  const double scale = minibatch_factor(batch, population) / static_cast<double>(m - 1);
  const double sum_sq = centred.square().sum().item<double>();
  GradientNoise out;
  out.trace = scale * sum_sq;
  out.frobenius = scale * centred.mm(centred.t()).norm().item<double>();
  double chc = 0.0;
  for (std::int64_t i = 0; i < m; ++i) {
    const auto c = centred[i].contiguous();
    chc += hessian(c).dot(c).item<double>();
  }
  out.trace_ch = scale * chc;
  const double denominator = out.frobenius * hessian_frobenius;
  out.alignment = denominator > 0 ? out.trace_ch / denominator : std::numeric_limits<double>::quiet_NaN();
  const bool has_top = top_vectors.defined() && top_vectors.numel() > 0;
  const double in_top = has_top ? centred.mm(top_vectors.to(hessian.options()).t()).square().sum().item<double>() : 0.0;
  out.top_share = sum_sq > 0 ? in_top / sum_sq : std::numeric_limits<double>::quiet_NaN();
  out.products = hessian.applications() - before;
  return out;
}

}  // namespace lsweep::curvature
