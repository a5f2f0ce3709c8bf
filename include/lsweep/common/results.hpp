#pragma once
/// \file
/// Plain result structs shared by training (producer), the store (writer) and
/// the scheduler (messenger). No library types in here.

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "lsweep/common/status.hpp"

namespace lsweep {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// The scalar outcome of one grid point: what the master hears and the
/// /results datasets hold. Losses are means over the whole set, accuracies in [0, 1].
struct PointSummary {
  std::int64_t point_id = -1;
  PointStatus status = PointStatus::pending;
  double final_train_loss = kNaN;
  double final_test_loss = kNaN;
  double train_accuracy = kNaN;
  double test_accuracy = kNaN;
  std::int64_t steps = 0;  ///< optimizer steps actually taken
  double wall_seconds = 0.0;
  std::string error;  ///< empty unless failed (or diverged: where)
};

/// The summary of a point that has no results: failed, or pending again.
inline PointSummary unfinished_summary(std::int64_t point_id, PointStatus status, std::string error) {
  PointSummary s;
  s.point_id = point_id;
  s.status = status;
  s.error = std::move(error);
  return s;
}

/// Everything stored for one point: the summary plus time series at the
/// checkpoint steps (NaN at checkpoints the run did not reach).
struct PointRecord {
  PointSummary summary;
  std::vector<double> train_loss;      ///< full-train-set loss at each checkpoint
  std::vector<double> train_accuracy;  ///< full-train-set accuracy at each checkpoint
};

}  // namespace lsweep
