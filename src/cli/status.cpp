// `lsweep status`: the progress line of a store, also while a sweep writes it.

#include <cmath>
#include <iostream>

#include "commands.hpp"
#include "lsweep/common/clock.hpp"
#include "lsweep/common/results.hpp"
#include "lsweep/config/layout.hpp"
#include "lsweep/store/store_reader.hpp"
#include "progress.hpp"

namespace lsweep::cli {
namespace {

// Points finished per hour over the last hour of finishes, measured up to now
// while points run, else up to the last finish (so the rate does not decay
// after a sweep stops); NaN when nothing finished yet.
double recent_rate(const std::vector<double>& started_at, const std::vector<double>& finished_at, bool running) {
  double last = kNaN;
  for (double t : finished_at) last = std::isnan(last) || t > last ? t : last;
  if (std::isnan(last)) return kNaN;
  const double end = running ? unix_now() : last;
  double begin = end, count = 0;
  for (std::size_t i = 0; i < finished_at.size(); ++i) {
    if (std::isnan(finished_at[i]) || finished_at[i] < end - 3600) continue;
    ++count;
    if (!std::isnan(started_at[i])) begin = std::min(begin, started_at[i]);
  }
  const double hours = (end - begin) / 3600;
  return count > 0 && hours > 0 ? count / hours : kNaN;
}

}  // namespace

int status_command(const std::string& store_path, bool left_only, const config::ProbeCatalog& catalog) {
  namespace L = config::layout;
  const store::StoreReader r(store_path, catalog);
  const auto status = r.statuses();
  const auto torn = r.torn_rows(status);
  StatusCounts counts{};
  std::int64_t torn_count = 0;
  for (std::size_t i = 0; i < status.size(); ++i) {
    ++counts[static_cast<int>(torn[i] ? PointStatus::pending : status[i])];  // a torn row runs again
    torn_count += torn[i] ? 1 : 0;
  }
  if (left_only) {
    std::cout << counts[static_cast<int>(PointStatus::pending)] + counts[static_cast<int>(PointStatus::running)]
              << "\n";
    return kOk;
  }
  const std::string end = r.attribute("end_time");
  const double rate = recent_rate(r.doubles(L::kStartedAt), r.doubles(L::kFinishedAt),
                                  counts[static_cast<int>(PointStatus::running)] > 0);
  std::cout << "store: " << store_path << "    job: " << r.attribute("job_name")
            << "    started: " << r.attribute("start_time") << "    "
            << (end.empty() ? "running, or stopped without closing" : "last run ended: " + end) << "\n"
            << progress_line(counts, rate);
  if (torn_count > 0) std::cout << "; " << torn_count << " finished row(s) torn by a crash will run again";
  std::cout << "\n";
  return kOk;
}

}  // namespace lsweep::cli
