#include "lsweep/scheduler/bisection.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <random>
#include <thread>

#include "lsweep/common/error.hpp"
#include "lsweep/scheduler/local_transport.hpp"
#include "lsweep/scheduler/master.hpp"
#include "lsweep/scheduler/worker.hpp"

namespace lsweep::scheduler {
namespace {

// Two lines (lr 0.1 and 0.2, batch 8), widths 4 and 32, seeds 0..2, five
// reserved widths per line.
config::JobConfig job() {
  config::JobConfig j;
  j.data.train_size = 64;
  j.grid.lr = {0.1, 0.2};
  j.grid.batch = {8};
  j.grid.width = {4, 32};
  j.grid.seed = {0, 1, 2};
  j.grid.bisect = 5;
  return j;
}

// The scripted outcome: seed s fits from width 10 + s (lr 0.1) or 20 + 3 s
// (lr 0.2), so that half of the seeds fit from N* = 11 and N* = 23.
bool fits(const config::GridPoint& p) {
  const std::int64_t from = p.lr < 0.15 ? 10 + p.seed : 20 + 3 * p.seed;
  return p.width >= from;
}

PointSummary result(const config::GridPoint& p) {
  PointSummary s;
  s.point_id = p.id;
  s.status = PointStatus::done;
  s.scalars[kFittedResult] = fits(p) ? 1.0 : 0.0;
  return s;
}

struct Outcome {
  std::vector<std::vector<std::int64_t>> chosen;                // per line
  std::vector<std::pair<std::int64_t, std::int64_t>> low_high;  // per line
  std::map<std::int64_t, std::int64_t> trained;                 // id -> width
  std::set<std::int64_t> unused;
};

// Drives a source by hand: takes every ready point, then returns the results
// of the held points in an order shuffled by `order_seed` (0: in order), one
// at a time, until the source is exhausted or `stop_after` results were given.
// Returns the points handed out but not answered (a drain cut them off).
std::vector<config::GridPoint> drive(BisectionSource& source, Outcome& run, std::uint64_t order_seed,
                                     std::size_t stop_after = SIZE_MAX) {
  std::vector<config::GridPoint> held;
  std::mt19937_64 rng(order_seed);
  std::size_t given = 0;
  while (!source.exhausted()) {
    while (auto p = source.next()) held.push_back(*p);
    if (held.empty()) ADD_FAILURE() << "the source waits with nothing running";
    if (held.empty()) break;
    const std::size_t pick = order_seed == 0 ? 0 : rng() % held.size();
    const auto p = held[pick];
    held.erase(held.begin() + static_cast<std::ptrdiff_t>(pick));
    if (given++ == stop_after) {
      held.push_back(p);
      return held;
    }
    EXPECT_EQ(run.trained.count(p.id), 0u) << "point " << p.id << " ran twice";
    EXPECT_NE(p.width, config::kReservedWidth);
    run.trained[p.id] = p.width;
    source.on_result(result(p));
  }
  for (const auto& l : source.lines()) {
    EXPECT_TRUE(l.resolved);
    run.chosen.push_back(l.chosen);
    run.low_high.emplace_back(l.low.value_or(-1), l.high.value_or(-1));
  }
  return held;
}

Outcome full_run(std::uint64_t order_seed) {
  Outcome run;
  const auto j = job();
  const auto points = config::expand_grid(j);
  std::vector<std::int64_t> todo;
  for (const auto& p : points) todo.push_back(p.id);
  BisectionSource source(j, points, todo, {}, [&](const config::GridPoint& p) { run.unused.insert(p.id); });
  drive(source, run, order_seed);
  return run;
}

TEST(Bisection, WidthIsTheRoundedGeometricMeanStrictlyInside) {
  EXPECT_EQ(bisection_width(4, 32), 11);  // sqrt(128) = 11.3
  EXPECT_EQ(bisection_width(4, 11), 7);   // sqrt(44) = 6.6
  EXPECT_EQ(bisection_width(9, 11), 10);
  EXPECT_EQ(bisection_width(1, 3), 2);
  EXPECT_EQ(bisection_width(10, 12), 11);
  EXPECT_EQ(bisection_width(100, 102), 101);
}

TEST(Bisection, BracketsAKnownThresholdInThePromisedPoints) {
  const Outcome run = full_run(0);
  ASSERT_EQ(run.chosen.size(), 2u);
  // lr 0.1: 11 (fits), 7, 9, 10 (do not): N* = 11, bracketed by 10, in 4 widths.
  EXPECT_EQ(run.chosen[0], (std::vector<std::int64_t>{11, 7, 9, 10}));
  EXPECT_EQ(run.low_high[0], (std::pair<std::int64_t, std::int64_t>{10, 11}));
  // lr 0.2: 11, 19 (no), 25 (2 of 3 fit), 22 (no), 23 (2 of 3): N* = 23 in all 5 widths.
  EXPECT_EQ(run.chosen[1], (std::vector<std::int64_t>{11, 19, 25, 22, 23}));
  EXPECT_EQ(run.low_high[1], (std::pair<std::int64_t, std::int64_t>{22, 23}));
  // (2 + 4) x 3 + (2 + 5) x 3 points trained; line 0's last reserved width unused.
  EXPECT_EQ(run.trained.size(), 39u);
  EXPECT_EQ(run.unused, (std::set<std::int64_t>{18, 19, 20}));
  for (const auto& [id, width] : run.trained) {
    if (id % 21 >= 6) {
      EXPECT_EQ(width, run.chosen[static_cast<std::size_t>(id / 21)][static_cast<std::size_t>(id % 21 - 6) / 3]) << id;
    }
  }
}

TEST(Bisection, ResultsOutOfOrderMakeTheSameChoices) {
  const Outcome ordered = full_run(0);
  for (std::uint64_t seed : {1u, 2u, 3u, 17u}) {
    const Outcome shuffled = full_run(seed);
    EXPECT_EQ(shuffled.chosen, ordered.chosen) << seed;
    EXPECT_EQ(shuffled.trained, ordered.trained) << seed;
    EXPECT_EQ(shuffled.unused, ordered.unused) << seed;
  }
}

TEST(Bisection, ADrainAndResumeInTheMiddleMakeTheSameChoices) {
  const Outcome whole = full_run(0);
  const auto j = job();
  const auto points = config::expand_grid(j);
  for (std::size_t cut : {3u, 8u, 14u, 20u, 30u}) {
    Outcome first;
    std::vector<std::int64_t> todo;
    for (const auto& p : points) todo.push_back(p.id);
    BisectionSource before(j, points, todo, {}, [&](const config::GridPoint& p) { first.unused.insert(p.id); });
    const auto cut_off = drive(before, first, 5, cut);
    // The store after the drain: ended rows with their widths, the rest (cut-off ones too) pending.
    std::map<std::int64_t, EndedPoint> ended;
    todo.clear();
    for (const auto& p : points) {
      const auto it = first.trained.find(p.id);
      if (it != first.trained.end()) {
        config::GridPoint q = p;
        q.width = it->second;
        ended[p.id] = {it->second, fits(q)};
      } else if (!first.unused.count(p.id)) {
        todo.push_back(p.id);
      }
    }
    Outcome second;
    BisectionSource after(j, points, todo, ended, [&](const config::GridPoint& p) { second.unused.insert(p.id); });
    drive(after, second, 9);
    EXPECT_EQ(second.chosen, whole.chosen) << cut;
    std::map<std::int64_t, std::int64_t> trained = first.trained;
    for (const auto& [id, w] : second.trained) EXPECT_TRUE(trained.emplace(id, w).second) << "ran twice: " << id;
    EXPECT_EQ(trained, whole.trained) << cut;
    std::set<std::int64_t> unused = first.unused;
    unused.insert(second.unused.begin(), second.unused.end());
    EXPECT_EQ(unused, whole.unused) << cut;
  }
}

TEST(Bisection, LinesThatFitEverywhereOrNowhereNeedNoWidths) {
  auto j = job();
  j.grid.width = {40, 64};  // every seed fits at both widths on both lines
  auto points = config::expand_grid(j);
  std::vector<std::int64_t> todo;
  for (const auto& p : points) todo.push_back(p.id);
  Outcome run;
  BisectionSource source(j, points, todo, {}, [&](const config::GridPoint& p) { run.unused.insert(p.id); });
  drive(source, run, 0);
  EXPECT_EQ(run.trained.size(), 12u);
  EXPECT_EQ(run.unused.size(), 30u);
  EXPECT_EQ(run.low_high[0], (std::pair<std::int64_t, std::int64_t>{-1, 40}));
  j.grid.width = {2, 3};  // none fits
  points = config::expand_grid(j);
  Outcome none;
  BisectionSource never(j, points, todo, {}, {});
  drive(never, none, 0);
  EXPECT_EQ(none.trained.size(), 12u);
  EXPECT_EQ(none.low_high[1], (std::pair<std::int64_t, std::int64_t>{3, -1}));
}

TEST(Bisection, DivergedPointsDidNotFitAndFailedOnesAreNotCounted) {
  const auto j = job();
  const auto points = config::expand_grid(j);
  std::vector<std::int64_t> todo;
  for (const auto& p : points) todo.push_back(p.id);
  BisectionSource source(j, points, todo, {});
  std::vector<config::GridPoint> held;
  while (auto p = source.next()) held.push_back(*p);
  ASSERT_EQ(held.size(), 12u);  // the job's widths first
  for (const auto& p : held) {
    PointSummary s = result(p);
    // Line 0 at width 32: seed 0 failed, seeds 1 and 2 diverged: nothing fits there.
    if (p.lr < 0.15 && p.width == 32) {
      s = unfinished_summary(p.id, p.seed == 0 ? PointStatus::failed : PointStatus::diverged, "x");
    }
    // Line 1 at width 32: seeds 0 and 1 failed; seed 2 fits, 1 of the 1 counted: N* <= 32.
    if (p.lr > 0.15 && p.width == 32 && p.seed < 2) s = unfinished_summary(p.id, PointStatus::failed, "x");
    source.on_result(s);
  }
  EXPECT_TRUE(source.lines()[0].resolved);  // nothing fits at 4 or 32: nothing to bisect
  EXPECT_FALSE(source.lines()[0].high.has_value());
  EXPECT_EQ(source.lines()[1].lr, 0.2);
  EXPECT_EQ(source.lines()[1].batch, 8);
  EXPECT_FALSE(source.lines()[1].resolved);
  EXPECT_EQ(source.lines()[1].high, 32);
  EXPECT_EQ(source.lines()[1].chosen, (std::vector<std::int64_t>{11}));
}

// The store of a resumed sweep: each row that `trained_at` gives a width
// ended at that width, with the scripted outcome; the others are left to run.
struct Resumed {
  std::map<std::int64_t, EndedPoint> ended;
  std::vector<std::int64_t> todo;
  void end(std::int64_t id, EndedPoint e) {
    ended[id] = e;
    todo.erase(std::remove(todo.begin(), todo.end(), id), todo.end());
  }
};
Resumed resumed(const std::vector<config::GridPoint>& points,
                const std::function<std::optional<std::int64_t>(const config::GridPoint&)>& trained_at) {
  Resumed r;
  for (const auto& p : points) {
    if (const auto width = trained_at(p)) {
      config::GridPoint q = p;
      q.width = *width;
      r.ended[p.id] = {q.width, fits(q)};
    } else {
      r.todo.push_back(p.id);
    }
  }
  return r;
}

// Line 0's listed widths (rows 0..5) ended.
std::optional<std::int64_t> listed_of_line0(const config::GridPoint& p) {
  return p.id < 6 ? std::optional<std::int64_t>(p.width) : std::nullopt;
}

TEST(Bisection, AStoredWidthThatDisagreesIsRefused) {
  const auto j = job();
  const auto points = config::expand_grid(j);
  Resumed r = resumed(points, listed_of_line0);
  r.end(6, {12, true});  // the first reserved width of line 0 is 11, not 12
  EXPECT_THROW(BisectionSource(j, points, r.todo, r.ended), SchedulerError);
}

TEST(Bisection, AFailedReservedRowsMissingWidthIsNotAChange) {
  const auto j = job();
  const auto points = config::expand_grid(j);
  Resumed r = resumed(points, listed_of_line0);
  r.end(6, {config::kReservedWidth, false, false});  // failed before its width was written
  BisectionSource source(j, points, r.todo, r.ended);
  EXPECT_EQ(source.lines()[0].chosen, (std::vector<std::int64_t>{11}));
}

TEST(Bisection, ARerunThatEndsDifferentlyRetrainsLaterRowsAtTheNewWidth) {
  // Line 0 resumed with its first bisected width (11) torn at seed 1 and the
  // second (7) already ended. If seed 1 now fails to fit at 11, then 11 holds
  // 1 of 3: N* > 11, and the next width is round(sqrt(11 * 32)) = 19, not 7.
  const auto j = job();
  const auto points = config::expand_grid(j);
  const Resumed r = resumed(points, [](const config::GridPoint& p) -> std::optional<std::int64_t> {
    if (p.id >= 12 || p.id == 7) return std::nullopt;
    return p.id < 6 ? p.width : p.id < 9 ? 11 : 7;
  });
  BisectionSource source(j, points, r.todo, r.ended);
  EXPECT_EQ(source.lines()[0].chosen, (std::vector<std::int64_t>{11}));
  std::vector<config::GridPoint> line0;
  while (auto p = source.next()) {
    if (p->id < 21) line0.push_back(*p);
  }
  ASSERT_EQ(line0.size(), 1u);
  EXPECT_EQ(line0[0].id, 7);
  EXPECT_EQ(line0[0].width, 11);
  PointSummary s = result(line0[0]);
  s.scalars[kFittedResult] = 0.0;  // the rerun did not fit
  source.on_result(s);
  EXPECT_EQ(source.lines()[0].chosen, (std::vector<std::int64_t>{11, 19}));
  std::vector<config::GridPoint> again;
  while (auto p = source.next()) {
    if (p->id < 21) again.push_back(*p);
  }
  ASSERT_EQ(again.size(), 3u);  // rows 9..11 ran at width 7: they run again at 19
  for (const auto& p : again) EXPECT_EQ(p.width, 19);
  EXPECT_EQ(again[0].id, 9);
}

// A runner that hands back one point pending, as a worker that caught a drain
// signal before the master did.
class DrainingRunner : public PointRunner {
 public:
  explicit DrainingRunner(std::int64_t drained) : drained_(drained) {}
  PointSummary run(const config::GridPoint& p) override {
    if (p.id == drained_) return unfinished_summary(p.id, PointStatus::pending, "interrupted by a drain signal");
    return result(p);
  }
  void record_failure(const PointSummary& /*failed*/) override { ADD_FAILURE() << "no point fails here"; }

 private:
  std::int64_t drained_;
};

TEST(Bisection, APointHandedBackByADrainStallsItsLineWithoutStoppingTheOthers) {
  const auto j = job();
  const auto points = config::expand_grid(j);
  std::vector<std::int64_t> todo;
  for (const auto& p : points) todo.push_back(p.id);
  LocalHub hub(3);
  std::vector<DrainingRunner> runners{DrainingRunner(4), DrainingRunner(4)};  // line 0, width 32, seed 1
  std::vector<std::thread> threads;
  for (int w = 1; w <= 2; ++w) {
    threads.emplace_back([&hub, &runners, w] {
      LocalTransport t(hub, w);
      run_worker(t, runners[static_cast<std::size_t>(w - 1)]);
    });
  }
  BisectionSource source(j, points, todo, {});
  LocalTransport master(hub, 0);
  std::vector<PointSummary> summaries;
  EXPECT_NO_THROW(summaries = run_master(master, source, {}));
  for (auto& t : threads) t.join();
  EXPECT_TRUE(source.lines()[0].stalled);
  EXPECT_FALSE(source.lines()[0].resolved);
  EXPECT_TRUE(source.exhausted());
}

// The real master with three worker threads answering in their own order.
class ScriptedRunner : public PointRunner {
 public:
  PointSummary run(const config::GridPoint& p) override {
    ran.push_back(p);
    return result(p);
  }
  void record_failure(const PointSummary& /*failed*/) override { ADD_FAILURE() << "no point fails here"; }
  std::vector<config::GridPoint> ran;
};

TEST(Bisection, TheMasterRunsABisectionWithWorkers) {
  const Outcome expected = full_run(0);
  const auto j = job();
  const auto points = config::expand_grid(j);
  std::vector<std::int64_t> todo;
  for (const auto& p : points) todo.push_back(p.id);
  LocalHub hub(4);
  std::vector<ScriptedRunner> runners(3);
  std::vector<std::thread> threads;
  for (int w = 1; w <= 3; ++w) {
    threads.emplace_back([&hub, &runners, w] {
      LocalTransport t(hub, w);
      run_worker(t, runners[static_cast<std::size_t>(w - 1)]);
    });
  }
  std::set<std::int64_t> unused;
  BisectionSource source(j, points, todo, {}, [&](const config::GridPoint& p) { unused.insert(p.id); });
  LocalTransport master(hub, 0);
  const auto summaries = run_master(master, source, {});
  for (auto& t : threads) t.join();
  std::map<std::int64_t, std::int64_t> trained;
  for (const auto& r : runners) {
    for (const auto& p : r.ran) EXPECT_TRUE(trained.emplace(p.id, p.width).second) << p.id;
  }
  EXPECT_EQ(trained, expected.trained);
  EXPECT_EQ(unused, expected.unused);
  EXPECT_EQ(summaries.size(), 39u);
}

}  // namespace
}  // namespace lsweep::scheduler
