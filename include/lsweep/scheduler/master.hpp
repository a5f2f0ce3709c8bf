#pragma once
/// \file
/// The master loop (rank 0): dynamic self-scheduling. Every worker says ready;
/// each ready or result message is answered with the next point, or with
/// shutdown once none is left. Knows nothing of training or storage.

#include <chrono>
#include <functional>
#include <vector>

#include "lsweep/common/results.hpp"
#include "lsweep/config/grid.hpp"
#include "lsweep/scheduler/point_source.hpp"
#include "lsweep/scheduler/transport.hpp"

namespace lsweep::scheduler {

/// Called on the master for every point that ends (any status), as it arrives.
using ResultCallback = std::function<void(const PointSummary&)>;

struct MasterOptions {
  /// Every point's summary, as it arrives (done, diverged, failed, timed out,
  /// or pending: interrupted by a drain).
  ResultCallback on_result;
  /// A point handed to a worker.
  std::function<void(const config::GridPoint&)> on_dispatch;
  /// Points of a worker that stopped: that worker could not store them.
  ResultCallback on_unrecorded;
  /// Called at least every `tick` while the master waits (progress lines).
  std::function<void()> on_tick;
  std::chrono::milliseconds tick{1000};
  /// Once true, no more points are handed out; running points end as the
  /// workers report them, and idle workers are shut down.
  std::function<bool()> draining;
  /// Points a worker holds at once: the one it trains and the next ones,
  /// already sent, so that it starts the next point the moment it reports
  /// one (no round trip to the master in between). 1: strict one-at-a-time.
  int tasks_per_worker = 2;
  /// Ranks per team (train.team): ranks 1..k are one worker (its leader,
  /// rank 1, says ready and takes tasks), k+1..2k the next, and so on.
  int team_size = 1;
};

/// Runs until every worker is shut down or has reported an error, handing
/// out the points of `source` as workers become free (each holds up to
/// options.tasks_per_worker); a worker that finds no point ready waits
/// (without spinning) until a result lets the source decide new ones. A
/// worker is shut down once it holds nothing and the source is exhausted. Returns one summary per point handed out, in
/// the order they were handed out. A worker that reports an error gets no more work; the points it held are recorded as
/// failed (and passed to on_unrecorded). A worker that returns a point pending (it is draining) is shut down. Throws
/// SchedulerError if there is no worker (transport size < 2), if a message breaks the protocol, or if the source waits
/// for results while no point runs.
std::vector<PointSummary> run_master(Transport& transport, PointSource& source, const MasterOptions& options = {});

/// run_master over a fixed list: one summary per point, in the order of
/// `points`; points never handed out (a drain) are returned as pending. With
/// `packs` (a pack id per point; a pack's points consecutive), each pack is
/// handed out as one task.
std::vector<PointSummary> run_master(Transport& transport, const std::vector<config::GridPoint>& points,
                                     const MasterOptions& options = {}, const std::vector<std::int64_t>& packs = {});

}  // namespace lsweep::scheduler
