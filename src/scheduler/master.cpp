#include "lsweep/scheduler/master.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "lsweep/common/error.hpp"
#include "lsweep/common/log.hpp"

namespace lsweep::scheduler {
namespace {

class Master {
 public:
  Master(Transport& transport, const std::vector<config::GridPoint>& points, const MasterOptions& options)
      : transport_(transport), points_(points), options_(options), active_(transport.size() - 1) {
    for (std::size_t i = 0; i < points.size(); ++i) index_of_[points[i].id] = i;
    summaries_.resize(points.size());
  }

  std::vector<PointSummary> run() {
    auto next_tick = std::chrono::steady_clock::now() + options_.tick;
    while (active_ > 0) {
      const auto wait =
          std::chrono::duration_cast<std::chrono::milliseconds>(next_tick - std::chrono::steady_clock::now());
      if (auto env = transport_.receive_any_for(std::max(wait, std::chrono::milliseconds(0)))) handle(*env);
      if (std::chrono::steady_clock::now() >= next_tick) {
        if (options_.on_tick) options_.on_tick();
        next_tick = std::chrono::steady_clock::now() + options_.tick;
      }
    }
    for (std::size_t i = 0; i < points_.size(); ++i) {
      if (summaries_[i].point_id >= 0) continue;
      if (i < next_) throw SchedulerError("point " + std::to_string(points_[i].id) + " was never reported by a worker");
      summaries_[i].point_id = points_[i].id;  // never handed out: still pending
    }
    return std::move(summaries_);
  }

 private:
  void handle(const Envelope& env) {
    const Message& m = env.message;
    switch (m.kind) {
      case MessageKind::ready: break;
      case MessageKind::result:
        take_in_flight(env.source);
        for (const auto& s : m.result.points) record(s);
        // A worker that hands a point back unfinished is draining: it would
        // hand back every point it got, so it gets no more.
        if (returned_unfinished(m.result)) {
          transport_.send(env.source, make_shutdown());
          --active_;
          return;
        }
        break;
      case MessageKind::error: fail_worker(env.source, m); return;
      default:
        throw SchedulerError(std::string("master received a ") + to_string(m.kind) + " message from rank " +
                             std::to_string(env.source) + "; allowed from workers: ready, result, error");
    }
    dispatch(env.source);
  }

  static bool returned_unfinished(const Result& r) {
    for (const auto& s : r.points) {
      if (s.status == PointStatus::pending) return true;
    }
    return false;
  }

  void dispatch(int worker) {
    const bool draining = options_.draining && options_.draining();
    if (next_ < points_.size() && !draining) {
      Task task{{points_[next_++]}};
      if (options_.on_dispatch) options_.on_dispatch(task.points.front());
      in_flight_[worker] = task;
      transport_.send(worker, make_task(std::move(task)));
    } else {
      transport_.send(worker, make_shutdown());
      --active_;
    }
  }

  Task take_in_flight(int worker) {
    Task task;
    if (auto it = in_flight_.find(worker); it != in_flight_.end()) {
      task = std::move(it->second);
      in_flight_.erase(it);
    }
    return task;
  }

  void fail_worker(int worker, const Message& m) {
    log::error("worker rank ", worker, " stopped: ", m.error);
    const std::string why = "worker rank " + std::to_string(worker) + " stopped: " + m.error;
    for (PointSummary s : m.result.points) {  // the points it could not record, with their own errors
      s.status = PointStatus::failed;
      s.error = s.error.empty() ? why : s.error + "; " + why;
      record_unrecorded(s);
    }
    for (const auto& p : take_in_flight(worker).points) {
      if (summaries_[index_of(p.id)].point_id < 0)
        record_unrecorded(unfinished_summary(p.id, PointStatus::failed, why));
    }
    --active_;
  }

  std::size_t index_of(std::int64_t id) const {
    auto it = index_of_.find(id);
    if (it == index_of_.end()) throw SchedulerError("a worker reported unknown point id " + std::to_string(id));
    return it->second;
  }

  void record(const PointSummary& s) {
    summaries_[index_of(s.point_id)] = s;
    if (options_.on_result) options_.on_result(s);
  }

  void record_unrecorded(const PointSummary& s) {
    if (options_.on_unrecorded) options_.on_unrecorded(s);
    record(s);
  }

  Transport& transport_;
  const std::vector<config::GridPoint>& points_;
  const MasterOptions& options_;
  int active_;
  std::size_t next_ = 0;
  std::map<int, Task> in_flight_;
  std::unordered_map<std::int64_t, std::size_t> index_of_;
  std::vector<PointSummary> summaries_;
};

}  // namespace

std::vector<PointSummary> run_master(Transport& transport, const std::vector<config::GridPoint>& points,
                                     const MasterOptions& options) {
  if (transport.size() < 2) {
    throw SchedulerError("the sweep has " + std::to_string(transport.size()) +
                         " rank(s): rank 0 is the master, so at least 2 are needed (mpirun -np 2 or more)");
  }
  return Master(transport, points, options).run();
}

}  // namespace lsweep::scheduler
