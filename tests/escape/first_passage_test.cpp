// First passages and censored escape times against known answers: the
// chi-squared law's quantiles (exact for 2 degrees of freedom, SciPy's
// otherwise); a hand-computed censored estimate; exponential waiting times
// with a known mean, censored at a budget; and Kramers' law for overdamped
// Langevin dynamics in the double well U(x) = x^4/4 - x^2/2 (barrier 1/4),
// measured through the same first_passage() the escape experiments use.

#include "lsweep/escape/first_passage.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "lsweep/common/fit.hpp"

namespace lsweep::escape {
namespace {

TEST(ChiSquared, QuantilesMatchTheExactAndTabulatedValues) {
  for (const double p : {0.025, 0.5, 0.9, 0.975}) {
    EXPECT_NEAR(chi_squared_quantile(p, 2.0), -2.0 * std::log(1.0 - p), 1e-10) << p;  // exponential, mean 2
  }
  // scipy.stats.chi2.ppf (Debian's python3-scipy 1.10), to 12 significant digits.
  EXPECT_NEAR(chi_squared_quantile(0.975, 10.0), 20.4831773508, 1e-9);
  EXPECT_NEAR(chi_squared_quantile(0.025, 10.0), 3.24697278024, 1e-10);
  EXPECT_NEAR(chi_squared_quantile(0.975, 8.0), 17.5345461395, 1e-9);
  EXPECT_NEAR(chi_squared_quantile(0.025, 6.0), 1.23734424579, 1e-10);
  EXPECT_NEAR(chi_squared_quantile(0.5, 1.0), 0.454936423120, 1e-11);
  EXPECT_NEAR(chi_squared_quantile(0.975, 400.0), 457.305481966, 1e-7);
  // P(a, x) on both of its branches (series below a + 1, continued fraction above).
  EXPECT_NEAR(regularized_gamma_p(1.0, 0.5), 1.0 - std::exp(-0.5), 1e-14);
  EXPECT_NEAR(regularized_gamma_p(1.0, 7.0), 1.0 - std::exp(-7.0), 1e-14);
  EXPECT_NEAR(regularized_gamma_p(0.5, 2.0), std::erf(std::sqrt(2.0)), 1e-13);
  EXPECT_THROW(chi_squared_quantile(1.0, 2.0), std::invalid_argument);
}

TEST(FirstPassage, CountsTheStepThatLeftAndCensorsAtTheBudget) {
  double x = 0.0;
  const auto climb = [&x] { return x += 1.0; };  // 1, 2, 3, ...
  const Passage left = first_passage(climb, 2.5, 10);
  EXPECT_TRUE(left.escaped);
  EXPECT_EQ(left.time, 3.0);
  x = 0.0;
  const Passage stayed = first_passage(climb, 2.5, 2);
  EXPECT_FALSE(stayed.escaped);
  EXPECT_EQ(stayed.time, 2.0);
  const Passage diverged = first_passage([] { return std::nan(""); }, 1.0, 5);
  EXPECT_TRUE(diverged.escaped);
  EXPECT_EQ(diverged.time, 1.0);
}

TEST(FirstPassages, ObservesEveryReplicaOnItsGridAndStopsWhenAllHaveLeft) {
  // Replica r climbs by r + 1 per step: it passes 10 after ceil(10.5 / (r + 1)) steps
  // (11, 6, 4, 3), seen at the next observation of every 4 steps (12, 8, 4, 4).
  std::vector<double> x(4, 0.0);
  std::int64_t steps_run = 0, calls = 0;
  const Advance climb = [&](std::int64_t steps, std::vector<double>& observed) {
    ++calls;
    steps_run += steps;
    for (std::size_t r = 0; r < x.size(); ++r) observed[r] = x[r] += static_cast<double>(steps) * (r + 1.0);
  };
  const auto all = first_passages(4, climb, 10.0, 100, 4);
  ASSERT_EQ(all.size(), 4u);
  const double want[] = {12, 8, 4, 4};
  for (std::size_t r = 0; r < 4; ++r) {
    EXPECT_TRUE(all[r].escaped) << r;
    EXPECT_EQ(all[r].time, want[r]) << r;
  }
  EXPECT_EQ(steps_run, 12);  // stopped once the slowest had left
  EXPECT_EQ(calls, 3);
  // Censored at a budget that the grid does not divide: the last stretch is
  // shorter, the budget observed; the slow replica stays in, at the budget.
  x.assign(4, 0.0);
  steps_run = 0;
  const auto cut = first_passages(4, climb, 10.0, 10, 4);
  EXPECT_EQ(steps_run, 10);
  EXPECT_FALSE(cut[0].escaped);
  EXPECT_EQ(cut[0].time, 10.0);
  EXPECT_EQ(cut[1].time, 8.0);
  EXPECT_TRUE(cut[1].escaped);
  // A NaN observable has left.
  const auto nan = first_passages(
      2,
      [](std::int64_t, std::vector<double>& o) {
        o = {std::nan(""), 0.0};
      },
      1.0, 6, 3);
  EXPECT_TRUE(nan[0].escaped);
  EXPECT_EQ(nan[0].time, 3.0);
  EXPECT_FALSE(nan[1].escaped);
  EXPECT_THROW(first_passages(0, climb, 1.0, 5, 1), std::invalid_argument);
  EXPECT_THROW(first_passages(1, climb, 1.0, 5, 0), std::invalid_argument);
}

TEST(CensoredMean, GivesTheMaximumLikelihoodEstimateAndItsInterval) {
  // Three escapes at 1, 2, 3 and two replicas censored at 5: T = 16, d = 3.
  const EscapeTime e = censored_mean({{1, true}, {2, true}, {3, true}, {5, false}, {5, false}});
  EXPECT_EQ(e.escaped, 3);
  EXPECT_EQ(e.censored, 2);
  EXPECT_EQ(e.total_time, 16.0);
  EXPECT_DOUBLE_EQ(e.tau, 16.0 / 3.0);
  EXPECT_NEAR(e.lower, 32.0 / 17.5345, 1e-4);  // 2T / chi2(0.975; 8)
  EXPECT_NEAR(e.upper, 32.0 / 1.23734, 1e-3);  // 2T / chi2(0.025; 6)
  // No escape: the mean is unbounded above, still bounded below.
  const EscapeTime none = censored_mean({{5, false}, {5, false}});
  EXPECT_TRUE(std::isinf(none.tau));
  EXPECT_TRUE(std::isinf(none.upper));
  EXPECT_NEAR(none.lower, 20.0 / (-2.0 * std::log(0.025)), 1e-9);  // 2T / chi2(0.975; 2)
  EXPECT_TRUE(std::isnan(censored_mean({}).tau));
  EXPECT_THROW(censored_mean({{1, true}}, 1.0), std::invalid_argument);
}

TEST(CensoredMean, RecoversAKnownMeanThatTheEscapedOnlyMeanUnderestimates) {
  std::mt19937_64 rng(12345);
  std::exponential_distribution<double> waiting(1.0 / 10.0);  // mean 10
  std::vector<Passage> passages;
  double escaped_sum = 0.0;
  std::int64_t escaped = 0;
  for (int r = 0; r < 4000; ++r) {
    const double t = waiting(rng);
    passages.push_back(t < 12.0 ? Passage{t, true} : Passage{12.0, false});  // budget 12: 30% censored
    if (t < 12.0) escaped_sum += t, ++escaped;
  }
  const EscapeTime e = censored_mean(passages);
  EXPECT_GT(e.censored, 1000);
  EXPECT_NEAR(e.tau, 10.0, 0.5);  // sd about 10 / sqrt(2800) = 0.19
  EXPECT_LT(e.lower, 10.0);
  EXPECT_GT(e.upper, 10.0);
  EXPECT_LT(escaped_sum / static_cast<double>(escaped), 0.6 * 10.0);  // ignoring the censored ones is badly biased
}

// Overdamped Langevin, dx = -U'(x) dt + sqrt(2 T dt) xi, from the left
// minimum x = -1 until x first exceeds 0.5 (well past the saddle at 0).
// Kramers: tau = 2 pi / sqrt(U''(-1) |U''(0)|) exp(dU / T) = sqrt(2) pi exp(1 / (4 T)).
TEST(Kramers, EscapeTimesOfADoubleWellFollowItsLaw) {
  constexpr double kDt = 0.01, kBarrier = 0.25;
  std::mt19937_64 rng(2021);
  std::normal_distribution<double> xi(0.0, 1.0);
  std::vector<std::vector<double>> rows;
  std::vector<double> log_tau;
  for (const double ratio : {3.0, 4.0, 5.0, 6.0}) {  // dU / T
    const double temperature = kBarrier / ratio, noise = std::sqrt(2.0 * temperature * kDt);
    const double kramers = std::sqrt(2.0) * M_PI * std::exp(ratio);
    const auto budget = static_cast<std::int64_t>(10.0 * kramers / kDt);
    std::vector<Passage> passages;
    for (int r = 0; r < 400; ++r) {
      double x = -1.0;
      Passage p = first_passage(
          [&] {
            x += -(x * x * x - x) * kDt + noise * xi(rng);
            return x;
          },
          0.5, budget);
      p.time *= kDt;
      passages.push_back(p);
    }
    const EscapeTime e = censored_mean(passages);
    EXPECT_LE(e.censored, 2) << "T = " << temperature;
    EXPECT_NEAR(e.tau / kramers, 1.0, 0.25) << "T = " << temperature;  // the prefactor too, to O(T) and dt
    EXPECT_LT(e.lower, e.tau);
    EXPECT_GT(e.upper, e.tau);
    rows.push_back({1.0, 1.0 / temperature});
    log_tau.push_back(std::log(e.tau));
  }
  // log tau against 1/T: the slope is the barrier, within 10%.
  const LinearFit fit = least_squares(rows, log_tau);
  ASSERT_TRUE(fit.ok);
  EXPECT_NEAR(fit.coef[1], kBarrier, 0.1 * kBarrier);
  EXPECT_LT(fit.err[1], 0.03 * kBarrier);
}

}  // namespace
}  // namespace lsweep::escape
