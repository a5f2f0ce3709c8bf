#pragma once
/// \file
/// Trace estimation: Hutchinson deflated by a known orthonormal basis (the
/// Lanczos Krylov space: the probe's estimator), Hutch++ (Meyer, Musco,
/// Musco, Woodruff 2021) and plain Hutchinson (for comparison), and
/// the Frobenius norm from the same products.

#include <cstdint>

#include <torch/types.h>

#include "lsweep/curvature/lanczos.hpp"
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

/// Hutchinson with `products` Rademacher vectors on the part of A outside the
/// orthonormal rows of `basis` ([m, n]; undefined or empty: all of A), plus
/// the part inside, known to the caller: tr(basis A basis^T) = `known_trace`
/// and ||A basis^T||_F^2 = `known_frobenius_sq`. Unbiased when the basis does
/// not depend on the vectors (it is drawn from other seeds).
TraceEstimate deflated_hutchinson(Operator& op, const torch::Tensor& basis, double known_trace,
                                  double known_frobenius_sq, std::int64_t products, std::uint64_t seed);

/// The trace deflated by a Lanczos run's Krylov basis Q, whose part is known
/// without further products: tr(Q A Q^T) = sum(alpha), ||A Q^T||_F^2 =
/// ||T||_F^2 + beta_m^2. Hutch++ with the Krylov space as its sketch, which
/// holds the top eigenvectors far better than Hutch++'s one-pass sketch, and
/// which the eigenvalue estimate has paid for: all `products` go to the rest.
TraceEstimate lanczos_deflated_trace(Operator& op, const Tridiagonal& run, std::int64_t products, std::uint64_t seed);

/// Plain Hutchinson (PyHessian's estimator) with `products` Rademacher
/// vectors; the baseline of bench/curvature_bench.
TraceEstimate hutchinson(Operator& op, std::int64_t products, std::uint64_t seed);

}  // namespace lsweep::curvature
