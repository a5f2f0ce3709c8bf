#pragma once
/// \file
/// The worker loop (ranks > 0): say ready, run each task's points, report,
/// until the master says shutdown.

#include "lsweep/common/results.hpp"
#include "lsweep/config/grid.hpp"
#include "lsweep/scheduler/transport.hpp"

namespace lsweep::scheduler {

/// What a worker does with a point; the cli wires training and storage in.
class PointRunner {
 public:
  virtual ~PointRunner() = default;
  /// Trains and records one point; returns its summary (done or diverged).
  /// May throw anything: the point is then recorded as failed; but a
  /// FatalError (the store cannot be written) ends the worker loop instead.
  virtual PointSummary run(const config::GridPoint& point) = 0;
  /// Trains and records a pack (a task of several points, train.pack > 1)
  /// together; returns their summaries in order. Throwing fails every point
  /// of the pack. By default, run() point by point.
  virtual std::vector<PointSummary> run_pack(const std::vector<config::GridPoint>& points);
  /// Records a failed point (status and message). If this throws, the worker
  /// reports an error to the master and stops taking work (a FatalError
  /// ends the worker loop instead).
  virtual void record_failure(const PointSummary& failed) = 0;
};

/// Runs until shutdown (returns normally) or until the runner cannot record a
/// failure (reports an error to the master, then returns). Throws
/// SchedulerError on a message that breaks the protocol, and passes on the
/// runner's FatalError (the caller must then stop every rank).
void run_worker(Transport& transport, PointRunner& runner);

/// The summary of a point that threw `what`.
PointSummary failed_summary(const config::GridPoint& point, const std::string& what);

}  // namespace lsweep::scheduler
