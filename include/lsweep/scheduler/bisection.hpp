#pragma once
/// \file
/// grid.bisect: the master bisects the width of every (lr, batch) line for
/// the jamming transition N* as results arrive. A line first runs the job's
/// widths at every seed; then, while a bracket [low, high] of N* is open
/// (high - low > 1) and reserved widths remain, it runs the width
/// round(sqrt(low high)) at every seed, and so on. N* is the smallest width
/// at which at least half of the seeds fitted (probes.jamming's `fitted`);
/// low is the largest width below it that was run. A line that fits at every
/// width, or at none, needs no bisection. Diverged and timed-out points count
/// as not fitted; failed points are not counted (a width whose every seed
/// failed counts as one that did not fit, so that the bisection moves on). Every choice depends on the
/// results alone, never on their order: a resumed sweep makes the same ones.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "lsweep/config/grid.hpp"
#include "lsweep/scheduler/point_source.hpp"

namespace lsweep::scheduler {

/// The result that says a point fitted (probes::JammingProbe::kFitted: the
/// scheduler does not link the probes; a test checks that they agree).
inline constexpr const char* kFittedResult = "/probes/jamming/fitted";

/// Whether `fitted` of `seeds` is at least half: a width at or above N*.
inline bool half_fitted(std::int64_t fitted, std::int64_t seeds) { return seeds > 0 && 2 * fitted >= seeds; }

/// The width the bisection runs between widths `low` < `high` (high - low > 1):
/// the geometric mean rounded to an integer, kept strictly inside.
std::int64_t bisection_width(std::int64_t low, std::int64_t high);

/// A point that ended in an earlier run of the sweep (resume): its width as
/// stored and whether it fitted. Diverged and timed-out points did not fit;
/// failed points (an exception, no training outcome) are not counted.
struct EndedPoint {
  std::int64_t width = 0;
  bool fitted = false;
  bool counted = true;  ///< false for a failed point
};

class BisectionSource : public PointSource {
 public:
  /// `points`: the whole grid (config::expand_grid, reserved rows included);
  /// `todo`: the ids to run (the store's pending and running rows), in the
  /// order to hand out the job's own widths; `ended`: the rows that ended
  /// before (resume). `on_unused` is called once for each reserved row left
  /// to run that the bisection will not need (possibly from the constructor).
  /// Throws SchedulerError if a reserved row that ended was trained at another
  /// width than the stored outcomes choose for it (a changed store). A row
  /// that ends differently when it runs again (a torn row) can change later
  /// choices: reserved rows that ended at another width then run again.
  BisectionSource(const config::JobConfig& job, std::vector<config::GridPoint> points,
                  const std::vector<std::int64_t>& todo, const std::map<std::int64_t, EndedPoint>& ended,
                  std::function<void(const config::GridPoint&)> on_unused = {});

  std::optional<config::GridPoint> next() override;
  bool exhausted() const override;
  /// Learns a point's outcome (done: probes.jamming's fitted; diverged,
  /// timed out: not fitted; failed: not counted, as in `lsweep report
  /// --transitions`). A pending summary (a drain) is no outcome: the line
  /// stalls (exhausted() counts it as finished) until a resume.
  void on_result(const PointSummary& summary) override;

  /// One (lr, batch) line's state.
  struct Line {
    double lr = 0.0;
    std::int64_t batch = 0;                 ///< resolved, as in GridPoint
    std::vector<std::int64_t> chosen;       ///< widths given to its reserved slots, in order
    bool resolved = false;                  ///< no more widths will be chosen
    bool stalled = false;                   ///< a point came back pending (a drain): waits for a resume
    std::optional<std::int64_t> low, high;  ///< N*'s bracket so far (widths)
  };
  const std::vector<Line>& lines() const { return lines_; }

 private:
  std::int64_t row(std::size_t line, std::size_t slot, std::size_t seed) const;
  void advance(std::size_t line);
  std::vector<config::GridPoint> points_;
  std::size_t widths_, slots_, seeds_;  // the job's widths, reserved slots, seeds per line
  std::set<std::int64_t> todo_;
  std::map<std::int64_t, std::int64_t> ended_width_;  // stored width of each counted row that ended before
  bool constructing_ = true;
  std::map<std::int64_t, int> outcome_;  // of each ended row: 1 fitted, 0 not, -1 not counted (failed)
  std::vector<Line> lines_;
  std::deque<config::GridPoint> ready_;
  std::function<void(const config::GridPoint&)> on_unused_;
};

}  // namespace lsweep::scheduler
