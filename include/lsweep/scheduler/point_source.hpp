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
  /// True once next() will never give a point again, whatever results come.
  virtual bool exhausted() const = 0;
  /// Every point's summary as it arrives, whatever its status.
  virtual void on_result(const PointSummary& /*summary*/) {}
};

/// A fixed list of points, handed out in order.
class GridSource : public PointSource {
 public:
  explicit GridSource(std::vector<config::GridPoint> points) : points_(std::move(points)) {}
  std::optional<config::GridPoint> next() override {
    if (next_ == points_.size()) return std::nullopt;
    return points_[next_++];
  }
  bool exhausted() const override { return next_ == points_.size(); }

 private:
  std::vector<config::GridPoint> points_;
  std::size_t next_ = 0;
};

}  // namespace lsweep::scheduler
