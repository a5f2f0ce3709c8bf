#pragma once
/// \file
/// Why a point stops before its step budget: a list of criteria the trainer
/// checks after every step, in order; the first that fires decides the
/// status (Ginkgo's stop::Criterion, as composable units).

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lsweep/common/status.hpp"

namespace lsweep::training {

/// What the trainer knows after a step.
struct StepReport {
  std::int64_t step = 0;         ///< steps taken so far
  double minibatch_loss = 0.0;   ///< loss of the step just taken
  double elapsed_seconds = 0.0;  ///< wall time since the point started
};

/// The status a criterion gives and why ("minibatch loss became inf at step 3").
struct StopReason {
  PointStatus status = PointStatus::done;
  std::string why;
};

class StopCriterion {
 public:
  virtual ~StopCriterion() = default;
  virtual std::optional<StopReason> check(const StepReport& report) = 0;
};

using StopCriteria = std::vector<std::unique_ptr<StopCriterion>>;

/// pending ("interrupted by a drain signal after step S; runs again on resume") once `*flag` is true.
std::unique_ptr<StopCriterion> stop_on_interrupt(const std::atomic<bool>* flag);
/// timed_out once more than `seconds` have passed.
std::unique_ptr<StopCriterion> stop_after_seconds(double seconds);
/// diverged at the first non-finite minibatch loss.
std::unique_ptr<StopCriterion> stop_on_divergence();

/// The first criterion that fires, in order; nullopt if none.
std::optional<StopReason> first_stop(StopCriteria& criteria, const StepReport& report);

}  // namespace lsweep::training
