#include "lsweep/curvature/trace.hpp"

#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <vector>

#include "lsweep/common/error.hpp"

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

TraceEstimate hutch_plus_plus(Operator& op, std::int64_t products, std::uint64_t seed) {
  if (products < 3) throw Error("Hutch++ needs at least 3 operator products, got " + std::to_string(products));
  const auto before = op.applications();
  const std::int64_t sketch = products / 3, rest = products - 2 * sketch;
  VectorRng rng(seed);
  std::vector<torch::Tensor> images;
  for (std::int64_t i = 0; i < sketch; ++i) images.push_back(op(rng.rademacher(op.size(), op.options())));
  const auto q = std::get<0>(torch::linalg::qr(torch::stack(images, 1), "reduced"));  // [n, sketch]
  TraceEstimate out;
  for (std::int64_t i = 0; i < sketch; ++i) {
    const auto aq = op(q.select(1, i).contiguous());
    out.trace += aq.dot(q.select(1, i)).item<double>();
    out.frobenius_sq += aq.square().sum().item<double>();
  }
  std::vector<double> terms, squares;
  for (std::int64_t i = 0; i < rest; ++i) {
    auto z = rng.rademacher(op.size(), op.options());
    z -= q.mv(q.t().mv(z));
    const auto az = op(z);
    terms.push_back(az.dot(z).item<double>());
    squares.push_back(az.square().sum().item<double>());
  }
  const auto [deflated, error] = mean_and_error(terms);
  out.trace += deflated;
  out.error = error;
  out.frobenius_sq += mean_and_error(squares).first;
  out.products = op.applications() - before;
  return out;
}

TraceEstimate hutchinson(Operator& op, std::int64_t products, std::uint64_t seed) {
  const auto before = op.applications();
  VectorRng rng(seed);
  std::vector<double> terms, squares;
  for (std::int64_t i = 0; i < products; ++i) {
    const auto z = rng.rademacher(op.size(), op.options());
    const auto az = op(z);
    terms.push_back(az.dot(z).item<double>());
    squares.push_back(az.square().sum().item<double>());
  }
  TraceEstimate out;
  std::tie(out.trace, out.error) = mean_and_error(terms);
  out.frobenius_sq = mean_and_error(squares).first;
  out.products = op.applications() - before;
  return out;
}

}  // namespace lsweep::curvature
