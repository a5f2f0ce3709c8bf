// The scheduler over real MPI, at 1, 2 and 3 ranks.

#include <gtest/gtest.h>
#include <mpi.h>

#include <set>

#include "lsweep/common/error.hpp"
#include "lsweep/scheduler/master.hpp"
#include "lsweep/scheduler/mpi_transport.hpp"
#include "lsweep/scheduler/worker.hpp"

namespace lsweep::scheduler {
namespace {

class SquareRunner : public PointRunner {
 public:
  std::vector<std::int64_t> ran;
  PointSummary run(const config::GridPoint& p) override {
    ran.push_back(p.id);
    if (p.id == 2) throw std::runtime_error("point 2 always fails");
    PointSummary s;
    s.point_id = p.id;
    s.status = PointStatus::done;
    s.scalars["/results/final_train_loss"] = p.lr * p.lr;
    s.steps = p.batch;
    return s;
  }
  void record_failure(const PointSummary&) override {}
};

int world_size() {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}

TEST(MpiTransport, KnowsRankAndSize) {
  MpiTransport t(MPI_COMM_WORLD);
  int rank = -1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  EXPECT_EQ(t.rank(), rank);
  EXPECT_EQ(t.size(), world_size());
}

TEST(MpiTransport, CarriesAMessageToItself) {
  MpiTransport t(MPI_COMM_WORLD);
  t.send(t.rank(), make_task(Task{{{9, 0.5, 4, 8, 1}}}));
  const Envelope env = t.receive_any();
  EXPECT_EQ(env.source, t.rank());
  ASSERT_EQ(env.message.kind, MessageKind::task);
  EXPECT_EQ(env.message.task.points.at(0).lr, 0.5);
}

TEST(MpiScheduler, RunsASweepOrRefusesWithoutWorkers) {
  MpiTransport t(MPI_COMM_WORLD);
  std::vector<config::GridPoint> points;
  for (int i = 0; i < 13; ++i) points.push_back({i, 0.1 * i, 10 + i, 4, 0});
  if (t.size() == 1) {
    EXPECT_THROW(run_master(t, points), SchedulerError);
    return;
  }
  SquareRunner runner;
  std::vector<PointSummary> summaries;
  if (t.rank() == 0) {
    summaries = run_master(t, points);
  } else {
    run_worker(t, runner);
  }
  // Every point ran on exactly one worker.
  int mine = static_cast<int>(runner.ran.size()), total = 0;
  MPI_Allreduce(&mine, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  EXPECT_EQ(total, 13);
  if (t.rank() == 0) {
    ASSERT_EQ(summaries.size(), 13u);
    for (int i = 0; i < 13; ++i) {
      const auto& s = summaries[static_cast<std::size_t>(i)];
      EXPECT_EQ(s.point_id, i);
      if (i == 2) {
        EXPECT_EQ(s.status, PointStatus::failed);
        EXPECT_EQ(s.error, "point 2 always fails");
      } else {
        EXPECT_EQ(s.status, PointStatus::done);
        EXPECT_EQ(s.scalar("/results/final_train_loss"),
                  points[static_cast<std::size_t>(i)].lr * points[static_cast<std::size_t>(i)].lr);
        EXPECT_EQ(s.steps, 10 + i);
      }
    }
  }
}

}  // namespace
}  // namespace lsweep::scheduler
