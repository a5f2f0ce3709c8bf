#include "lsweep/scheduler/worker.hpp"

#include <chrono>

#include "lsweep/common/error.hpp"
#include "lsweep/common/log.hpp"

namespace lsweep::scheduler {
namespace {

constexpr int kMaster = 0;

PointSummary run_guarded(PointRunner& runner, const config::GridPoint& point) {
  const auto start = std::chrono::steady_clock::now();
  PointSummary failed;
  try {
    return runner.run(point);
  } catch (const FatalError&) {
    throw;  // not the point's fault: the whole sweep stops
  } catch (const std::exception& e) {
    log::warn("point ", point.id, " failed: ", e.what());
    failed = failed_summary(point, e.what());
  } catch (...) {
    log::warn("point ", point.id, " failed with a non-standard exception");
    failed = failed_summary(point, "unknown exception (not derived from std::exception)");
  }
  failed.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return failed;
}

// Runs a task; returns false if the worker must stop (error already sent).
bool run_task(Transport& transport, PointRunner& runner, const Task& task) {
  Result result;
  for (const auto& point : task.points) {
    PointSummary s = run_guarded(runner, point);
    if (s.status == PointStatus::failed) {
      try {
        runner.record_failure(s);
      } catch (const FatalError&) {
        throw;
      } catch (const std::exception& e) {
        Result lost{{s}};
        transport.send(kMaster, make_error(std::string("cannot record failed point: ") + e.what(), lost));
        return false;
      }
    }
    result.points.push_back(std::move(s));
  }
  transport.send(kMaster, make_result(std::move(result)));
  return true;
}

}  // namespace

PointSummary failed_summary(const config::GridPoint& point, const std::string& what) {
  return unfinished_summary(point.id, PointStatus::failed, what.empty() ? "exception with an empty message" : what);
}

void run_worker(Transport& transport, PointRunner& runner) {
  transport.send(kMaster, make_ready());
  for (;;) {
    Envelope env = transport.receive_any();
    if (env.source != kMaster) {
      throw SchedulerError("worker rank " + std::to_string(transport.rank()) + " got a message from rank " +
                           std::to_string(env.source) + "; only the master (rank 0) sends to workers");
    }
    switch (env.message.kind) {
      case MessageKind::shutdown: return;
      case MessageKind::task:
        if (!run_task(transport, runner, env.message.task)) return;
        break;
      default:
        throw SchedulerError(std::string("worker received a ") + to_string(env.message.kind) +
                             " message; allowed from the master: task, shutdown");
    }
  }
}

}  // namespace lsweep::scheduler
