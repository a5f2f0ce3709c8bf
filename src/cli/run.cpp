// `lsweep run`: wires config, scheduler, training and store together under MPI.
// Every rank runs this function; rank 0 is the master.

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "commands.hpp"
#include "lsweep/common/clock.hpp"
#include "lsweep/common/error.hpp"
#include "lsweep/common/log.hpp"
#include "lsweep/common/version.hpp"
#include "lsweep/config/grid.hpp"
#include "lsweep/config/layout.hpp"
#include "lsweep/probes/probe.hpp"
#include "lsweep/scheduler/bisection.hpp"
#include "lsweep/scheduler/master.hpp"
#include "lsweep/scheduler/mpi_transport.hpp"
#include "lsweep/scheduler/worker.hpp"
#include "lsweep/store/store.hpp"
#include "lsweep/team/mpi_team.hpp"
#include "lsweep/training/pack.hpp"
#include "lsweep/training/trainer.hpp"
#include "progress.hpp"
#include "signals.hpp"
#include "store_plan.hpp"

namespace lsweep::cli {
namespace {

using scheduler::check_mpi;
using scheduler::quiet_barrier;

// MPI_Init / MPI_Finalize for the lifetime of a run (unless the caller, a
// test, has MPI running already).
class MpiSession {
 public:
  MpiSession() {
    int initialized = 0;
    MPI_Initialized(&initialized);
    owner_ = initialized == 0;
    int provided = 0;
    if (owner_) check_mpi(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  ~MpiSession() {
    // HDF5 closes files left open at MPI_Finalize, and crashes on one whose
    // close already failed (an I/O error): end such a process without it.
    if (store::h5::library_unclean()) MPI_Abort(MPI_COMM_WORLD, kFailure);
    if (owner_) MPI_Finalize();
  }
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  int rank() const { return rank_; }
  int size() const { return size_; }

 private:
  int rank_ = 0, size_ = 0;
  bool owner_ = true;
};

void bcast_string(std::string& s, MPI_Comm comm) {
  unsigned long long len = s.size();
  check_mpi(MPI_Bcast(&len, 1, MPI_UNSIGNED_LONG_LONG, 0, comm), "MPI_Bcast");
  s.resize(len);
  check_mpi(MPI_Bcast(s.data(), static_cast<int>(len), MPI_CHAR, 0, comm), "MPI_Bcast");
}

// Rank 0 decides (`error` non-empty = refuse); every rank learns the decision.
bool agreed_error(std::string error, MPI_Comm comm, int rank) {
  bcast_string(error, comm);
  if (!error.empty() && rank == 0) std::cerr << "lsweep: error: " << error << "\n";
  return !error.empty();
}

// Rank 0's plan, known to every rank.
void bcast_plan(StorePlan& plan, MPI_Comm comm) {
  long long head[3] = {plan.exit_code, plan.resume ? 1 : 0, static_cast<long long>(plan.todo.size())};
  check_mpi(MPI_Bcast(head, 3, MPI_LONG_LONG, 0, comm), "MPI_Bcast");
  plan.exit_code = static_cast<int>(head[0]);
  plan.resume = head[1] != 0;
  plan.todo.resize(static_cast<std::size_t>(head[2]));
  check_mpi(MPI_Bcast(plan.todo.data(), static_cast<int>(head[2]), MPI_INT64_T, 0, comm), "MPI_Bcast");
  bcast_string(plan.error, comm);
}

std::string all_hosts(MPI_Comm comm, int size) {
  char name[MPI_MAX_PROCESSOR_NAME] = {};
  int len = 0;
  MPI_Get_processor_name(name, &len);
  std::vector<char> all(static_cast<std::size_t>(size) * MPI_MAX_PROCESSOR_NAME);
  check_mpi(MPI_Allgather(name, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, all.data(), MPI_MAX_PROCESSOR_NAME, MPI_CHAR, comm),
            "MPI_Allgather");
  std::set<std::string> hosts;
  for (int r = 0; r < size; ++r) hosts.insert(all.data() + static_cast<std::size_t>(r) * MPI_MAX_PROCESSOR_NAME);
  std::string out;
  for (const auto& h : hosts) out += (out.empty() ? "" : ",") + h;
  return out;
}

int node_local_rank(MPI_Comm comm) {
  MPI_Comm node;
  check_mpi(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node), "MPI_Comm_split_type");
  int rank = 0;
  MPI_Comm_rank(node, &rank);
  MPI_Comm_free(&node);
  return rank;
}

store::Provenance provenance(MPI_Comm comm, int size) {
  store::Provenance p;
  p.lsweep_version = lsweep_version();
  p.git_commit = git_commit();
  p.libtorch_version = libtorch_version();
  p.mpi_version = mpi_library_version();
  p.hdf5_version = hdf5_version();
  p.hosts = all_hosts(comm, size);
  p.start_time = utc_now();
  bcast_string(p.start_time, comm);  // one clock for all ranks: attributes are written collectively
  p.num_ranks = size;
  return p;
}

// A worker's point runner: trains, with the job's probes watching, then
// writes the point's rows itself. After a drain signal it interrupts the
// point it trains and starts no other: those are stored as pending, to run
// again on resume.
// A worker's data, loaded once, before the store is ready (rank 0 builds it
// meanwhile). A load that fails fails every point with its message.
struct WorkerData {
  std::optional<training::Dataset> data;
  std::string error;
};

// The job's data, loaded once per worker and moved to its device once (on a
// GPU, every point then finds it there).
WorkerData load_worker_data(const config::JobConfig& job, const torch::Device& device) {
  training::set_compute_threads(static_cast<int>(job.train.threads));
  training::tune_allocator();
  WorkerData w;
  try {
    w.data =
        training::load_dataset(job.data, job.train.dtype == config::DType::float64 ? torch::kFloat64 : torch::kFloat32);
    for (auto* t : {&w.data->x_train, &w.data->y_train, &w.data->x_test, &w.data->y_test}) *t = t->to(device);
  } catch (const c10::Error& e) {
    w.data.reset();
    w.error = e.what_without_backtrace();  // the data do not fit on the GPU, say
  } catch (const std::exception& e) {
    w.error = e.what();
  }
  return w;
}

class TrainingRunner : public scheduler::PointRunner {
 public:
  TrainingRunner(const config::JobConfig& job, store::Store& store, torch::Device device, const WorkerData& data,
                 training::Team* team)
      : job_(job), store_(store), device_(device), data_(data), team_(team) {}

  PointSummary run(const config::GridPoint& point) override { return run_pack({point}).front(); }

  // One point, or a pack (train.pack > 1) trained as one batched model.
  std::vector<PointSummary> run_pack(const std::vector<config::GridPoint>& points) override {
    std::vector<PointSummary> out;
    if (drain_requested()) {
      for (const auto& p : points) {
        out.push_back(unfinished_summary(p.id, PointStatus::pending, "not started: the sweep was draining"));
      }
      return out;
    }
    for (const auto& p : points) {
      if (job_.grid.bisect > 0) store_.assign_width(p.id, p.width);  // a reserved row's chosen width
      store_.mark_running(p.id);
    }
    if (!data_.data) throw TrainingError(data_.error);
    std::vector<PointRecord> records;
    try {
      // A version-1 store (resumed) has no probe datasets: its job has no probes.
      if (team_) {
        records.push_back(run_as_leader(points[0]));
      } else if (points.size() == 1) {
        training::Trainer trainer(job_, points[0], *data_.data, device_);
        records.push_back(probes::run_with_probes(trainer, job_, points[0], store_.layout(), &drain_requested()));
      } else {
        training::PackTrainer pack(job_, points, *data_.data, device_);
        records = probes::run_pack_with_probes(pack, job_, store_.layout(), &drain_requested());
      }
    } catch (const c10::Error& e) {
      // LibTorch's message without its C++ backtrace (CUDA out of memory, say).
      throw TrainingError(e.what_without_backtrace());
    }
    for (const auto& r : records) {
      store_.write_point(r);
      out.push_back(r.summary);
    }
    return out;
  }

  void record_failure(const PointSummary& failed) override { store_.write_summary(failed); }

 private:
  // A team's leader: hands the point to the others, checks that every rank
  // built its model, trains; the others follow until it says the point ended.
  PointRecord run_as_leader(const config::GridPoint& point) {
    config::GridPoint p = point;
    team_->broadcast(training::Team::kPoint, p);
    struct EndOfPoint {
      training::Team& team;
      ~EndOfPoint() {
        config::GridPoint none;
        try {
          team.broadcast(training::Team::kEnd, none);
        } catch (const std::exception& e) {
          log::error("cannot tell the team the point ended: ", e.what());
        }
      }
    } end{*team_};
    std::unique_ptr<training::Trainer> trainer;
    std::string failure;
    try {
      trainer = std::make_unique<training::Trainer>(job_, point, *data_.data, device_, team_);
    } catch (const std::exception& e) {
      failure = e.what();
    }
    const int failed = team_->count(!failure.empty());
    if (!failure.empty()) throw TrainingError(failure);
    if (failed > 0) throw TrainingError("a team member could not build the point's model (its log says why)");
    return probes::run_with_probes(*trainer, job_, point, store_.layout(), &drain_requested());
  }

  const config::JobConfig& job_;
  store::Store& store_;
  torch::Device device_;
  const WorkerData& data_;
  training::Team* team_;
};

// A team member (not its leader): builds each point the leader hands out and
// takes the steps it commands, until shutdown.
void follow_team(training::Team& team, const config::JobConfig& job, const WorkerData& data, torch::Device device) {
  for (;;) {
    config::GridPoint point;
    const int command = team.broadcast(0, point);
    if (command == training::Team::kShutdown) return;
    if (command != training::Team::kPoint) {
      throw SchedulerError("team rank " + std::to_string(team.rank()) + " expected a point or shutdown, got command " +
                           std::to_string(command));
    }
    std::unique_ptr<training::Trainer> trainer;
    std::string failure;
    try {
      if (!data.data) throw TrainingError(data.error);
      trainer = std::make_unique<training::Trainer>(job, point, *data.data, device, &team);
    } catch (const std::exception& e) {
      failure = e.what();
      log::warn("point ", point.id, ": team rank ", team.rank(), ": ", failure);
    }
    if (team.count(!failure.empty()) > 0) {
      config::GridPoint none;
      if (team.broadcast(0, none) != training::Team::kEnd)
        throw SchedulerError("team: expected the end of a failed point");
      continue;
    }
    trainer->follow();
  }
}

// The master's log: a line per finished point, and the progress line at a
// steady interval (suits a log file as well as a terminal).
class Progress {
 public:
  Progress(const std::vector<config::GridPoint>& points, const StatusCounts& counts)
      : points_(points), counts_(counts), start_(std::chrono::steady_clock::now()) {
    // Points the store holds as running were cut off: they run again.
    counts_[static_cast<int>(PointStatus::pending)] += counts_[static_cast<int>(PointStatus::running)];
    counts_[static_cast<int>(PointStatus::running)] = 0;
  }

  void on_dispatch(const config::GridPoint& p) {
    widths_[p.id] = p.width;  // a width chosen by grid.bisect is not the grid's
    --counts_[static_cast<int>(PointStatus::pending)];
    ++counts_[static_cast<int>(PointStatus::running)];
  }

  // A row reserved for grid.bisect that it will not need.
  void on_unused(const config::GridPoint& p) {
    log::info("point ", p.id, " (lr ", p.lr, ", batch ", p.batch, ", seed ", p.seed,
              "): unused (the width bisection of its line is resolved)");
    --counts_[static_cast<int>(PointStatus::pending)];
    ++counts_[static_cast<int>(PointStatus::unused)];
  }

  void on_result(const PointSummary& s) {
    const auto& p = points_[static_cast<std::size_t>(s.point_id)];
    const auto width = widths_.count(s.point_id) ? widths_.at(s.point_id) : p.width;
    log::info("point ", s.point_id, " (lr ", p.lr, ", batch ", p.batch, ", width ", width, ", seed ", p.seed,
              "): ", to_string(s.status), ", train loss ", s.scalar(config::layout::kFinalTrainLoss),
              ", test accuracy ", s.scalar(config::layout::kTestAccuracy), ", ", s.wall_seconds, " s",
              s.error.empty() ? "" : " [" + s.error + "]");
    --counts_[static_cast<int>(PointStatus::running)];
    ++counts_[static_cast<int>(s.status)];
    if (s.status != PointStatus::pending) ++finished_;
  }

  void log_line() const {
    const double hours = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count() / 3600;
    log::info("progress: ", progress_line(counts_, static_cast<double>(finished_) / hours));
  }

  std::int64_t left() const { return counts_[static_cast<int>(PointStatus::pending)]; }

 private:
  const std::vector<config::GridPoint>& points_;
  std::map<std::int64_t, std::int64_t> widths_;  // of the points dispatched
  StatusCounts counts_;
  std::chrono::steady_clock::time_point start_;
  std::int64_t finished_ = 0;
};

// Every rank may find its own problem (a worker without a GPU); all learn
// whether any rank did, and each prints its own.
bool any_rank_error(const std::string& error, MPI_Comm comm, int rank) {
  int mine = error.empty() ? 0 : 1, any = 0;
  check_mpi(MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, comm), "MPI_Allreduce");
  if (mine) std::cerr << "lsweep: error: rank " << rank << ": " << error << "\n";
  return any != 0;
}

// With train.pack > 1: puts the points to run of each pack (config::pack_ids,
// from the whole grid) next to each other, in the order of each pack's
// first point; returns their pack ids. Without packs: nothing changes.
std::vector<std::int64_t> order_by_pack(const config::JobConfig& job, const std::vector<config::GridPoint>& points,
                                        std::vector<config::GridPoint>& todo) {
  if (job.train.pack <= 1) return {};
  const auto ids = config::pack_ids(job, points);
  std::map<std::int64_t, std::size_t> first;  // pack id -> position of its first point to run
  for (std::size_t i = 0; i < todo.size(); ++i) first.emplace(ids[static_cast<std::size_t>(todo[i].id)], i);
  std::stable_sort(todo.begin(), todo.end(), [&](const config::GridPoint& a, const config::GridPoint& b) {
    return first[ids[static_cast<std::size_t>(a.id)]] < first[ids[static_cast<std::size_t>(b.id)]];
  });
  std::vector<std::int64_t> packs;
  for (const auto& p : todo) packs.push_back(ids[static_cast<std::size_t>(p.id)]);
  return packs;
}

// Runs the master or the worker loop; returns (on rank 0) the points left.
std::int64_t run_role(const config::JobConfig& job, const std::vector<config::GridPoint>& points, const StorePlan& plan,
                      store::Store& store, MPI_Comm comm, int rank, const std::optional<torch::Device>& device,
                      const WorkerData& data, double progress_seconds) {
  // Collective: every rank (the master gets none; nor anyone without teams).
  const auto team = team::make_team(comm, static_cast<int>(job.train.team), device ? *device : torch::kCPU);
  scheduler::MpiTransport transport(comm);
  if (rank != 0) {
    if (team && team->rank() != 0) {
      follow_team(*team, job, data, *device);
      return 0;
    }
    TrainingRunner runner(job, store, *device, data, team.get());
    scheduler::run_worker(transport, runner);
    config::GridPoint none;
    if (team) team->broadcast(training::Team::kShutdown, none);
    return 0;
  }
  Progress progress(points, plan.counts);
  scheduler::MasterOptions options;
  options.on_dispatch = [&](const config::GridPoint& p) { progress.on_dispatch(p); };
  options.on_result = [&](const PointSummary& s) { progress.on_result(s); };
  options.on_unrecorded = [&](const PointSummary& s) { store.write_summary(s); };
  options.on_tick = [&] { progress.log_line(); };
  options.tick = std::chrono::milliseconds(static_cast<std::int64_t>(progress_seconds * 1000));
  options.draining = [] { return drain_requested().load(); };
  options.team_size = static_cast<int>(job.train.team);
  if (job.grid.bisect > 0) {
    // Reserved rows the bisection does not need are written as unused at once.
    scheduler::BisectionSource source(job, points, plan.todo, plan.ended, [&](const config::GridPoint& p) {
      store.write_summary(unfinished_summary(p.id, PointStatus::unused, ""));
      progress.on_unused(p);
    });
    scheduler::run_master(transport, source, options);
    for (const auto& l : source.lines()) {
      if (!l.resolved) continue;
      log::info("bisection of lr ", l.lr, ", batch ", l.batch, ": ",
                l.low && l.high ? "N* between widths " + std::to_string(*l.low) + " and " + std::to_string(*l.high)
                : l.high        ? "fits at every width"
                                : "fits at no width",
                " (", l.chosen.size(), " width(s) bisected)");
    }
  } else {
    std::vector<config::GridPoint> todo;
    for (auto id : plan.todo) todo.push_back(points[static_cast<std::size_t>(id)]);
    scheduler::run_master(transport, todo, options, order_by_pack(job, points, todo));
  }
  progress.log_line();
  if (drain_requested()) log::warn("drained on a signal: ", progress.left(), " point(s) left for a resume");
  return progress.left();
}

// After a failure on any rank no collective call may be entered again (the
// others may sit in one already): the store's handles are dropped without
// closing (closing is collective), a store still being created is removed,
// and every rank is aborted. The store stays readable and resumable: after
// creation only raw rows are written in place.
[[noreturn]] void abort_sweep(const std::string& what, std::unique_ptr<store::Store>& store, StorePlan& plan,
                              MPI_Comm comm, int rank) {
  log::error("aborting the sweep: ", what);
  (void)store.release();  // deliberately leaked: MPI_Abort ends the process
  if (rank == 0) plan.lock.discard();
  MPI_Abort(comm, kFailure);
  std::abort();
}

int sweep(const config::JobConfig& job, const std::string& store_path, StorePlan& plan, MPI_Comm comm, int rank,
          int size, const std::optional<torch::Device>& device, double progress_seconds) {
  const auto points = config::expand_grid(job);
  const store::Provenance prov = provenance(comm, size);
  long long left = 0;
  const WorkerData data = rank != 0 ? load_worker_data(job, *device) : WorkerData{};
  std::unique_ptr<store::Store> store;
  std::string open_error;
  try {
    store = std::make_unique<store::Store>(plan.resume ? store::Store::open(store_path, comm, job)
                                                       : store::Store::create(store_path, comm, job, prov));
  } catch (const StorageError& e) {
    open_error = e.what();
  }
  if (!plan.resume) {  // create() fails on every rank alike, the half-built file removed; rank 0 says why
    if (!open_error.empty() && rank == 0) std::cerr << "lsweep: error: " << open_error << "\n";
    if (!open_error.empty()) return kFailure;
  } else if (any_rank_error(open_error, comm, rank)) {  // open() may fail on some ranks only
    return kFailure;
  }
  try {
    if (rank == 0) {
      plan.lock.published();
      log::info("sweep '", job.name, "': ", plan.resume ? "resuming, " : "", plan.todo.size(), " of ", points.size(),
                " points to run on ", size - 1, " worker(s); store ", store_path);
    }
    left = run_role(job, points, plan, *store, comm, rank, device, data, progress_seconds);
    quiet_barrier(comm);  // idle workers wait here without spinning while others still train
    check_mpi(MPI_Bcast(&left, 1, MPI_LONG_LONG, 0, comm), "MPI_Bcast");
    std::string end = utc_now();
    bcast_string(end, comm);
    store->finish(end);
    store->close();
  } catch (const std::exception& e) {
    abort_sweep(e.what(), store, plan, comm, rank);
  }
  if (rank == 0) {
    std::cout << "results: " << store_path << "\nreport:  lsweep report " << store_path << "\n";
    if (left > 0) std::cout << left << " point(s) left: run the same command again to resume\n";
  }
  return left > 0 ? kInterrupted : kOk;
}

// Every worker finds its device; a refusal (cuda without a GPU) on any rank
// refuses the run before the store is touched. Collective.
bool resolve_devices(const config::JobConfig& job, MPI_Comm comm, int rank, std::optional<torch::Device>& device) {
  std::string device_error;
  const int local_rank = node_local_rank(comm);  // collective: every rank calls it
  if (rank != 0) {
    try {
      device = training::resolve_device(job.train.device, local_rank);
    } catch (const Error& e) {
      device_error = e.what();
    }
  }
  return !any_rank_error(device_error, comm, rank);
}

}  // namespace

int run_command(const std::string& job_path, const std::string& store_path, double progress_seconds,
                const config::ProbeCatalog& catalog) {
  MpiSession mpi;
  install_drain_handlers();
  const MPI_Comm comm = MPI_COMM_WORLD;
  log::set_rank(mpi.rank());
  std::string text, read_error;
  if (mpi.rank() == 0) {
    try {
      text = config::read_job_text(job_path);
    } catch (const ConfigError& e) {
      read_error = e.what();
    }
  }
  if (agreed_error(read_error, comm, mpi.rank())) return kBadInput;
  bcast_string(text, comm);
  std::optional<config::JobConfig> job;
  std::string parse_error;
  try {
    job = config::parse_job(text, job_path, catalog);
  } catch (const ConfigError& e) {
    parse_error = e.what();
  }
  if (agreed_error(parse_error, comm, mpi.rank())) return kBadInput;
  std::string rank_error;
  if (mpi.size() < 2) {
    rank_error = "lsweep run needs at least 2 MPI ranks (rank 0 is the master, the others train); got " +
                 std::to_string(mpi.size()) + ": run it as mpirun -np N lsweep run ... with N >= 2";
  } else if (const auto k = job->train.team; (mpi.size() - 1) % k != 0) {
    rank_error = "train.team = " + std::to_string(k) + ": the " + std::to_string(mpi.size() - 1) +
                 " worker rank(s) of mpirun -np " + std::to_string(mpi.size()) + " do not form teams of " +
                 std::to_string(k) + "; allowed: a rank count of 1 + a multiple of " + std::to_string(k) +
                 " (mpirun -np " + std::to_string(1 + k) + ", " + std::to_string(1 + 2 * k) + ", ...)";
  }
  if (agreed_error(rank_error, comm, mpi.rank())) return kBadInput;
  std::optional<torch::Device> device;
  if (!resolve_devices(*job, comm, mpi.rank(), device)) return kBadInput;
  StorePlan plan;
  if (mpi.rank() == 0) {
    try {
      plan = plan_store(store_path, *job, catalog);
    } catch (const std::exception& e) {  // every rank must still reach bcast_plan
      plan.exit_code = kFailure;
      plan.error = std::string("cannot plan the sweep: ") + e.what();
    }
  }
  bcast_plan(plan, comm);
  if (plan.exit_code != 0) {
    if (mpi.rank() == 0) std::cerr << "lsweep: error: " << plan.error << "\n";
    return plan.exit_code;
  }
  if (plan.resume && plan.todo.empty()) {
    if (mpi.rank() == 0) {
      std::int64_t total = 0;
      for (auto c : plan.counts) total += c;
      std::cout << "nothing to run: all " << total << " points of " << store_path << " are finished\n";
    }
    return kOk;
  }
  try {
    return sweep(*job, store_path, plan, comm, mpi.rank(), mpi.size(), device, progress_seconds);
  } catch (const std::exception& e) {
    // A collective step can no longer complete on every rank: abort them all.
    std::unique_ptr<store::Store> none;
    abort_sweep(e.what(), none, plan, comm, mpi.rank());
  }
}

}  // namespace lsweep::cli
