#pragma once
// Deciding, before any collective step, whether `lsweep run` creates a new
// store or resumes an existing one, and which points are left to run.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "lsweep/config/job_config.hpp"
#include "lsweep/scheduler/bisection.hpp"
#include "progress.hpp"
#include "store_lock.hpp"

namespace lsweep::cli {

struct StorePlan {
  int exit_code = 0;  ///< non-zero: refuse with `error`, nothing touched
  std::string error;
  bool resume = false;             ///< open the existing store instead of creating one
  std::vector<std::int64_t> todo;  ///< point ids to run (pending or running in the store)
  StatusCounts counts{};           ///< the store's points by status (rank 0 only: not broadcast)
  /// With grid.bisect, the points that ended, with their stored widths and
  /// whether they fitted (rank 0 only: not broadcast).
  std::map<std::int64_t, scheduler::EndedPoint> ended;
  StoreLock lock;  ///< rank 0 only: held for the whole run
};

/// Serial (rank 0 only). Refuses, before anything is created, paths that
/// cannot be a store: empty, a folder, a FIFO, a device, a dangling symbolic
/// link, a missing or read-only folder. Then takes the store's lock (see
/// StoreLock: one run per store, whatever the spelling of its path), held in
/// the plan until it is destroyed. A new store is made as "PATH.creating"
/// (created and locked here; a leftover from a run killed while creating is
/// taken over). An existing path must be a lsweep store made by the same job
/// (config::job_differences) whose datasets all have the job's shapes, types
/// and job-given content (grid, checkpoint steps); its pending and running
/// points, and finished points whose row checksum does not match (rows torn
/// by a crash), are left to run.
StorePlan plan_store(const std::string& path, const config::JobConfig& job, const config::ProbeCatalog& catalog);

}  // namespace lsweep::cli
