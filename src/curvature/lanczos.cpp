#include "lsweep/curvature/lanczos.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "lsweep/training/host.hpp"

namespace lsweep::curvature {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// A residual this small against the largest coefficient seen means the Krylov
// space is invariant: a further vector would be rounding noise.
constexpr double kBreakdown = 1e-12;

torch::Tensor tridiagonal_matrix(const Tridiagonal& t) {
  const auto m = t.steps();
  auto a = torch::zeros({m, m}, torch::kFloat64);
  auto acc = a.accessor<double, 2>();
  for (std::int64_t j = 0; j < m; ++j) {
    acc[j][j] = t.alpha[static_cast<std::size_t>(j)];
    if (j + 1 < m) acc[j][j + 1] = acc[j + 1][j] = t.beta[static_cast<std::size_t>(j)];
  }
  return a;
}

}  // namespace

Tridiagonal lanczos(Operator& op, const torch::Tensor& start, std::int64_t steps) {
  steps = std::min(steps, op.size());
  Tridiagonal t;
  auto basis = torch::zeros({steps, op.size()}, op.options());
  auto q = start.to(op.options()) / start.norm();
  double scale = 0.0;
  for (std::int64_t j = 0; j < steps; ++j) {
    basis[j].copy_(q);
    auto w = op(q);
    const double a = w.dot(q).item<double>();
    const auto done = basis.narrow(0, 0, j + 1);
    for (int pass = 0; pass < 2; ++pass) w -= done.t().mv(done.mv(w));
    const double b = w.norm().item<double>();
    if (!std::isfinite(a) || !std::isfinite(b)) {  // a diverged model: no spectrum rather than a wrong one
      t.alpha.clear();
      t.beta.clear();
      break;
    }
    t.alpha.push_back(a);
    t.beta.push_back(b);
    scale = std::max({scale, std::abs(a), b});
    if (b <= kBreakdown * scale) {
      t.invariant = true;
      break;
    }
    q = w / b;
  }
  t.basis = basis.narrow(0, 0, t.steps());
  return t;
}

RitzPairs ritz_pairs(const Tridiagonal& t) {
  RitzPairs r;
  if (t.steps() == 0) return r;
  auto [values, vectors] = torch::linalg_eigh(tridiagonal_matrix(t), "L");
  r.values = training::host_doubles(values);
  r.small_vectors = vectors;
  const double coupling = t.beta.back();
  for (std::int64_t j = 0; j < t.steps(); ++j) {
    r.residuals.push_back(std::abs(coupling * vectors[t.steps() - 1][j].item<double>()));
    r.first_weights.push_back(std::pow(vectors[0][j].item<double>(), 2));
  }
  return r;
}

torch::Tensor top_ritz_vectors(const Tridiagonal& t, const RitzPairs& r, std::int64_t count) {
  count = std::min<std::int64_t>(count, static_cast<std::int64_t>(r.values.size()));
  if (count == 0) return torch::zeros({0, t.basis.size(1)}, t.basis.options());
  const auto columns = r.small_vectors.narrow(1, t.steps() - count, count).flip(1);  // largest first
  return columns.t().to(t.basis.options()).mm(t.basis);
}

Spectrum extreme_eigenvalues(Operator& op, std::int64_t k, std::int64_t steps, std::uint64_t seed, Tridiagonal* run) {
  const auto before = op.applications();
  VectorRng rng(seed);
  const Tridiagonal t = lanczos(op, rng.gaussian(op.size(), op.options()), steps);
  const RitzPairs r = ritz_pairs(t);
  Spectrum s;
  const auto m = static_cast<std::int64_t>(r.values.size());
  for (std::int64_t i = 0; i < k; ++i) {
    const bool found = i < m;
    s.top.push_back(found ? r.values[static_cast<std::size_t>(m - 1 - i)] : kNaN);
    s.top_residuals.push_back(found ? r.residuals[static_cast<std::size_t>(m - 1 - i)] : kNaN);
  }
  s.bottom = m > 0 ? r.values.front() : kNaN;
  s.bottom_residual = m > 0 ? r.residuals.front() : kNaN;
  s.top_vectors = top_ritz_vectors(t, r, k);
  s.products = op.applications() - before;
  if (run) *run = t;
  return s;
}

Quadrature stochastic_lanczos_quadrature(Operator& op, std::int64_t vectors, std::int64_t steps, std::uint64_t seed) {
  const auto before = op.applications();
  VectorRng rng(seed);
  Quadrature q;
  const auto width = static_cast<std::size_t>(steps);  // fixed, whatever n: rows of the store
  q.vectors = 0;  // runs with nodes: one whose products were not finite has none and does not count
  for (std::int64_t v = 0; v < vectors; ++v) {
    const RitzPairs r = ritz_pairs(lanczos(op, rng.gaussian(op.size(), op.options()), steps));
    q.vectors += r.values.empty() ? 0 : 1;
    for (std::size_t j = 0; j < width; ++j) {
      q.nodes.push_back(j < r.values.size() ? r.values[j] : kNaN);
      q.weights.push_back(j < r.values.size() ? r.first_weights[j] : kNaN);
    }
  }
  q.products = op.applications() - before;
  return q;
}

double Quadrature::mean() const {
  double sum = 0.0;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (!std::isnan(nodes[i])) sum += weights[i] * nodes[i];
  }
  return sum / static_cast<double>(vectors);
}

std::vector<double> Quadrature::density(const std::vector<double>& grid, double sigma) const {
  std::vector<double> out(grid.size(), 0.0);
  const double norm = 1.0 / (sigma * std::sqrt(2.0 * M_PI) * static_cast<double>(vectors));
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (std::isnan(nodes[i])) continue;
    for (std::size_t g = 0; g < grid.size(); ++g) {
      const double z = (grid[g] - nodes[i]) / sigma;
      out[g] += weights[i] * norm * std::exp(-0.5 * z * z);
    }
  }
  return out;
}

double Quadrature::lowest() const {
  double lo = std::numeric_limits<double>::infinity();
  for (double x : nodes) lo = std::isnan(x) ? lo : std::min(lo, x);
  return lo;
}

double Quadrature::highest() const {
  double hi = -std::numeric_limits<double>::infinity();
  for (double x : nodes) hi = std::isnan(x) ? hi : std::max(hi, x);
  return hi;
}

}  // namespace lsweep::curvature
