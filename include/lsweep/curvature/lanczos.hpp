#pragma once
/// \file
/// Lanczos with full reorthogonalisation: extreme eigenvalues with residuals,
/// and stochastic Lanczos quadrature (SLQ) for the spectral density.

#include <cstdint>
#include <vector>

#include <torch/types.h>

#include "lsweep/curvature/operator.hpp"

namespace lsweep::curvature {

/// m steps of Lanczos from one start vector: A Q^T = Q^T T + beta_m q_{m+1} e_m^T.
struct Tridiagonal {
  std::vector<double> alpha;  ///< diagonal, length m
  std::vector<double> beta;   ///< beta[j] = ||r_j|| after step j (length m; beta[m-1] is the residual coupling)
  torch::Tensor basis;        ///< [m, n] orthonormal rows q_1..q_m (float64, operator's device)
  bool invariant = false;     ///< stopped early: the Krylov space is invariant (Ritz values exact)
  std::int64_t steps() const { return static_cast<std::int64_t>(alpha.size()); }
};

/// Runs at most `steps` steps from `start` (any nonzero vector; normalised
/// here). Every new vector is orthogonalised twice against all previous ones
/// (classical Gram-Schmidt, twice), so Ritz values do not repeat and the
/// residual estimates stay true. Costs one operator product per step.
Tridiagonal lanczos(Operator& op, const torch::Tensor& start, std::int64_t steps);

/// Ritz pairs of a Lanczos run, eigenvalues ascending.
struct RitzPairs {
  std::vector<double> values;
  /// ||A y - theta y|| for each Ritz vector y = Q^T s (exact in exact
  /// arithmetic: beta_m |s_m|), the error bound of each value.
  std::vector<double> residuals;
  /// s_1^2: the weight of each value in the quadrature of the start vector.
  std::vector<double> first_weights;
  torch::Tensor small_vectors;  ///< [m, m] eigenvectors of T (columns), float64 CPU
};
RitzPairs ritz_pairs(const Tridiagonal& t);

/// The Ritz vectors (rows, [count, n]) of the `count` largest Ritz values, largest first.
torch::Tensor top_ritz_vectors(const Tridiagonal& t, const RitzPairs& r, std::int64_t count);

/// Extreme eigenvalues of a symmetric operator.
struct Spectrum {
  std::vector<double> top;            ///< the k largest, descending (NaN where Lanczos found fewer)
  std::vector<double> top_residuals;  ///< ||A y - theta y|| of each
  double bottom = 0.0;                ///< the smallest (most negative) Ritz value
  double bottom_residual = 0.0;
  torch::Tensor top_vectors;  ///< [k', n] Ritz vectors of `top` (k' <= k found)
  std::int64_t products = 0;  ///< operator products used
};

/// k largest and the smallest eigenvalue from one Lanczos run of `steps`
/// steps from a Gaussian start drawn with `seed`; the run itself into `run`
/// when given (its basis deflates the trace estimate: trace.hpp).
Spectrum extreme_eigenvalues(Operator& op, std::int64_t k, std::int64_t steps, std::uint64_t seed,
                             Tridiagonal* run = nullptr);

/// Stochastic Lanczos quadrature (Ghorbani et al. 2019; Lin et al. 2016): for
/// each of `vectors` Gaussian start vectors, `steps` Lanczos steps; the
/// density is sum over runs and nodes of weight * N(t; node, sigma^2) / vectors.
struct Quadrature {
  std::vector<double> nodes;    ///< all runs' Ritz values, run after run (vectors * steps; NaN-padded)
  std::vector<double> weights;  ///< their weights; each run's sum to 1 (NaN-padded)
  std::int64_t vectors = 0;     ///< runs that gave nodes (a run whose products were not finite gives none)
  std::int64_t products = 0;
  /// The density's mean, sum(weights * nodes) / vectors: an unbiased estimate of trace / n.
  double mean() const;
  /// The Gaussian-broadened density at `grid` (each kernel normalised: it integrates to 1).
  std::vector<double> density(const std::vector<double>& grid, double sigma) const;
  double lowest() const;   ///< smallest node
  double highest() const;  ///< largest node
};
Quadrature stochastic_lanczos_quadrature(Operator& op, std::int64_t vectors, std::int64_t steps, std::uint64_t seed);

}  // namespace lsweep::curvature
