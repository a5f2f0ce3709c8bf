#include "lsweep/scheduler/bisection.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "lsweep/common/error.hpp"

namespace lsweep::scheduler {
std::int64_t bisection_width(std::int64_t low, std::int64_t high) {
  const auto mid =
      static_cast<std::int64_t>(std::llround(std::sqrt(static_cast<double>(low) * static_cast<double>(high))));
  return std::clamp(mid, low + 1, high - 1);
}

BisectionSource::BisectionSource(const config::JobConfig& job, std::vector<config::GridPoint> points,
                                 const std::vector<std::int64_t>& todo, const std::map<std::int64_t, EndedPoint>& ended,
                                 std::function<void(const config::GridPoint&)> on_unused)
    : points_(std::move(points)),
      widths_(job.grid.width.size()),
      slots_(static_cast<std::size_t>(job.grid.bisect)),
      seeds_(job.grid.seed.size()),
      todo_(todo.begin(), todo.end()),
      lines_(job.grid.lr.size() * job.grid.batch.size()),
      on_unused_(std::move(on_unused)) {
  if (points_.size() != lines_.size() * (widths_ + slots_) * seeds_) {
    throw SchedulerError("bisection: " + std::to_string(points_.size()) + " points do not form the job's grid");
  }
  for (const auto& [id, e] : ended) outcome_[id] = !e.counted ? -1 : e.fitted ? 1 : 0;
  for (auto id : todo) {
    const auto& p = points_.at(static_cast<std::size_t>(id));
    if (p.width != config::kReservedWidth) ready_.push_back(p);
  }
  for (std::size_t line = 0; line < lines_.size(); ++line) {
    advance(line);
    // A reserved row that ended before must have been given the width chosen now.
    const auto& chosen = lines_[line].chosen;
    for (std::size_t k = 0; k < chosen.size(); ++k) {
      for (std::size_t s = 0; s < seeds_; ++s) {
        const auto it = ended.find(row(line, widths_ + k, s));
        if (it != ended.end() && it->second.width != chosen[k]) {
          throw SchedulerError("bisection: point " + std::to_string(it->first) + " was trained at width " +
                               std::to_string(it->second.width) + " but the stored results choose width " +
                               std::to_string(chosen[k]) + " for it");
        }
      }
    }
  }
}

std::int64_t BisectionSource::row(std::size_t line, std::size_t slot, std::size_t seed) const {
  return static_cast<std::int64_t>((line * (widths_ + slots_) + slot) * seeds_ + seed);
}

std::optional<config::GridPoint> BisectionSource::next() {
  if (ready_.empty()) return std::nullopt;
  auto p = ready_.front();
  ready_.pop_front();
  return p;
}

bool BisectionSource::exhausted() const {
  if (!ready_.empty()) return false;
  return std::all_of(lines_.begin(), lines_.end(), [](const Line& l) { return l.resolved; });
}

void BisectionSource::on_result(const PointSummary& summary) {
  if (summary.status == PointStatus::pending || summary.status == PointStatus::running) return;
  const bool fitted = summary.status == PointStatus::done && summary.scalar(kFittedResult) == 1.0;
  outcome_[summary.point_id] = summary.status == PointStatus::failed ? -1 : fitted ? 1 : 0;
  advance(static_cast<std::size_t>(summary.point_id) / ((widths_ + slots_) * seeds_));
}

void BisectionSource::advance(std::size_t line) {
  Line& l = lines_[line];
  while (!l.resolved) {
    // Every width run so far must have all its seeds' outcomes.
    std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> counts;  // width -> (seeds, fitted)
    const std::size_t run = widths_ + l.chosen.size();
    for (std::size_t slot = 0; slot < run; ++slot) {
      const std::int64_t width =
          slot < widths_ ? points_[static_cast<std::size_t>(row(line, slot, 0))].width : l.chosen[slot - widths_];
      for (std::size_t s = 0; s < seeds_; ++s) {
        const auto it = outcome_.find(row(line, slot, s));
        if (it == outcome_.end()) return;
        auto& c = counts[width];       // a width whose every seed failed is one that did not fit
        if (it->second < 0) continue;  // failed: not counted
        ++c.first;
        c.second += it->second;
      }
    }
    l.low.reset();
    l.high.reset();
    for (const auto& [width, c] : counts) {
      if (half_fitted(c.second, c.first)) {
        l.high = width;
        break;
      }
      l.low = width;
    }
    if (!l.low || !l.high || *l.high - *l.low <= 1 || l.chosen.size() == slots_) {
      l.resolved = true;
      for (std::size_t slot = run; slot < widths_ + slots_; ++slot) {
        for (std::size_t s = 0; s < seeds_; ++s) {
          const auto id = row(line, slot, s);
          if (todo_.count(id) && on_unused_) on_unused_(points_[static_cast<std::size_t>(id)]);
        }
      }
      return;
    }
    const std::int64_t width = bisection_width(*l.low, *l.high);
    l.chosen.push_back(width);
    for (std::size_t s = 0; s < seeds_; ++s) {
      const auto id = row(line, run, s);
      if (!todo_.count(id)) continue;  // ended before: its outcome is known
      config::GridPoint p = points_[static_cast<std::size_t>(id)];
      p.width = width;
      ready_.push_back(p);
    }
  }
}

}  // namespace lsweep::scheduler
