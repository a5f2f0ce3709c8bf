#include "lsweep/escape/first_passage.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace lsweep::escape {

Passage first_passage(const std::function<double()>& step, double level, std::int64_t budget) {
  const Advance one = [&step](std::int64_t /*steps*/, std::vector<double>& observed) { observed[0] = step(); };
  return first_passages(1, one, level, budget, 1).front();
}

std::vector<Passage> first_passages(std::int64_t replicas, const Advance& advance, double level, std::int64_t budget,
                                    std::int64_t every) {
  if (replicas < 1 || budget < 1 || every < 1) {
    throw std::invalid_argument("first_passages: needs replicas, budget and every >= 1");
  }
  std::vector<Passage> out(static_cast<std::size_t>(replicas), Passage{static_cast<double>(budget), false});
  std::vector<double> observed(out.size());
  std::int64_t left = replicas;
  for (std::int64_t t = 0; t < budget && left > 0;) {
    const std::int64_t steps = std::min(every, budget - t);
    advance(steps, observed);
    t += steps;
    for (std::size_t r = 0; r < out.size(); ++r) {
      if (!out[r].escaped && !(observed[r] <= level)) {  // above the level, or NaN
        out[r] = {static_cast<double>(t), true};
        --left;
      }
    }
  }
  return out;
}

EscapeTime censored_mean(const std::vector<Passage>& passages, double confidence) {
  if (!(confidence > 0.0 && confidence < 1.0)) {
    throw std::invalid_argument("censored_mean: confidence must lie in (0, 1)");
  }
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  constexpr double kInf = std::numeric_limits<double>::infinity();
  EscapeTime e;
  for (const auto& p : passages) {
    e.total_time += p.time;
    (p.escaped ? e.escaped : e.censored) += 1;
  }
  if (passages.empty()) {
    e.tau = e.lower = e.upper = kNaN;
    return e;
  }
  const double d = static_cast<double>(e.escaped), a = 1.0 - confidence, t2 = 2.0 * e.total_time;
  e.tau = e.escaped > 0 ? e.total_time / d : kInf;
  e.lower = t2 / chi_squared_quantile(1.0 - a / 2.0, 2.0 * d + 2.0);
  e.upper = e.escaped > 0 ? t2 / chi_squared_quantile(a / 2.0, 2.0 * d) : kInf;
  return e;
}

double regularized_gamma_p(double a, double x) {
  if (!(a > 0.0) || !(x >= 0.0)) throw std::invalid_argument("regularized_gamma_p: needs a > 0 and x >= 0");
  if (x == 0.0) return 0.0;
  const double log_prefactor = a * std::log(x) - x - std::lgamma(a);
  constexpr double kEps = 1e-16;
  if (x < a + 1.0) {
    // P = x^a e^-x / Gamma(a) * sum_n x^n / (a (a + 1) ... (a + n)).
    double term = 1.0 / a, sum = term;
    for (int n = 1; n < 100000 && std::abs(term) > kEps * std::abs(sum); ++n) {
      term *= x / (a + n);
      sum += term;
    }
    return std::min(1.0, sum * std::exp(log_prefactor));
  }
  // Q = 1 - P by its continued fraction 1 / (x + 1 - a - 1 (1 - a) / (x + 3 - a - ...)), modified Lentz.
  constexpr double kTiny = 1e-300;
  double b = x + 1.0 - a, c = 1.0 / kTiny, f = 1.0 / b, dd = f;
  for (int i = 1; i < 100000; ++i) {
    const double an = -i * (i - a);
    b += 2.0;
    dd = an * dd + b;
    if (std::abs(dd) < kTiny) dd = kTiny;
    c = b + an / c;
    if (std::abs(c) < kTiny) c = kTiny;
    dd = 1.0 / dd;
    const double delta = dd * c;
    f *= delta;
    if (std::abs(delta - 1.0) < kEps) break;
  }
  return std::max(0.0, 1.0 - std::exp(log_prefactor) * f);
}

double chi_squared_quantile(double p, double k) {
  if (!(p > 0.0 && p < 1.0) || !(k > 0.0)) throw std::invalid_argument("chi_squared_quantile: needs 0 < p < 1, k > 0");
  // Bisection on the CDF P(k/2, x/2), which rises from 0 to 1.
  double lo = 0.0, hi = std::max(1.0, k);
  while (regularized_gamma_p(k / 2.0, hi / 2.0) < p) hi *= 2.0;
  for (int i = 0; i < 200 && hi - lo > 1e-14 * hi; ++i) {
    const double mid = 0.5 * (lo + hi);
    (regularized_gamma_p(k / 2.0, mid / 2.0) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

}  // namespace lsweep::escape
