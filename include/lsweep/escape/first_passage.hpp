#pragma once
/// \file
/// First-passage times out of a basin, and the mean escape time from
/// replicas that may not all have escaped within their budget (right
/// censoring). The escape experiments of SCIENCE.md section 4 (seeds 000 and
/// 002: Eyring-Kramers; SGD against white noise) measure each replica with
/// first_passage() and summarise a point's replicas with censored_mean();
/// the tests check both on Langevin dynamics in a double well, whose escape
/// time Kramers' law gives.

#include <cstdint>
#include <functional>
#include <vector>

namespace lsweep::escape {

/// One replica: the step at which it first left the basin, or, not escaped,
/// the number of steps it ran without leaving (its budget).
struct Passage {
  double time = 0.0;
  bool escaped = false;
};

/// Runs `step` (one step of the dynamics, returning the observable after it:
/// a loss, a position) until the observable first exceeds `level`, or until
/// `budget` steps have run. The time is the number of steps taken: 1 if the
/// first step already left. A NaN observable counts as escaped (a diverged
/// replica has left every basin).
Passage first_passage(const std::function<double()>& step, double level, std::int64_t budget);

/// Advances every replica `steps` more steps and writes each one's
/// observable after them into `observed` (one value per replica).
using Advance = std::function<void(std::int64_t steps, std::vector<double>& observed)>;

/// `replicas` replicas run together (one batched computation), observed
/// every `every` steps: the last stretch is shorter when `every` does not
/// divide `budget`, so that the budget is always observed. A replica's time
/// is the step count at its first observation above `level` (or NaN): the
/// first passage rounded up to the observation grid, late by less than
/// `every` steps. Replicas that have escaped keep running (their observable
/// no longer matters); the loop stops early once every replica has escaped.
/// first_passage() is this with one replica observed at every step.
std::vector<Passage> first_passages(std::int64_t replicas, const Advance& advance, double level, std::int64_t budget,
                                    std::int64_t every = 1);

/// The mean escape time of replicas with memoryless escapes (exponential
/// waiting times: the Eyring-Kramers regime of rare escapes), right-censored
/// at their budgets.
struct EscapeTime {
  double tau = 0.0;    ///< maximum likelihood: total time / escapes; +inf with no escape
  double lower = 0.0;  ///< confidence interval, time-terminated chi-squared:
  double upper = 0.0;  ///<   [2T / chi2(1 - a/2; 2d + 2), 2T / chi2(a/2; 2d)], upper +inf when d = 0
  std::int64_t escaped = 0, censored = 0;
  double total_time = 0.0;  ///< T: the sum of every replica's time, escaped or not
};
/// `confidence` in (0, 1), e.g. 0.95. NaN estimate and interval without replicas.
EscapeTime censored_mean(const std::vector<Passage>& passages, double confidence = 0.95);

/// The regularised lower incomplete gamma function P(a, x), a > 0, x >= 0.
double regularized_gamma_p(double a, double x);
/// The p-quantile of the chi-squared law with k > 0 degrees of freedom.
double chi_squared_quantile(double p, double k);

}  // namespace lsweep::escape
