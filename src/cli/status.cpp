// `lsweep status`: the progress line of a store, also while a sweep writes it.

#include <cmath>
#include <iostream>

#include "commands.hpp"
#include "lsweep/common/clock.hpp"
#include "lsweep/store/store.hpp"
#include "progress.hpp"

namespace lsweep::cli {
namespace {

// Points finished per hour over the last hour of finishes, measured up to now
// while points run, else up to the last finish (so the rate does not decay
// after a sweep stops); NaN when nothing finished yet.
double recent_rate(const store::StoreContents& c, bool running) {
  double last = kNaN;
  for (double t : c.finished_at) last = std::isnan(last) || t > last ? t : last;
  if (std::isnan(last)) return kNaN;
  const double end = running ? unix_now() : last;
  double begin = end, count = 0;
  for (std::size_t i = 0; i < c.finished_at.size(); ++i) {
    if (std::isnan(c.finished_at[i]) || c.finished_at[i] < end - 3600) continue;
    ++count;
    if (!std::isnan(c.started_at[i])) begin = std::min(begin, c.started_at[i]);
  }
  const double hours = (end - begin) / 3600;
  return count > 0 && hours > 0 ? count / hours : kNaN;
}

}  // namespace

int status_command(const std::string& store_path, bool left_only) {
  const store::StoreContents c = store::read_store(store_path);
  StatusCounts counts{};
  for (const auto& p : c.points) ++counts[static_cast<int>(p.summary.status)];
  if (left_only) {
    std::cout << counts[static_cast<int>(PointStatus::pending)] + counts[static_cast<int>(PointStatus::running)]
              << "\n";
    return kOk;
  }
  const auto attr = [&](const char* name) {
    auto it = c.attributes.find(name);
    return it == c.attributes.end() ? std::string() : it->second;
  };
  const std::string end = attr("end_time");
  std::cout << "store: " << store_path << "    job: " << attr("job_name") << "    started: " << attr("start_time")
            << "    " << (end.empty() ? "running, or stopped without closing" : "last run ended: " + end) << "\n"
            << progress_line(counts, recent_rate(c, counts[static_cast<int>(PointStatus::running)] > 0)) << "\n";
  return kOk;
}

}  // namespace lsweep::cli
