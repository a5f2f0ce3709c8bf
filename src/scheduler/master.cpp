#include "lsweep/scheduler/master.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <unordered_map>

#include "lsweep/common/error.hpp"
#include "lsweep/common/log.hpp"

namespace lsweep::scheduler {
namespace {

class Master {
 public:
  Master(Transport& transport, PointSource& source, const MasterOptions& options)
      : transport_(transport), source_(source), options_(options), active_(transport.size() - 1) {}

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
    for (const auto& [id, index] : index_of_) {
      if (summaries_[index].point_id < 0) throw SchedulerError("point " + std::to_string(id) + " was never reported by a worker");
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
          shut_down(env.source);
          feed_idle();
          return;
        }
        break;
      case MessageKind::error:
        fail_worker(env.source, m);
        feed_idle();
        return;
      default:
        throw SchedulerError(std::string("master received a ") + to_string(m.kind) + " message from rank " +
                             std::to_string(env.source) + "; allowed from workers: ready, result, error");
    }
    idle_.push_back(env.source);
    feed_idle();
  }

  static bool returned_unfinished(const Result& r) {
    for (const auto& s : r.points) {
      if (s.status == PointStatus::pending) return true;
    }
    return false;
  }

  // Hands points to waiting workers while the source has some; shuts them
  // down once it never will.
  void feed_idle() {
    while (!idle_.empty()) {
      const bool draining = options_.draining && options_.draining();
      std::optional<config::GridPoint> point;
      if (!draining) point = source_.next();
      if (point) {
        dispatch(idle_.front(), *point);
      } else if (draining || source_.exhausted()) {
        shut_down(idle_.front());
      } else if (in_flight_.empty()) {
        throw SchedulerError("the point source has no point ready and none is running to give it results");
      } else {
        return;  // they wait for a result to let the source decide
      }
      idle_.pop_front();
    }
  }

  void dispatch(int worker, const config::GridPoint& point) {
    index_of_[point.id] = summaries_.size();
    summaries_.push_back(PointSummary{});
    if (options_.on_dispatch) options_.on_dispatch(point);
    Task task{{point}};
    in_flight_[worker] = task;
    transport_.send(worker, make_task(std::move(task)));
  }

  void shut_down(int worker) {
    transport_.send(worker, make_shutdown());
    --active_;
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
    source_.on_result(s);
    if (options_.on_result) options_.on_result(s);
  }

  void record_unrecorded(const PointSummary& s) {
    if (options_.on_unrecorded) options_.on_unrecorded(s);
    record(s);
  }

  Transport& transport_;
  PointSource& source_;
  const MasterOptions& options_;
  int active_;
  std::deque<int> idle_;
  std::map<int, Task> in_flight_;
  std::unordered_map<std::int64_t, std::size_t> index_of_;
  std::vector<PointSummary> summaries_;  // in dispatch order
};

void require_workers(const Transport& transport) {
  if (transport.size() < 2) {
    throw SchedulerError("the sweep has " + std::to_string(transport.size()) +
                         " rank(s): rank 0 is the master, so at least 2 are needed (mpirun -np 2 or more)");
  }
}

}  // namespace

std::vector<PointSummary> run_master(Transport& transport, PointSource& source, const MasterOptions& options) {
  require_workers(transport);
  return Master(transport, source, options).run();
}

std::vector<PointSummary> run_master(Transport& transport, const std::vector<config::GridPoint>& points,
                                     const MasterOptions& options) {
  require_workers(transport);
  GridSource source(points);
  const auto ran = Master(transport, source, options).run();
  std::unordered_map<std::int64_t, const PointSummary*> by_id;
  for (const auto& s : ran) by_id[s.point_id] = &s;
  std::vector<PointSummary> out;
  for (const auto& p : points) {
    const auto it = by_id.find(p.id);
    out.push_back(it != by_id.end() ? *it->second : unfinished_summary(p.id, PointStatus::pending, ""));
  }
  return out;
}

}  // namespace lsweep::scheduler
