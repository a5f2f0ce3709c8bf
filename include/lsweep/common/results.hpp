#pragma once
/// \file
/// Plain result structs shared by training (producer), the store (writer) and
/// the scheduler (messenger). No library types in here.

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "lsweep/common/dataset_spec.hpp"
#include "lsweep/common/status.hpp"

namespace lsweep {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// The outcome of one grid point as the master hears it. `scalars` carries
/// every per-point scalar result (every result dataset of shape [N]) by its
/// dataset path, e.g. "/results/final_train_loss" or
/// "/probes/weights/final_param_norm": a master-side decision can use any of
/// them, and a new one needs no change to the protocol.
struct PointSummary {
  std::int64_t point_id = -1;
  PointStatus status = PointStatus::pending;
  std::int64_t steps = 0;  ///< optimizer steps actually taken
  double wall_seconds = 0.0;
  std::string error;  ///< empty unless failed (or diverged, timed out, interrupted: where)
  std::map<std::string, double> scalars;

  /// The scalar result at `path`, NaN if the point has none.
  double scalar(const std::string& path) const;
};

/// The summary of a point that has no results: failed, or pending again.
PointSummary unfinished_summary(std::int64_t point_id, PointStatus status, std::string error);

/// One point's result rows (Role::result datasets), by dataset path, each
/// with exactly the row's number of values in row-major order, starting at
/// the dataset's fill value. Only paths of the layout are accepted, so a
/// misspelt path is an error, not a silently missing dataset.
class Rows {
 public:
  Rows() = default;
  Rows(const Layout& layout, std::int64_t point_id);

  /// The row of `path`; throws std::out_of_range naming it if the layout has no such result.
  std::vector<double>& operator[](const std::string& path);
  const std::vector<double>* find(const std::string& path) const;
  const std::map<std::string, std::vector<double>>& all() const { return rows_; }
  bool empty() const { return rows_.empty(); }

 private:
  std::map<std::string, std::vector<double>> rows_;
};

/// Everything stored for one point: the summary plus its result rows.
struct PointRecord {
  PointSummary summary;
  Rows rows;

  /// Copies every one-value row into summary.scalars (for the master).
  void collect_scalars();
};

}  // namespace lsweep
