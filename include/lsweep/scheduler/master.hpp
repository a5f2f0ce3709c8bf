#pragma once
/// \file
/// The master loop (rank 0): dynamic self-scheduling. Every worker says ready;
/// each ready or result message is answered with the next point, or with
/// shutdown once none is left. Knows nothing of training or storage.

#include <functional>
#include <vector>

#include "lsweep/common/results.hpp"
#include "lsweep/config/grid.hpp"
#include "lsweep/scheduler/transport.hpp"

namespace lsweep::scheduler {

/// Called on the master for every point that ends (any status), as it arrives.
using ResultCallback = std::function<void(const PointSummary&)>;

/// Runs until every worker is shut down or has reported an error, and returns
/// one summary per point, in the order of `points`. A worker that reports an
/// error gets no more work; the points it held are recorded as failed and,
/// since that worker could not store them, passed to `on_unrecorded` too.
/// Throws SchedulerError if there is no worker (transport size < 2) or a
/// message breaks the protocol.
std::vector<PointSummary> run_master(Transport& transport, const std::vector<config::GridPoint>& points,
                                     const ResultCallback& on_result = {}, const ResultCallback& on_unrecorded = {});

}  // namespace lsweep::scheduler
