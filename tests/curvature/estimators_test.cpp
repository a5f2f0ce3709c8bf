// The curvature estimators on dense symmetric matrices whose spectrum is set
// by the test (A = V diag(lambda) V^T with a random orthogonal V): every
// answer is known exactly.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "lsweep/curvature/lanczos.hpp"
#include "lsweep/curvature/trace.hpp"

namespace lsweep::curvature {
namespace {

torch::Tensor random_orthogonal(std::int64_t n, std::uint64_t seed) {
  VectorRng rng(seed);
  std::vector<torch::Tensor> columns;
  for (std::int64_t i = 0; i < n; ++i) columns.push_back(rng.gaussian(n, torch::kFloat64));
  return std::get<0>(torch::linalg_qr(torch::stack(columns, 1), "reduced"));
}

// A symmetric matrix with eigenvalues `lambda`.
torch::Tensor with_spectrum(const std::vector<double>& lambda, std::uint64_t seed = 7) {
  const auto n = static_cast<std::int64_t>(lambda.size());
  const auto v = random_orthogonal(n, seed);
  auto l = torch::tensor(lambda, torch::kFloat64);
  return (v * l.unsqueeze(0)).mm(v.t());
}

// 10 outliers 10..100 over a bulk in [-0.5, 1] (a trained network's Hessian, roughly).
std::vector<double> outlier_spectrum(std::int64_t n) {
  std::vector<double> l;
  for (std::int64_t i = 0; i < n; ++i) {
    l.push_back(i < 10 ? 100.0 - 10.0 * static_cast<double>(i)
                       : -0.5 + 1.5 * static_cast<double>(i - 10) / static_cast<double>(n - 10));
  }
  return l;
}

double relative(double got, double want) { return std::abs(got - want) / std::abs(want); }

TEST(Lanczos, FindsTheTopFiveAndTheMostNegativeEigenvalue) {
  auto lambda = outlier_spectrum(300);
  lambda[200] = -3.0;  // one clear negative direction
  DenseOperator a(with_spectrum(lambda));
  const Spectrum s = extreme_eigenvalues(a, 5, 80, 1);
  for (std::size_t i = 0; i < 5; ++i) EXPECT_LT(relative(s.top[i], 100.0 - 10.0 * i), 1e-10) << i;
  EXPECT_LT(relative(s.bottom, -3.0), 1e-6);
  EXPECT_EQ(s.products, 80);
  EXPECT_EQ(a.applications(), 80);
}

TEST(Lanczos, ResidualEstimatesAreTheTrueResiduals) {
  const auto matrix = with_spectrum(outlier_spectrum(200));
  DenseOperator a(matrix);
  const Spectrum s = extreme_eigenvalues(a, 5, 25, 3);  // some pairs not converged yet
  ASSERT_EQ(s.top_vectors.size(0), 5);
  for (std::int64_t i = 0; i < 5; ++i) {
    const auto y = s.top_vectors[i];
    EXPECT_NEAR(y.norm().item<double>(), 1.0, 1e-12);
    const double true_residual = (matrix.mv(y) - s.top[static_cast<std::size_t>(i)] * y).norm().item<double>();
    EXPECT_NEAR(s.top_residuals[static_cast<std::size_t>(i)], true_residual, 1e-9 + 1e-6 * true_residual) << i;
  }
  // The error of each value is bounded by its residual.
  for (std::size_t i = 0; i < 5; ++i) EXPECT_LE(std::abs(s.top[i] - (100.0 - 10.0 * i)), s.top_residuals[i] + 1e-10);
}

TEST(Lanczos, StopsOnAnInvariantSubspaceWithExactValues) {
  // Rank 3: the Krylov space is exhausted after 4 steps (3 values and 0).
  std::vector<double> lambda(50, 0.0);
  lambda[0] = 5.0, lambda[1] = 2.0, lambda[2] = -1.0;
  DenseOperator a(with_spectrum(lambda));
  const Spectrum s = extreme_eigenvalues(a, 5, 30, 2);
  EXPECT_NEAR(s.top[0], 5.0, 1e-12);
  EXPECT_NEAR(s.top[1], 2.0, 1e-12);
  EXPECT_NEAR(s.bottom, -1.0, 1e-12);
  EXPECT_LE(s.products, 5);
  EXPECT_TRUE(std::isnan(s.top[4]));  // fewer values than asked: NaN, not a made-up one
}

TEST(Lanczos, IsDeterministicGivenTheSeed) {
  DenseOperator a(with_spectrum(outlier_spectrum(100)));
  const auto x = extreme_eigenvalues(a, 3, 12, 9), y = extreme_eigenvalues(a, 3, 12, 9);
  const auto z = extreme_eigenvalues(a, 3, 12, 10);
  EXPECT_EQ(x.top, y.top);
  EXPECT_NE(x.top, z.top);
}

TEST(HutchPlusPlus, IsWithinThreeReportedErrorsOfTheTrace) {
  const auto lambda = outlier_spectrum(400);
  const double exact = std::accumulate(lambda.begin(), lambda.end(), 0.0);
  DenseOperator a(with_spectrum(lambda));
  int within = 0;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    const TraceEstimate t = hutch_plus_plus(a, 30, seed);
    EXPECT_EQ(t.products, 30);
    EXPECT_GT(t.error, 0.0);
    within += std::abs(t.trace - exact) <= 3.0 * t.error ? 1 : 0;
  }
  EXPECT_GE(within, 19);  // a 3-sigma band: at most one miss in 20 (expected 0.05)
}

TEST(HutchPlusPlus, BeatsHutchinsonAtEqualProductsOnOutliers) {
  // The setting: 30 products, a spectrum with 10 outliers.
  const auto lambda = outlier_spectrum(400);
  const double exact = std::accumulate(lambda.begin(), lambda.end(), 0.0);
  DenseOperator a(with_spectrum(lambda));
  std::vector<double> ours, plain;
  for (std::uint64_t seed = 0; seed < 21; ++seed) {
    ours.push_back(relative(hutch_plus_plus(a, 30, seed).trace, exact));
    plain.push_back(relative(hutchinson(a, 30, seed).trace, exact));
  }
  std::sort(ours.begin(), ours.end());
  std::sort(plain.begin(), plain.end());
  EXPECT_LT(ours[10], plain[10] / 5) << "median relative errors: Hutch++ " << ours[10] << ", Hutchinson " << plain[10];
}

TEST(HutchPlusPlus, EstimatesTheFrobeniusNorm) {
  const auto lambda = outlier_spectrum(400);
  double exact = 0.0;
  for (double l : lambda) exact += l * l;
  DenseOperator a(with_spectrum(lambda));
  EXPECT_LT(relative(hutch_plus_plus(a, 30, 4).frobenius_sq, exact), 0.01);  // outliers captured by the sketch
}

TEST(LanczosDeflatedTrace, IsWithinThreeReportedErrorsAndBeatsHutchinson) {
  // A bulk-dominated spectrum (10 outliers over 390 values in [-0.5, 1]): a
  // one-pass sketch (Hutch++) helps little, a 20-step Krylov space removes the outliers.
  const auto lambda = outlier_spectrum(400);
  const double exact = std::accumulate(lambda.begin(), lambda.end(), 0.0);
  double exact_frobenius_sq = 0.0;
  for (double l : lambda) exact_frobenius_sq += l * l;
  DenseOperator a(with_spectrum(lambda));
  std::vector<double> ours, plain;
  int within = 0;
  for (std::uint64_t seed = 0; seed < 21; ++seed) {
    Tridiagonal run;
    extreme_eigenvalues(a, 5, 20, 1000 + seed, &run);
    const TraceEstimate t = lanczos_deflated_trace(a, run, 30, seed);
    EXPECT_EQ(t.products, 30);
    within += std::abs(t.trace - exact) <= 3.0 * t.error ? 1 : 0;
    ours.push_back(relative(t.trace, exact));
    plain.push_back(relative(hutchinson(a, 30, seed).trace, exact));
    EXPECT_LT(relative(t.frobenius_sq, exact_frobenius_sq), 0.01);
  }
  EXPECT_GE(within, 20);
  std::sort(ours.begin(), ours.end());
  std::sort(plain.begin(), plain.end());
  EXPECT_LT(ours[10], plain[10] / 5) << "median relative errors: ours " << ours[10] << ", Hutchinson " << plain[10];
}

TEST(StochasticLanczosQuadrature, DensityIntegratesToOneWithTheRightMean) {
  const auto lambda = outlier_spectrum(300);
  const double exact_mean = std::accumulate(lambda.begin(), lambda.end(), 0.0) / 300.0;
  DenseOperator a(with_spectrum(lambda));
  const Quadrature q = stochastic_lanczos_quadrature(a, 10, 40, 5);
  EXPECT_EQ(q.products, 400);
  ASSERT_EQ(q.nodes.size(), 400u);
  for (std::size_t v = 0; v < 10; ++v) {
    double sum = 0.0;
    for (std::size_t j = 0; j < 40; ++j) sum += q.weights[v * 40 + j];
    EXPECT_NEAR(sum, 1.0, 1e-12) << "run " << v;
  }
  // On a grid that holds every kernel: mass 1, mean = q.mean().
  const double sigma = 0.5, lo = q.lowest() - 8 * sigma, hi = q.highest() + 8 * sigma;
  std::vector<double> grid;
  for (int g = 0; g <= 20000; ++g) grid.push_back(lo + (hi - lo) * g / 20000.0);
  const auto rho = q.density(grid, sigma);
  double mass = 0.0, first = 0.0;
  const double h = grid[1] - grid[0];
  for (std::size_t g = 0; g < grid.size(); ++g) {
    mass += rho[g] * h;
    first += rho[g] * grid[g] * h;
  }
  EXPECT_NEAR(mass, 1.0, 1e-9);
  EXPECT_NEAR(first, q.mean(), 1e-9);
  // q.mean() is the mean of 10 Rayleigh quotients v^T A v / v^T v: unbiased for trace / n.
  EXPECT_NEAR(q.mean(), exact_mean, 0.5 * exact_mean);  // 3.5 standard errors (sd ~0.29)
  // 40 steps resolve the outliers: the largest node is lambda_max.
  EXPECT_NEAR(q.highest(), 100.0, 1e-8);
}

TEST(StochasticLanczosQuadrature, MeanIsTheTraceOverNOnAverage) {
  // Many vectors: the mean converges to trace / n (Rayleigh quotients of Gaussian vectors).
  std::vector<double> lambda;
  for (int i = 0; i < 60; ++i) lambda.push_back(1.0 + 0.1 * i);
  DenseOperator a(with_spectrum(lambda));
  const Quadrature q = stochastic_lanczos_quadrature(a, 400, 5, 6);
  const double exact_mean = std::accumulate(lambda.begin(), lambda.end(), 0.0) / 60.0;
  EXPECT_NEAR(q.mean(), exact_mean, 0.05);  // sd of one quotient ~0.31 here; / sqrt(400): 3 standard errors
}

}  // namespace
}  // namespace lsweep::curvature
