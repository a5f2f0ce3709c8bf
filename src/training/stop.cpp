#include "lsweep/training/stop.hpp"

#include <cmath>

#include "lsweep/common/format.hpp"

namespace lsweep::training {
namespace {

class Interrupt : public StopCriterion {
 public:
  explicit Interrupt(const std::atomic<bool>* flag) : flag_(flag) {}
  std::optional<StopReason> check(const StepReport& r) override {
    if (!flag_->load(std::memory_order_relaxed)) return std::nullopt;
    return StopReason{PointStatus::pending,
                      "interrupted by a drain signal after step " + std::to_string(r.step) + "; runs again on resume"};
  }

 private:
  const std::atomic<bool>* flag_;
};

class TimeLimit : public StopCriterion {
 public:
  explicit TimeLimit(double seconds) : seconds_(seconds) {}
  std::optional<StopReason> check(const StepReport& r) override {
    if (r.elapsed_seconds <= seconds_) return std::nullopt;
    return StopReason{PointStatus::timed_out, "exceeded train.point_time_limit = " + shortest_double(seconds_) +
                                                  " s after step " + std::to_string(r.step)};
  }

 private:
  double seconds_;
};

class Divergence : public StopCriterion {
 public:
  std::optional<StopReason> check(const StepReport& r) override {
    if (std::isfinite(r.minibatch_loss)) return std::nullopt;
    return StopReason{PointStatus::diverged, "minibatch loss became " + std::to_string(r.minibatch_loss) + " at step " +
                                                 std::to_string(r.step)};
  }
};

}  // namespace

std::unique_ptr<StopCriterion> stop_on_interrupt(const std::atomic<bool>* flag) {
  return std::make_unique<Interrupt>(flag);
}
std::unique_ptr<StopCriterion> stop_after_seconds(double seconds) { return std::make_unique<TimeLimit>(seconds); }
std::unique_ptr<StopCriterion> stop_on_divergence() { return std::make_unique<Divergence>(); }

std::optional<StopReason> first_stop(StopCriteria& criteria, const StepReport& report) {
  for (auto& c : criteria) {
    if (auto reason = c->check(report)) return reason;
  }
  return std::nullopt;
}

}  // namespace lsweep::training
