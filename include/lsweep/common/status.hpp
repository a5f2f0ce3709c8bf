#pragma once
/// \file
/// The life cycle of one grid point, as stored in /points/status.

#include <cstdint>
#include <string>

namespace lsweep {

/// Values are part of the store format: never renumber.
enum class PointStatus : std::int8_t {
  pending = 0,    ///< not started
  running = 1,    ///< a worker took it and has not finished
  done = 2,       ///< trained the full step budget
  failed = 3,     ///< an exception stopped it; see the error message
  diverged = 4,   ///< the loss became NaN or inf; stopped early
  timed_out = 5,  ///< exceeded the per-point wall-clock limit
  unused = 6,     ///< a row reserved for grid.bisect that the bisection did not need; never trained
};

inline constexpr int kPointStatusCount = 7;

/// "pending", "running", ... as written in reports.
const char* to_string(PointStatus status);
/// Inverse of to_string for a stored integer; throws StorageError when out of range.
PointStatus point_status_from_int(int value);

}  // namespace lsweep
