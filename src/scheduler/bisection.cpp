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
  for (const auto& [id, e] : ended) {
    outcome_[id] = !e.counted ? -1 : e.fitted ? 1 : 0;
    if (e.counted) ended_width_[id] = e.width;  // a failed point's width may never have been written
  }
  for (auto id : todo) {
    const auto& p = points_.at(static_cast<std::size_t>(id));
    if (p.width != config::kReservedWidth) ready_.push_back(p);
  }
  for (std::size_t line = 0; line < lines_.size(); ++line) {
    const auto& first = points_[static_cast<std::size_t>(row(line, 0, 0))];
    lines_[line].lr = first.lr;
    lines_[line].batch = first.batch;
    advance(line);
  }
  constructing_ = false;
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
  return std::all_of(lines_.begin(), lines_.end(), [](const Line& l) { return l.resolved || l.stalled; });
}

void BisectionSource::on_result(const PointSummary& summary) {
  const std::size_t line = static_cast<std::size_t>(summary.point_id) / ((widths_ + slots_) * seeds_);
  if (summary.status == PointStatus::pending || summary.status == PointStatus::running) {
    lines_[line].stalled = true;  // handed back by a drain: its outcome waits for a resume
    return;
  }
  const bool fitted = summary.status == PointStatus::done && summary.scalar(kFittedResult) == 1.0;
  outcome_[summary.point_id] = summary.status == PointStatus::failed ? -1 : fitted ? 1 : 0;
  advance(line);
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
      const auto stored = ended_width_.find(id);
      const bool same_width = stored == ended_width_.end() || stored->second == width;
      if (!todo_.count(id) && outcome_.count(id) && same_width) continue;  // ended before at this width
      if (!todo_.count(id)) {
        // Ended at another width, or left unused: only a rerun of a torn row
        // that came out differently leads here; while resuming, the stored
        // outcomes alone cannot, so the store was changed.
        if (constructing_) {
          throw SchedulerError("bisection: point " + std::to_string(id) + " was trained at width " +
                               std::to_string(stored == ended_width_.end() ? config::kReservedWidth : stored->second) +
                               " but the stored results choose width " + std::to_string(width) + " for it");
        }
        outcome_.erase(id);
        ended_width_.erase(id);
        todo_.insert(id);
      }
      config::GridPoint p = points_[static_cast<std::size_t>(id)];
      p.width = width;
      ready_.push_back(p);
    }
  }
}

}  // namespace lsweep::scheduler
