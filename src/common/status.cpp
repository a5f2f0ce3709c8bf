#include "lsweep/common/status.hpp"

#include "lsweep/common/error.hpp"

namespace lsweep {

const char* to_string(PointStatus status) {
  switch (status) {
    case PointStatus::pending: return "pending";
    case PointStatus::running: return "running";
    case PointStatus::done: return "done";
    case PointStatus::failed: return "failed";
    case PointStatus::diverged: return "diverged";
    case PointStatus::timed_out: return "timed_out";
    case PointStatus::unused: return "unused";
  }
  return "unknown";
}

PointStatus point_status_from_int(int value) {
  if (value < 0 || value >= kPointStatusCount) {
    throw StorageError("point status " + std::to_string(value) + " is not one of 0.." +
                       std::to_string(kPointStatusCount - 1));
  }
  return static_cast<PointStatus>(value);
}

}  // namespace lsweep
