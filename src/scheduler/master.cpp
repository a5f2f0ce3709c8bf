#include "lsweep/scheduler/master.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <unordered_map>

#include "lsweep/common/error.hpp"
#include "lsweep/common/log.hpp"

namespace lsweep::scheduler {
namespace {

struct Worker {
  std::deque<Task> in_flight;  // sent, oldest first: results come back in this order
  bool draining = false;       // handed a point back unfinished: gets no more
  bool active = true;          // not yet shut down or stopped
};

class Master {
 public:
  Master(Transport& transport, PointSource& source, const MasterOptions& options)
      : transport_(transport), source_(source), options_(options), depth_(std::max(1, options.tasks_per_worker)) {}

  std::vector<PointSummary> run() {
    auto next_tick = std::chrono::steady_clock::now() + options_.tick;
    while (active() > 0) {
      const auto wait =
          std::chrono::duration_cast<std::chrono::milliseconds>(next_tick - std::chrono::steady_clock::now());
      if (auto env = transport_.receive_any_for(std::max(wait, std::chrono::milliseconds(0)))) {
        handle(*env);
        feed();
      }
      if (std::chrono::steady_clock::now() >= next_tick) {
        if (options_.on_tick) options_.on_tick();
        next_tick = std::chrono::steady_clock::now() + options_.tick;
      }
    }
    // Points a stopped worker held but never started, when no worker was
    // left to take them: still pending (their rows are untouched).
    for (const auto& p : returned_) {
      record(unfinished_summary(p.id, PointStatus::pending, "not started: the worker that held it stopped"));
    }
    for (const auto& [id, index] : index_of_) {
      if (summaries_[index].point_id < 0) {
        throw SchedulerError("point " + std::to_string(id) + " was never reported by a worker");
      }
    }
    return std::move(summaries_);
  }

 private:
  int active() const {
    if (workers_.size() < expected_workers()) return 1;  // some not heard from yet
    int n = 0;
    for (const auto& [rank, w] : workers_) n += w.active ? 1 : 0;
    return n;
  }

  void handle(const Envelope& env) {
    const Message& m = env.message;
    Worker& w = workers_[env.source];
    switch (m.kind) {
      case MessageKind::ready: return;
      case MessageKind::result:
        if (!w.in_flight.empty()) w.in_flight.pop_front();
        for (const auto& s : m.result.points) record(s);
        // A worker that hands a point back unfinished is draining: it would
        // hand back every point it got, so it gets no more.
        if (returned_unfinished(m.result)) w.draining = true;
        return;
      case MessageKind::error: fail_worker(env.source, w, m); return;
      default:
        throw SchedulerError(std::string("master received a ") + to_string(m.kind) + " message from rank " +
                             std::to_string(env.source) + "; allowed from workers: ready, result, error");
    }
  }

  static bool returned_unfinished(const Result& r) {
    for (const auto& s : r.points) {
      if (s.status == PointStatus::pending) return true;
    }
    return false;
  }

  // Tops every worker up to depth_ points while the source has some, and
  // shuts down those that hold nothing once no point will come for them
  // (none left at the source and none queued behind another worker's).
  void feed() {
    const bool draining = options_.draining && options_.draining();
    bool holding = false;
    for (auto& [rank, w] : workers_) {
      if (!w.active) continue;
      while (!draining && !w.draining && static_cast<int>(w.in_flight.size()) < depth_) {
        auto task = next_task();
        if (task.points.empty()) break;
        dispatch(rank, w, std::move(task));
      }
      // An idle worker stays while another holds a queued point: if that one stops, this one takes it.
      const bool done = returned_.empty() && source_.exhausted() && !points_queued();
      if (w.in_flight.empty() && (draining || w.draining || done)) {
        transport_.send(rank, make_shutdown());
        w.active = false;
      }
      holding = holding || !w.in_flight.empty();
    }
    if (!holding && active() > 0 && workers_.size() == expected_workers()) {
      throw SchedulerError("the point source has no point ready and none is running to give it results");
    }
  }

  // One per team: only a team's leader talks to the master.
  std::size_t expected_workers() const {
    return static_cast<std::size_t>((transport_.size() - 1) / std::max(1, options_.team_size));
  }

  // Whether an active worker holds a point behind the one it runs.
  bool points_queued() const {
    for (const auto& [rank, w] : workers_) {
      if (w.active && w.in_flight.size() > 1) return true;
    }
    return false;
  }

  // Points a stopped worker held but never started come first, one by one.
  Task next_task() {
    if (returned_.empty()) return Task{source_.next_task()};
    Task task{{returned_.front()}};
    returned_.pop_front();
    return task;
  }

  void dispatch(int rank, Worker& w, Task task) {
    for (const auto& point : task.points) {
      if (index_of_.count(point.id) == 0) {  // first time out
        index_of_[point.id] = summaries_.size();
        summaries_.push_back(PointSummary{});
        if (options_.on_dispatch) options_.on_dispatch(point);
      }
    }
    w.in_flight.push_back(task);
    transport_.send(rank, make_task(std::move(task)));
  }

  void fail_worker(int rank, Worker& w, const Message& m) {
    log::error("worker rank ", rank, " stopped: ", m.error);
    const std::string why = "worker rank " + std::to_string(rank) + " stopped: " + m.error;
    for (PointSummary s : m.result.points) {  // the points it could not record, with their own errors
      s.status = PointStatus::failed;
      s.error = s.error.empty() ? why : s.error + "; " + why;
      record_unrecorded(s);
    }
    // The task it stopped on failed with it; the ones queued behind it were
    // never started (a worker runs its tasks in order): other workers take them.
    for (std::size_t t = 0; t < w.in_flight.size(); ++t) {
      for (const auto& p : w.in_flight[t].points) {
        if (t > 0) {
          returned_.push_back(p);
        } else if (summaries_[index_of(p.id)].point_id < 0) {
          record_unrecorded(unfinished_summary(p.id, PointStatus::failed, why));
        }
      }
    }
    w.in_flight.clear();
    w.active = false;
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
  int depth_;
  std::map<int, Worker> workers_;  // by rank, as they say ready
  std::deque<config::GridPoint> returned_;
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
                                     const MasterOptions& options, const std::vector<std::int64_t>& packs) {
  require_workers(transport);
  GridSource source(points, packs);
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
