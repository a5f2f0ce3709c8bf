#pragma once
/// \file
/// Gradient noise at a batch size, from per-sample gradients, without
/// forming the covariance or the Hessian.
///
/// Convention (docs/store.md): the covariance of a minibatch gradient of B
/// samples drawn without replacement from the P training samples is
///   C = Sigma / B * (P - B) / (P - 1),   Sigma = sum_i (g_i - g)(g_i - g)^T / P
/// (Sigma over all P per-sample gradients g_i; 0 for full-batch GD, B = P).
/// From m of them, with c_i = g_i - mean(g) and S = sum c_i c_i^T / (m - 1)
/// (unbiased for P Sigma / (P - 1)): C = S (P - B) / (P B). ||C||_F is the
/// plug-in ||S||_F (P - B) / (P B): biased upwards by about tr(Sigma)^2/(m-1)
/// in ||C||_F^2 when m is small against Sigma's effective rank.

#include <cstdint>

#include <torch/types.h>

#include "lsweep/curvature/operator.hpp"

namespace lsweep::curvature {

struct GradientNoise {
  double trace = 0.0;      ///< tr C = (P - B) / (P B) * sum ||c_i||^2 / (m - 1)
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

/// (P - B) / (P B): the factor from the unbiased sample covariance S of
/// per-sample gradients to a minibatch's covariance (without replacement).
double minibatch_factor(std::int64_t batch, std::int64_t population);

}  // namespace lsweep::curvature
