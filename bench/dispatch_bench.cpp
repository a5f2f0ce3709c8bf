// The master's dispatch rate: points handed out and reported per second with
// workers that do nothing (the real MpiTransport, master and worker loops).
// Usage: mpirun -np 3 lsweep_dispatch_bench [POINTS=200000]; prints one JSON line.
#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "lsweep/scheduler/master.hpp"
#include "lsweep/scheduler/mpi_transport.hpp"
#include "lsweep/scheduler/worker.hpp"

namespace scheduler = lsweep::scheduler;

namespace {

class NullRunner : public scheduler::PointRunner {
 public:
  lsweep::PointSummary run(const lsweep::config::GridPoint& p) override {
    lsweep::PointSummary s;
    s.point_id = p.id;
    s.status = lsweep::PointStatus::done;
    s.scalars["/results/final_train_loss"] = 0.5;  // a realistic result message: a few scalars
    s.scalars["/results/final_test_loss"] = 0.6;
    s.scalars["/results/train_accuracy"] = 0.9;
    s.scalars["/results/test_accuracy"] = 0.8;
    return s;
  }
  void record_failure(const lsweep::PointSummary&) override {}
};

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  const long points = argc > 1 ? std::atol(argv[1]) : 200000;
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  {
    scheduler::MpiTransport transport(MPI_COMM_WORLD);
    MPI_Barrier(MPI_COMM_WORLD);
    const auto start = std::chrono::steady_clock::now();
    if (rank == 0) {
      std::vector<lsweep::config::GridPoint> grid;
      for (long i = 0; i < points; ++i) grid.push_back({i, 0.1, 8, 16, 0});
      scheduler::run_master(transport, grid);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::printf("{\"workers\":%d,\"points\":%ld,\"seconds\":%.3f,\"points_per_second\":%.0f}\n", size - 1, points,
                  seconds, static_cast<double>(points) / seconds);
    } else {
      NullRunner runner;
      scheduler::run_worker(transport, runner);
    }
  }
  MPI_Finalize();
  return 0;
}
