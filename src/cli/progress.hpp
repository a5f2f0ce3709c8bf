#pragma once
// The progress line, shared by the master's log and `lsweep status`.

#include <array>
#include <cstdint>
#include <string>

#include "lsweep/common/status.hpp"

namespace lsweep::cli {

using StatusCounts = std::array<std::int64_t, kPointStatusCount>;

/// "32 points: 6 done, 0 failed, 0 diverged, 0 timed out, 2 running, 24 pending;
/// 123 points/h; ETA 12 min". `points_per_hour` NaN or 0: rate and ETA unknown.
std::string progress_line(const StatusCounts& counts, double points_per_hour);

/// "45 s", "12 min", "3.5 h", "2.1 days".
std::string human_duration(double seconds);

}  // namespace lsweep::cli
