#pragma once
/// \file
/// Gradient noise at a batch size, from per-sample gradients, without
/// forming the covariance or the Hessian.
///
/// Convention (docs/store.md): with g_i the per-sample gradients of m
/// samples, c_i = g_i - mean(g), the per-sample covariance is estimated
/// unbiasedly as S = sum_i c_i c_i^T / (m - 1), and the covariance of a
/// minibatch gradient of B samples drawn without replacement from P is
///   C = S / B * (P - B) / (P - 1)      (0 for full-batch GD, B = P).

#include <cstdint>

#include <torch/types.h>

#include "lsweep/curvature/operator.hpp"

namespace lsweep::curvature {

struct GradientNoise {
  double trace = 0.0;      ///< tr C = factor * sum ||c_i||^2 / (m - 1)
  double frobenius = 0.0;  ///< ||C||_F = factor * ||K||_F / (m - 1), K = Gram matrix of the c_i
  double trace_ch = 0.0;   ///< tr(C H) = factor * sum c_i^T H c_i / (m - 1)
  /// tr(C H) / (||C||_F ||H||_F): 1 when C is proportional to H; NaN when C = 0.
  double alignment = 0.0;
  /// Share of tr C in the span of `top_vectors`: sum_i ||U c_i||^2 / sum_i ||c_i||^2.
  double top_share = 0.0;
  std::int64_t products = 0;  ///< Hessian products used (m)
};

/// `per_sample` is [m, n] (m >= 2); `hessian_frobenius` is ||H||_F (exact
/// or estimated); `top_vectors` are orthonormal rows [k, n] (may be empty).
GradientNoise gradient_noise(const torch::Tensor& per_sample, std::int64_t batch, std::int64_t population,
                             Operator& hessian, double hessian_frobenius, const torch::Tensor& top_vectors);

/// (P - B) / (P - 1) / B: the factor from the per-sample covariance to a
/// minibatch's, sampling without replacement.
double minibatch_factor(std::int64_t batch, std::int64_t population);

}  // namespace lsweep::curvature
