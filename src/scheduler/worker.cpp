#include "lsweep/scheduler/worker.hpp"

#include <chrono>

#include "lsweep/common/error.hpp"
#include "lsweep/common/log.hpp"

namespace lsweep::scheduler {
namespace {

constexpr int kMaster = 0;

// A task is one point, or a pack trained together; what throws fails all of it.
std::vector<PointSummary> run_guarded(PointRunner& runner, const std::vector<config::GridPoint>& points) {
  const auto start = std::chrono::steady_clock::now();
  const std::string which = points.size() == 1 ? "point " + std::to_string(points[0].id)
                                               : "pack of " + std::to_string(points.size()) + " points from point " +
                                                     std::to_string(points[0].id);
  std::string what;
  try {
    if (points.size() == 1) return {runner.run(points[0])};
    return runner.run_pack(points);
  } catch (const FatalError&) {
    throw;  // not the point's fault: the whole sweep stops
  } catch (const std::exception& e) {
    log::warn(which, " failed: ", e.what());
    what = e.what();
  } catch (...) {
    log::warn(which, " failed with a non-standard exception");
    what = "unknown exception (not derived from std::exception)";
  }
  std::vector<PointSummary> failed;
  for (const auto& point : points) {
    failed.push_back(failed_summary(point, what));
    failed.back().wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  return failed;
}

// Runs a task; returns false if the worker must stop (error already sent).
bool run_task(Transport& transport, PointRunner& runner, const Task& task) {
  Result result;
  if (task.points.empty()) throw SchedulerError("the master sent a task without points");
  for (PointSummary& s : run_guarded(runner, task.points)) {
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

std::vector<PointSummary> PointRunner::run_pack(const std::vector<config::GridPoint>& points) {
  std::vector<PointSummary> out;
  for (const auto& p : points) out.push_back(run(p));
  return out;
}

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
