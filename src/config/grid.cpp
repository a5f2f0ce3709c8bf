#include "lsweep/config/grid.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace lsweep::config {

std::vector<std::int64_t> pack_ids(const JobConfig& job, const std::vector<GridPoint>& points) {
  struct Group {
    std::int64_t count = 0, pack = -1;
  };
  std::map<std::pair<std::int64_t, std::int64_t>, Group> groups;  // by (batch, width)
  std::vector<std::int64_t> ids;
  ids.reserve(points.size());
  for (const auto& p : points) {
    Group& g = groups[{p.batch, p.width}];
    if (g.count++ % job.train.pack == 0) g.pack = p.id;
    ids.push_back(g.pack);
  }
  return ids;
}

std::int64_t grid_size(const GridConfig& grid) {
  return static_cast<std::int64_t>(grid.lr.size() * grid.batch.size() *
                                   (grid.width.size() + static_cast<std::size_t>(grid.bisect)) * grid.seed.size());
}

std::vector<GridPoint> expand_grid(const JobConfig& job) {
  std::vector<GridPoint> points;
  points.reserve(static_cast<std::size_t>(grid_size(job.grid)));
  for (double lr : job.grid.lr) {
    for (std::int64_t batch : job.grid.batch) {
      std::vector<std::int64_t> widths = job.grid.width;
      widths.insert(widths.end(), static_cast<std::size_t>(job.grid.bisect), kReservedWidth);
      for (std::int64_t width : widths) {
        for (std::int64_t seed : job.grid.seed) {
          const std::int64_t resolved = batch == kFullBatch ? job.data.train_size : batch;
          points.push_back({static_cast<std::int64_t>(points.size()), lr, resolved, width, seed});
        }
      }
    }
  }
  return points;
}

std::vector<double> spaced_values(double from, double to, std::int64_t num, bool log_spacing) {
  std::vector<double> values;
  if (num <= 0) return values;
  if (num == 1) return {from};
  for (std::int64_t i = 0; i < num; ++i) {
    const double t = static_cast<double>(i) / static_cast<double>(num - 1);
    values.push_back(log_spacing ? std::exp(std::log(from) + t * (std::log(to) - std::log(from)))
                                 : from + t * (to - from));
  }
  // The ends are exact, not exp(log(x)).
  values.front() = from;
  values.back() = to;
  return values;
}

std::vector<std::int64_t> log_spaced_steps(std::int64_t from, std::int64_t to, std::int64_t count) {
  std::vector<std::int64_t> out;
  for (double v : spaced_values(static_cast<double>(from), static_cast<double>(to), count, true)) {
    out.push_back(std::llround(v));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::int64_t> checkpoint_steps(std::int64_t steps, std::int64_t count) {
  auto out = log_spaced_steps(1, steps, std::max<std::int64_t>(count, 1));
  out.insert(out.begin(), 0);
  if (out.back() != steps) out.push_back(steps);  // count = 1 gives step 1 only
  return out;
}

}  // namespace lsweep::config
