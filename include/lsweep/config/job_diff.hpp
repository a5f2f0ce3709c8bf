#pragma once
/// \file
/// Which fields of two jobs would give different results. Used to refuse
/// resuming a store with a job that is not the one that made it. Pure.

#include <string>
#include <vector>

#include "lsweep/config/job_config.hpp"

namespace lsweep::config {

/// One line per differing field, "data.train_size: store has 1024, job has 2048".
/// Fields that cannot change a point's results are not compared: name,
/// data.path (the same files may live elsewhere on another cluster),
/// train.threads, train.device and train.point_time_limit. Probes are
/// compared by presence and by every field their spec lists.
std::vector<std::string> job_differences(const JobConfig& stored, const JobConfig& current);

}  // namespace lsweep::config
