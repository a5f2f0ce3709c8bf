#include "lsweep/curvature/trace.hpp"

#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <vector>

#include "lsweep/common/error.hpp"
#include "lsweep/curvature/lanczos.hpp"

namespace lsweep::curvature {
namespace {

// Mean and standard error of the mean of `samples`.
std::pair<double, double> mean_and_error(const std::vector<double>& samples) {
  const auto n = static_cast<double>(samples.size());
  double mean = 0.0;
  for (double s : samples) mean += s / n;
  if (samples.size() < 2) return {mean, std::numeric_limits<double>::quiet_NaN()};
  double ss = 0.0;
  for (double s : samples) ss += (s - mean) * (s - mean);
  return {mean, std::sqrt(ss / (n - 1.0) / n)};
}

}  // namespace

namespace {

// Hutchinson with `products` Rademacher vectors from `rng` on the part of A outside the rows of `basis`.
TraceEstimate deflated(Operator& op, const torch::Tensor& basis, double known_trace, double known_frobenius_sq,
                       std::int64_t products, VectorRng& rng) {
  std::vector<double> terms, squares;
  const bool project = basis.defined() && basis.size(0) > 0;
  for (std::int64_t i = 0; i < products; ++i) {
    auto z = rng.rademacher(op.size(), op.options());
    if (project) z -= basis.t().mv(basis.mv(z));
    const auto az = op(z);
    terms.push_back(az.dot(z).item<double>());
    squares.push_back(az.square().sum().item<double>());
  }
  TraceEstimate out;
  const auto [rest, error] = mean_and_error(terms);
  out.trace = known_trace + rest;
  out.error = error;
  out.frobenius_sq = known_frobenius_sq + mean_and_error(squares).first;
  out.products = products;
  return out;
}

}  // namespace

TraceEstimate deflated_hutchinson(Operator& op, const torch::Tensor& basis, double known_trace,
                                  double known_frobenius_sq, std::int64_t products, std::uint64_t seed) {
  VectorRng rng(seed);
  return deflated(op, basis, known_trace, known_frobenius_sq, products, rng);
}

TraceEstimate hutch_plus_plus(Operator& op, std::int64_t products, std::uint64_t seed) {
  if (products < 3) throw Error("Hutch++ needs at least 3 operator products, got " + std::to_string(products));
  const std::int64_t sketch = products / 3;
  VectorRng rng(seed);
  std::vector<torch::Tensor> images;
  for (std::int64_t i = 0; i < sketch; ++i) images.push_back(op(rng.rademacher(op.size(), op.options())));
  const auto q = std::get<0>(torch::linalg_qr(torch::stack(images, 1), "reduced")).t().contiguous();  // [sketch, n]
  double known_trace = 0.0, known_frobenius_sq = 0.0;
  for (std::int64_t i = 0; i < q.size(0); ++i) {  // min(sketch, n) columns
    const auto aq = op(q[i]);
    known_trace += aq.dot(q[i]).item<double>();
    known_frobenius_sq += aq.square().sum().item<double>();
  }
  TraceEstimate out = deflated(op, q, known_trace, known_frobenius_sq, products - 2 * sketch, rng);
  out.products = sketch + q.size(0) + products - 2 * sketch;
  return out;
}

TraceEstimate hutchinson(Operator& op, std::int64_t products, std::uint64_t seed) {
  return deflated_hutchinson(op, torch::Tensor(), 0.0, 0.0, products, seed);
}

TraceEstimate lanczos_deflated_trace(Operator& op, const Tridiagonal& run, std::int64_t products, std::uint64_t seed) {
  double known_trace = 0.0, known_frobenius_sq = 0.0;
  for (std::size_t j = 0; j < run.alpha.size(); ++j) {
    known_trace += run.alpha[j];
    known_frobenius_sq +=
        run.alpha[j] * run.alpha[j] + (j + 1 < run.alpha.size() ? 2.0 : 1.0) * run.beta[j] * run.beta[j];
  }
  return deflated_hutchinson(op, run.basis, known_trace, known_frobenius_sq, products, seed);
}

}  // namespace lsweep::curvature
