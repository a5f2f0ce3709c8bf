#pragma once
// Deciding, before any collective step, whether `lsweep run` creates a new
// store or resumes an existing one, and which points are left to run.

#include <cstdint>
#include <string>
#include <vector>

#include "lsweep/config/job_config.hpp"
#include "progress.hpp"

namespace lsweep::cli {

struct StorePlan {
  int exit_code = 0;  ///< non-zero: refuse with `error`, nothing touched
  std::string error;
  bool resume = false;             ///< open the existing store instead of creating one
  std::vector<std::int64_t> todo;  ///< point ids to run (pending or running in the store)
  StatusCounts counts{};           ///< the store's points by status (rank 0 only: not broadcast)
};

/// Serial (rank 0 only). First takes PATH.lock (flock, held until the
/// process ends, released by the kernel even on kill -9): one run per store.
/// A new store needs a writable folder; a leftover
/// "PATH.creating" from a run killed while creating is removed. An existing
/// path must be a lsweep store made by the same job (config::job_differences);
/// its pending and running points are left to run.
StorePlan plan_store(const std::string& path, const config::JobConfig& job);

}  // namespace lsweep::cli
