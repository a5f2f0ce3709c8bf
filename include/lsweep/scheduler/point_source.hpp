#pragma once
/// \file
/// Where the master takes its points from. The static grid is one source; an
/// adaptive one (say, bisecting the width per (lr, batch) from the results)
/// decides new points from the summaries it is shown, and may have none
/// ready while points run. Its points' rows must exist in the store from its
/// creation (their ids reserved in the job's grid), so that shapes stay fixed.

#include <cstddef>
#include <optional>
#include <vector>

#include "lsweep/common/results.hpp"
#include "lsweep/config/grid.hpp"

namespace lsweep::scheduler {

class PointSource {
 public:
  virtual ~PointSource() = default;
  /// The next point to hand out, or nullopt when none is ready now.
  virtual std::optional<config::GridPoint> next() = 0;
  /// The next task: points that one worker trains together (a pack), or
  /// empty when none is ready now. By default one point, from next().
  virtual std::vector<config::GridPoint> next_task() {
    auto p = next();
    if (!p) return {};
    return {*p};
  }
  /// True once next() will never give a point again, whatever results come.
  virtual bool exhausted() const = 0;
  /// Every point's summary as it arrives, whatever its status.
  virtual void on_result(const PointSummary& /*summary*/) {}
};

/// A fixed list of points, handed out in order. With `packs` (one pack id
/// per point, config::pack_ids), next_task() hands out the consecutive points
/// of one pack together.
class GridSource : public PointSource {
 public:
  explicit GridSource(std::vector<config::GridPoint> points, std::vector<std::int64_t> packs = {})
      : points_(std::move(points)), packs_(std::move(packs)) {}
  std::optional<config::GridPoint> next() override {
    if (next_ == points_.size()) return std::nullopt;
    return points_[next_++];
  }
  std::vector<config::GridPoint> next_task() override {
    std::vector<config::GridPoint> task;
    const std::size_t first = next_;
    while (next_ < points_.size() && (task.empty() || (!packs_.empty() && packs_[next_] == packs_[first]))) {
      task.push_back(points_[next_++]);
    }
    return task;
  }
  bool exhausted() const override { return next_ == points_.size(); }

 private:
  std::vector<config::GridPoint> points_;
  std::vector<std::int64_t> packs_;
  std::size_t next_ = 0;
};

}  // namespace lsweep::scheduler
