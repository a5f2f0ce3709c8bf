#include "lsweep/common/fit.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace lsweep {
namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

// The inverse of the symmetric k x k matrix `a` (row-major) by Gauss-Jordan
// with partial pivoting; false if a pivot vanishes relative to the diagonal.
bool invert(std::vector<double>& a, std::size_t k) {
  std::vector<double> inv(k * k, 0.0);
  for (std::size_t i = 0; i < k; ++i) inv[i * k + i] = 1.0;
  double scale = 0.0;
  for (std::size_t i = 0; i < k; ++i) scale = std::max(scale, std::abs(a[i * k + i]));
  for (std::size_t c = 0; c < k; ++c) {
    std::size_t p = c;
    for (std::size_t r = c + 1; r < k; ++r) {
      if (std::abs(a[r * k + c]) > std::abs(a[p * k + c])) p = r;
    }
    if (!(std::abs(a[p * k + c]) > 1e-12 * scale)) return false;
    for (std::size_t j = 0; j < k; ++j) {
      std::swap(a[c * k + j], a[p * k + j]);
      std::swap(inv[c * k + j], inv[p * k + j]);
    }
    const double d = a[c * k + c];
    for (std::size_t j = 0; j < k; ++j) {
      a[c * k + j] /= d;
      inv[c * k + j] /= d;
    }
    for (std::size_t r = 0; r < k; ++r) {
      if (r == c) continue;
      const double f = a[r * k + c];
      for (std::size_t j = 0; j < k; ++j) {
        a[r * k + j] -= f * a[c * k + j];
        inv[r * k + j] -= f * inv[c * k + j];
      }
    }
  }
  a = std::move(inv);
  return true;
}

}  // namespace

LinearFit least_squares(const std::vector<std::vector<double>>& rows, const std::vector<double>& y) {
  if (rows.size() != y.size()) throw std::invalid_argument("least_squares: one y per row");
  const std::size_t k = rows.empty() ? 0 : rows[0].size();
  LinearFit f;
  f.points = static_cast<std::int64_t>(rows.size());
  f.coef.assign(k, kNan);
  f.err.assign(k, kNan);
  f.residual = kNan;
  if (k == 0 || rows.size() < k + 1) return f;
  // Centre columns by their means before forming X^T X: better conditioned
  // for the log-axes fits, same solution.
  std::vector<double> mean(k, 0.0);
  double ymean = 0.0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].size() != k) throw std::invalid_argument("least_squares: rows of different lengths");
    for (std::size_t j = 0; j < k; ++j) mean[j] += rows[i][j];
    ymean += y[i];
  }
  const double n = static_cast<double>(rows.size());
  for (auto& m : mean) m /= n;
  ymean /= n;
  std::vector<double> xtx(k * k, 0.0), xty(k, 0.0);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    for (std::size_t a = 0; a < k; ++a) {
      const double xa = rows[i][a] - mean[a];
      xty[a] += xa * (y[i] - ymean);
      for (std::size_t b = 0; b < k; ++b) xtx[a * k + b] += xa * (rows[i][b] - mean[b]);
    }
  }
  // A constant column is centred to zero: solve for the other columns, and
  // give the constant's coefficient from the means (the intercept).
  std::vector<std::size_t> free;
  std::size_t constant = k;
  for (std::size_t j = 0; j < k; ++j) {
    if (xtx[j * k + j] == 0.0 && constant == k && mean[j] != 0.0) {
      constant = j;
    } else {
      free.push_back(j);
    }
  }
  const std::size_t m = free.size();
  std::vector<double> sub(m * m);
  for (std::size_t a = 0; a < m; ++a) {
    for (std::size_t b = 0; b < m; ++b) sub[a * m + b] = xtx[free[a] * k + free[b]];
  }
  if (m > 0 && !invert(sub, m)) return f;
  std::vector<double> beta(k, 0.0);
  for (std::size_t a = 0; a < m; ++a) {
    for (std::size_t b = 0; b < m; ++b) beta[free[a]] += sub[a * m + b] * xty[free[b]];
  }
  double shift = ymean;
  for (std::size_t a = 0; a < m; ++a) shift -= beta[free[a]] * mean[free[a]];
  if (constant < k) beta[constant] = shift / mean[constant];
  double rss = 0.0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    double pred = 0.0;
    for (std::size_t j = 0; j < k; ++j) pred += beta[j] * rows[i][j];
    rss += (y[i] - pred) * (y[i] - pred);
  }
  const double s2 = rss / (n - static_cast<double>(k));
  f.ok = true;
  f.coef = beta;
  f.residual = std::sqrt(s2);
  for (std::size_t a = 0; a < m; ++a) f.err[free[a]] = std::sqrt(s2 * sub[a * m + a]);
  if (constant < k) {
    // Var(intercept) = s^2 (1/n + xbar^T (Xc^T Xc)^-1 xbar) / c^2 for a constant column c.
    double q = 0.0;
    for (std::size_t a = 0; a < m; ++a) {
      for (std::size_t b = 0; b < m; ++b) q += mean[free[a]] * sub[a * m + b] * mean[free[b]];
    }
    f.err[constant] = std::sqrt(s2 * (1.0 / n + q)) / std::abs(mean[constant]);
  }
  return f;
}

PowerLawFit fit_power_law(const std::vector<double>& t, const std::vector<double>& y, double skip) {
  if (t.size() != y.size()) throw std::invalid_argument("fit_power_law: one y per t");
  std::vector<std::vector<double>> rows;
  std::vector<double> logy;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] > 0 && std::isfinite(y[i]) && y[i] > 0) {
      rows.push_back({1.0, std::log(t[i])});
      logy.push_back(std::log(y[i]));
    }
  }
  const auto drop = static_cast<std::size_t>(std::floor(skip * static_cast<double>(rows.size()) + 1e-9));
  rows.erase(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(std::min(drop, rows.size())));
  logy.erase(logy.begin(), logy.begin() + static_cast<std::ptrdiff_t>(std::min(drop, logy.size())));
  PowerLawFit p;
  p.points = static_cast<std::int64_t>(rows.size());
  if (rows.size() < 3) {
    p.exponent = p.exponent_err = p.intercept = p.intercept_err = kNan;
    return p;
  }
  const LinearFit f = least_squares(rows, logy);
  p.intercept = f.coef[0];
  p.intercept_err = f.err[0];
  p.exponent = f.coef[1];
  p.exponent_err = f.err[1];
  return p;
}

}  // namespace lsweep
