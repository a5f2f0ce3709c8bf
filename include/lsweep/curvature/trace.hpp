#pragma once
/// \file
/// Trace estimation by Hutch++ (Meyer, Musco, Musco, Woodruff 2021), and
/// the Frobenius norm from the same products.

#include <cstdint>

#include "lsweep/curvature/operator.hpp"

namespace lsweep::curvature {

struct TraceEstimate {
  double trace = 0.0;
  /// Standard error of `trace`: the sample standard deviation of the
  /// Hutchinson part's terms / sqrt(their number) (the sketched part is exact).
  double error = 0.0;
  /// ||A||_F^2 = tr(A^2) from the same products: ||A Q||_F^2 plus the
  /// Hutchinson estimate of tr((I - QQ^T) A^2 (I - QQ^T)).
  double frobenius_sq = 0.0;
  std::int64_t products = 0;
};

/// Hutch++ with `products` operator products (at least 3; split into
/// thirds): a sketch Q = orth(A S) of products/3 Rademacher columns, tr(Q^T A
/// Q) exactly, plus Hutchinson on the deflated rest with the other third.
/// Deterministic given `seed`.
TraceEstimate hutch_plus_plus(Operator& op, std::int64_t products, std::uint64_t seed);

/// Plain Hutchinson (PyHessian's estimator) with `products` Rademacher
/// vectors; the baseline of bench/curvature_bench.
TraceEstimate hutchinson(Operator& op, std::int64_t products, std::uint64_t seed);

}  // namespace lsweep::curvature
