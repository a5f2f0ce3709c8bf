#pragma once
/// \file
/// Grid expansion and the checkpoint schedule. Pure functions of the job.

#include <cstdint>
#include <vector>

#include "lsweep/config/job_config.hpp"

namespace lsweep::config {

/// One point of the sweep. `id` is its row in every per-point dataset.
struct GridPoint {
  std::int64_t id = -1;
  double lr = 0.0;
  std::int64_t batch = 0;  ///< resolved: "full" is already P here
  std::int64_t width = 0;
  std::int64_t seed = 0;
};

/// Expands the grid in row-major order over (lr, batch, width, seed), seed
/// fastest, so ids depend only on the job file. "full" batches become P.
/// With grid.bisect = K, each (lr, batch) has K more widths after the job's,
/// reserved for the bisection: their points have width kReservedWidth until
/// the master chooses one (scheduler/bisection.hpp).
std::vector<GridPoint> expand_grid(const JobConfig& job);

/// Which pack each point of `points` (the whole grid, from expand_grid)
/// trains in when train.pack = K > 1: points of the same batch and width, in
/// grid order, in consecutive groups of K (the last may be smaller). A pack
/// is named by the id of its first point. Depends on the job alone, so the
/// packs are the same for every rank count and on resume (where only a
/// pack's unfinished points train together). With K = 1, each point its own.
std::vector<std::int64_t> pack_ids(const JobConfig& job, const std::vector<GridPoint>& points);

/// Number of points expand_grid returns, without building them.
std::int64_t grid_size(const GridConfig& grid);

/// Steps after which the trainer evaluates: 0, then `count` log-spaced steps in
/// [1, steps] rounded to integers, duplicates removed; always ends at `steps`.
std::vector<std::int64_t> checkpoint_steps(std::int64_t steps, std::int64_t count);

/// `count` log-spaced values from `from` to `to` (both included), rounded to
/// integers, sorted, duplicates removed.
std::vector<std::int64_t> log_spaced_steps(std::int64_t from, std::int64_t to, std::int64_t count);

/// `num` values from `from` to `to` inclusive, log- or linearly spaced.
std::vector<double> spaced_values(double from, double to, std::int64_t num, bool log_spacing);

}  // namespace lsweep::config
