#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <new>
#include <set>
#include <thread>

#include "lsweep/common/error.hpp"
#include "lsweep/scheduler/local_transport.hpp"
#include "lsweep/scheduler/master.hpp"
#include "lsweep/scheduler/worker.hpp"

namespace lsweep::scheduler {
namespace {

std::vector<config::GridPoint> make_points(int n) {
  std::vector<config::GridPoint> points;
  for (int i = 0; i < n; ++i) points.push_back({i, 0.01 * (i + 1), 8, 4 + i, i % 3});
  return points;
}

// A runner whose "training" is arithmetic on the point, with optional failures.
class FakeRunner : public PointRunner {
 public:
  std::set<std::int64_t> throw_for, bad_alloc_for, hand_back;
  bool recording_breaks = false;
  std::vector<std::int64_t> ran, recorded_failures;

  PointSummary run(const config::GridPoint& p) override {
    ran.push_back(p.id);
    if (throw_for.count(p.id)) throw std::runtime_error("boom at " + std::to_string(p.id));
    if (bad_alloc_for.count(p.id)) throw std::bad_alloc();
    if (hand_back.count(p.id)) return unfinished_summary(p.id, PointStatus::pending, "draining");
    PointSummary s;
    s.point_id = p.id;
    s.status = p.id == 5 ? PointStatus::diverged : PointStatus::done;
    s.scalars["/results/final_train_loss"] = p.lr * static_cast<double>(p.width);
    s.steps = p.width;
    return s;
  }
  std::vector<PointSummary> run_pack(const std::vector<config::GridPoint>& points) override {
    packs.emplace_back();
    for (const auto& p : points) packs.back().push_back(p.id);
    return PointRunner::run_pack(points);  // point by point: one throw fails the pack
  }
  std::vector<std::vector<std::int64_t>> packs;
  void record_failure(const PointSummary& s) override {
    if (recording_breaks) throw StorageError("store is read-only");
    recorded_failures.push_back(s.point_id);
  }
};

struct Sweep {
  std::vector<PointSummary> summaries;
  std::vector<FakeRunner> runners;
  std::vector<PointSummary> callbacks;
  std::vector<PointSummary> unrecorded;
};

// `n` worker threads over `hub` (ranks 1..n), each with its own FakeRunner,
// joined when the master is done.
class Workers {
 public:
  Workers(LocalHub& hub, int n, const std::function<void(int, FakeRunner&)>& setup = {})
      : runners(static_cast<std::size_t>(n)) {
    for (int w = 1; w <= n; ++w) {
      FakeRunner& runner = runners[static_cast<std::size_t>(w - 1)];
      if (setup) setup(w, runner);
      threads_.emplace_back([&hub, &runner, w] {
        LocalTransport t(hub, w);
        run_worker(t, runner);
      });
    }
  }
  ~Workers() { join(); }
  void join() {
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  std::vector<FakeRunner> runners;

 private:
  std::vector<std::thread> threads_;
};

// Runs a master and `workers` worker threads over a LocalHub.
Sweep run_sweep(int workers, const std::vector<config::GridPoint>& points,
                const std::function<void(int, FakeRunner&)>& setup = {}, const std::vector<std::int64_t>& packs = {}) {
  LocalHub hub(workers + 1);
  Sweep sweep;
  Workers threads(hub, workers, setup);
  LocalTransport master(hub, 0);
  MasterOptions options;
  options.on_result = [&](const PointSummary& s) { sweep.callbacks.push_back(s); };
  options.on_unrecorded = [&](const PointSummary& s) { sweep.unrecorded.push_back(s); };
  sweep.summaries = run_master(master, points, options, packs);
  threads.join();
  sweep.runners = std::move(threads.runners);
  return sweep;
}

std::multiset<std::int64_t> all_ran(const Sweep& s) {
  std::multiset<std::int64_t> ids;
  for (const auto& r : s.runners) ids.insert(r.ran.begin(), r.ran.end());
  return ids;
}

TEST(MasterWorker, RunsEveryPointExactlyOnce) {
  const auto points = make_points(20);
  const Sweep s = run_sweep(3, points);
  const auto ran = all_ran(s);
  ASSERT_EQ(ran.size(), 20u);
  for (std::int64_t id = 0; id < 20; ++id) EXPECT_EQ(ran.count(id), 1u) << id;
  ASSERT_EQ(s.summaries.size(), 20u);
  for (std::size_t i = 0; i < points.size(); ++i) {
    EXPECT_EQ(s.summaries[i].point_id, points[i].id);
    EXPECT_EQ(s.summaries[i].scalar("/results/final_train_loss"), points[i].lr * static_cast<double>(points[i].width));
  }
  EXPECT_EQ(s.callbacks.size(), 20u);
  EXPECT_EQ(s.summaries[5].status, PointStatus::diverged);
}

TEST(MasterWorker, HandsOutEachPackAsOneTask) {
  const std::vector<std::int64_t> packs{0, 0, 0, 3, 3, 5, 5, 5, 5, 9};
  const Sweep s = run_sweep(2, make_points(10), {}, packs);
  std::multiset<std::vector<std::int64_t>> handed;
  for (const auto& r : s.runners) handed.insert(r.packs.begin(), r.packs.end());
  EXPECT_EQ(handed, (std::multiset<std::vector<std::int64_t>>{{0, 1, 2}, {3, 4}, {5, 6, 7, 8}}));  // 9: alone
  const auto ran = all_ran(s);
  for (std::int64_t id = 0; id < 10; ++id) EXPECT_EQ(ran.count(id), 1u) << id;
  ASSERT_EQ(s.summaries.size(), 10u);
  for (std::size_t i = 0; i < 10; ++i) EXPECT_EQ(s.summaries[i].point_id, static_cast<std::int64_t>(i));
}

TEST(MasterWorker, AThrowingPackFailsEveryPointOfIt) {
  const Sweep s = run_sweep(2, make_points(6), [](int, FakeRunner& r) { r.throw_for = {4}; }, {0, 0, 2, 2, 2, 5});
  for (const std::size_t i : {2, 3, 4}) {
    EXPECT_EQ(s.summaries[i].status, PointStatus::failed) << i;
    EXPECT_EQ(s.summaries[i].error, "boom at 4") << i;
  }
  EXPECT_EQ(s.summaries[0].status, PointStatus::done);
  EXPECT_EQ(s.summaries[5].status, PointStatus::diverged);
  std::size_t recorded = 0;
  for (const auto& r : s.runners) recorded += r.recorded_failures.size();
  EXPECT_EQ(recorded, 3u);
}

TEST(MasterWorker, WorksWithOneWorker) {
  const Sweep s = run_sweep(1, make_points(5));
  EXPECT_EQ(s.runners[0].ran, (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
}

TEST(MasterWorker, WorksWithMoreWorkersThanPoints) {
  const Sweep s = run_sweep(6, make_points(2));
  EXPECT_EQ(all_ran(s), (std::multiset<std::int64_t>{0, 1}));
  EXPECT_EQ(s.summaries.size(), 2u);
}

TEST(MasterWorker, WorksWithNoPoints) {
  const Sweep s = run_sweep(2, {});
  EXPECT_TRUE(s.summaries.empty());
}

TEST(MasterWorker, RecordsAThrowingPointAsFailedAndGoesOn) {
  const Sweep s = run_sweep(2, make_points(8), [](int, FakeRunner& r) { r.throw_for = {3}; });
  EXPECT_EQ(s.summaries[3].status, PointStatus::failed);
  EXPECT_EQ(s.summaries[3].error, "boom at 3");
  for (std::size_t i = 0; i < 8; ++i) {
    if (i != 3 && i != 5) {
      EXPECT_EQ(s.summaries[i].status, PointStatus::done) << i;
    }
  }
  std::size_t recorded = 0;
  for (const auto& r : s.runners) recorded += r.recorded_failures.size();
  EXPECT_EQ(recorded, 1u);
  EXPECT_TRUE(s.unrecorded.empty());
}

TEST(MasterWorker, RecordsBadAllocAsFailed) {
  const Sweep s = run_sweep(2, make_points(4), [](int, FakeRunner& r) { r.bad_alloc_for = {1}; });
  EXPECT_EQ(s.summaries[1].status, PointStatus::failed);
  EXPECT_NE(s.summaries[1].error.find("bad_alloc"), std::string::npos) << s.summaries[1].error;
}

TEST(MasterWorker, AWorkerThatCannotRecordStopsAndOthersFinish) {
  // Worker 1 cannot write its failures: it reports an error and takes no more work.
  const Sweep s = run_sweep(2, make_points(10), [](int w, FakeRunner& r) {
    r.throw_for = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    r.recording_breaks = (w == 1);
    if (w == 2) r.throw_for.clear();
  });
  std::size_t failed = 0;
  for (const auto& p : s.summaries) {
    EXPECT_GE(p.point_id, 0);
    if (p.status == PointStatus::failed) {
      ++failed;
      EXPECT_NE(p.error.find("store is read-only"), std::string::npos) << p.error;
    }
  }
  EXPECT_LE(failed, 1u);                   // only the point worker 1 held when it stopped
  EXPECT_EQ(s.unrecorded.size(), failed);  // ... which the master must store itself
  if (failed == 1) {
    EXPECT_EQ(s.unrecorded[0].error, "boom at " + std::to_string(s.unrecorded[0].point_id) +
                                         "; worker rank 1 stopped: cannot record failed point: store is read-only");
  }
  EXPECT_LE(s.runners[0].ran.size(), 1u);
  EXPECT_EQ(s.summaries.size(), 10u);
}

TEST(MasterWorker, ADrainHandsOutNoMorePointsAndReturnsTheRestPending) {
  LocalHub hub(3);
  Workers threads(hub, 2);
  LocalTransport master(hub, 0);
  MasterOptions options;
  std::size_t results = 0, dispatched = 0;
  options.on_dispatch = [&](const config::GridPoint&) { ++dispatched; };
  options.on_result = [&](const PointSummary&) { ++results; };
  options.draining = [&] { return results >= 3; };  // drain after the third result
  const auto summaries = run_master(master, make_points(20), options);
  threads.join();
  EXPECT_EQ(results, dispatched);
  EXPECT_GE(dispatched, 3u);
  EXPECT_LE(dispatched, 7u);  // 3 reported, and at most tasks_per_worker = 2 held by each worker
  ASSERT_EQ(summaries.size(), 20u);
  std::size_t pending = 0;
  for (std::size_t i = 0; i < summaries.size(); ++i) {
    EXPECT_EQ(summaries[i].point_id, static_cast<std::int64_t>(i));
    if (summaries[i].status == PointStatus::pending) ++pending;
  }
  EXPECT_EQ(pending, 20u - dispatched);
}

TEST(MasterWorker, AWorkerThatHandsAPointBackGetsNoMore) {
  // The worker is draining: it would hand back every point; the master stops
  // feeding it. It hands back the two points it held (tasks_per_worker = 2).
  const Sweep s =
      run_sweep(1, make_points(12), [](int, FakeRunner& r) { r.hand_back = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}; });
  EXPECT_EQ(s.runners[0].ran, (std::vector<std::int64_t>{0, 1}));
  ASSERT_EQ(s.summaries.size(), 12u);
  for (const auto& p : s.summaries) EXPECT_EQ(p.status, PointStatus::pending);
  EXPECT_EQ(s.summaries[0].error, "draining");
}

TEST(MasterWorker, EachWorkerHoldsTheNextPointBeforeItReports) {
  // One worker, 5 points: it gets points 0 and 1 at once, then one more per result.
  LocalHub hub(2);
  Workers worker(hub, 1);
  LocalTransport master(hub, 0);
  MasterOptions options;
  std::vector<std::size_t> held;  // points out when each result arrives
  std::size_t out = 0;
  options.on_dispatch = [&](const config::GridPoint&) { ++out; };
  options.on_result = [&](const PointSummary&) { held.push_back(out--); };
  run_master(master, make_points(5), options);
  worker.join();
  EXPECT_EQ(held, (std::vector<std::size_t>{2, 2, 2, 2, 1}));
  EXPECT_EQ(worker.runners[0].ran, (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
}

TEST(MasterWorker, AStoppedWorkersQueuedPointsRunElsewhere) {
  // Worker 1 stops on its first point; the point queued behind it is not failed: worker 2 runs it.
  const Sweep s = run_sweep(2, make_points(6), [](int w, FakeRunner& r) {
    if (w == 1) {
      r.throw_for = {0, 1, 2, 3, 4, 5};
      r.recording_breaks = true;
    }
  });
  std::size_t failed = 0;
  for (const auto& p : s.summaries) failed += p.status == PointStatus::failed ? 1 : 0;
  EXPECT_EQ(failed, s.runners[0].ran.size());  // only what worker 1 started
  EXPECT_EQ(s.runners[0].ran.size() + s.runners[1].ran.size(), 6u);
}

TEST(MasterWorker, QueuedPointsOfAStoppedWorkerStayPendingWhenNoWorkerIsLeft) {
  // The only worker stops on its first point: the second, queued behind it, never ran.
  const Sweep s = run_sweep(1, make_points(2), [](int, FakeRunner& r) {
    r.throw_for = {0, 1};
    r.recording_breaks = true;
  });
  EXPECT_EQ(s.runners[0].ran, (std::vector<std::int64_t>{0}));
  EXPECT_EQ(s.summaries[0].status, PointStatus::failed);
  EXPECT_EQ(s.summaries[1].status, PointStatus::pending);
  EXPECT_EQ(s.summaries[1].error, "not started: the worker that held it stopped");
}

TEST(MasterWorker, CallsTheTickWhileWaiting) {
  MasterOptions options;
  int ticks = 0;
  options.tick = std::chrono::milliseconds(0);
  options.on_tick = [&] { ++ticks; };
  LocalHub hub(2);
  Workers worker(hub, 1);
  LocalTransport master(hub, 0);
  run_master(master, make_points(3), options);
  worker.join();
  EXPECT_GE(ticks, 4);  // one per received message at least (ready + 3 results)
}

// An adaptive source: one point at a time, each decided from the previous
// result (as a bisection of the width would), up to `total` points.
class ChainSource : public PointSource {
 public:
  explicit ChainSource(int total) : total_(total) {}
  std::optional<config::GridPoint> next() override {
    if (ready_ == 0) return std::nullopt;
    --ready_;
    return config::GridPoint{made_++, 0.1, 8, next_width_, 0};
  }
  bool exhausted() const override { return made_ == total_ && ready_ == 0; }
  void on_result(const PointSummary& s) override {
    seen.push_back(s.point_id);
    next_width_ = static_cast<std::int64_t>(s.scalar("/results/final_train_loss") * 10) + 1;  // decided from the result
    if (made_ < total_) ready_ = 1;
  }
  std::vector<std::int64_t> seen;

 private:
  int total_, made_ = 0, ready_ = 1;
  std::int64_t next_width_ = 4;
};

TEST(MasterWorker, AnAdaptiveSourceFeedsWaitingWorkersFromResults) {
  LocalHub hub(4);
  Workers threads(hub, 3);
  LocalTransport master(hub, 0);
  ChainSource source(6);
  const auto summaries = run_master(master, source, {});
  threads.join();
  ASSERT_EQ(summaries.size(), 6u);
  EXPECT_EQ(source.seen, (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5}));
  std::size_t ran = 0;
  for (const auto& r : threads.runners) ran += r.ran.size();
  EXPECT_EQ(ran, 6u);  // two workers waited while one ran each point, and none ran a point twice
  EXPECT_EQ(summaries[1].scalar("/results/final_train_loss"), 0.1 * 5);  // width 0.1 * 4 * 10 + 1 = 5
}

// A source that waits for results while nothing runs can never go on.
class StuckSource : public PointSource {
 public:
  std::optional<config::GridPoint> next() override { return std::nullopt; }
  bool exhausted() const override { return false; }
};

TEST(MasterWorker, ASourceThatWaitsWithNothingRunningIsAnError) {
  LocalHub hub(2);
  LocalTransport master(hub, 0), worker(hub, 1);
  worker.send(0, make_ready());
  StuckSource source;
  EXPECT_THROW(run_master(master, source, {}), SchedulerError);
}

TEST(MasterWorker, MasterWithoutWorkersRefuses) {
  LocalHub hub(1);
  LocalTransport t(hub, 0);
  EXPECT_THROW(run_master(t, make_points(2)), SchedulerError);
}

TEST(MasterWorker, MasterRejectsAMessageOnlyTheMasterSends) {
  LocalHub hub(2);
  LocalTransport master(hub, 0), worker(hub, 1);
  worker.send(0, make_shutdown());
  EXPECT_THROW(run_master(master, make_points(1)), SchedulerError);
}

TEST(MasterWorker, WorkerRejectsMessagesFromOtherWorkers) {
  LocalHub hub(3);
  LocalTransport w1(hub, 1), w2(hub, 2);
  w2.send(1, make_shutdown());
  FakeRunner runner;
  EXPECT_THROW(run_worker(w1, runner), SchedulerError);
}

TEST(LocalTransport, RejectsUnknownRanks) {
  LocalHub hub(2);
  LocalTransport t(hub, 0);
  EXPECT_THROW(t.send(2, make_ready()), SchedulerError);
}

}  // namespace
}  // namespace lsweep::scheduler
