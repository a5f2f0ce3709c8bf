#include "progress.hpp"

#include <cmath>
#include <cstdio>

namespace lsweep::cli {

std::string human_duration(double seconds) {
  char buf[32];
  if (seconds < 90) {
    std::snprintf(buf, sizeof buf, "%.0f s", seconds);
  } else if (seconds < 90 * 60) {
    std::snprintf(buf, sizeof buf, "%.0f min", seconds / 60);
  } else if (seconds < 48 * 3600) {
    std::snprintf(buf, sizeof buf, "%.1f h", seconds / 3600);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f days", seconds / 86400);
  }
  return buf;
}

std::string progress_line(const StatusCounts& counts, double points_per_hour) {
  std::int64_t total = 0;
  for (auto c : counts) total += c;
  const auto n = [&](PointStatus s) { return std::to_string(counts[static_cast<int>(s)]); };
  std::string line = std::to_string(total) + " points: " + n(PointStatus::done) + " done, " + n(PointStatus::failed) +
                     " failed, " + n(PointStatus::diverged) + " diverged, " + n(PointStatus::timed_out) +
                     " timed out, " + n(PointStatus::running) + " running, " + n(PointStatus::pending) + " pending";
  if (counts[static_cast<int>(PointStatus::unused)] > 0) line += ", " + n(PointStatus::unused) + " unused";
  const auto left = counts[static_cast<int>(PointStatus::pending)] + counts[static_cast<int>(PointStatus::running)];
  if (!(points_per_hour > 0)) return line + "; rate not known yet";
  char rate[32];
  std::snprintf(rate, sizeof rate, points_per_hour >= 100 ? "%.0f" : "%.3g", points_per_hour);
  line += std::string("; ") + rate + " points/h";
  if (left > 0) line += "; ETA " + human_duration(3600.0 * static_cast<double>(left) / points_per_hour);
  return line;
}

}  // namespace lsweep::cli
