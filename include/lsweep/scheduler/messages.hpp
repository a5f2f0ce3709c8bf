#pragma once
/// \file
/// The master/worker protocol. Every message is one struct, serialised with
/// Boost.Serialization into bytes that any Transport carries.
///
///   worker -> master: ready (once, at start), result (after each task), error
///   master -> worker: task (points to run), shutdown (no work left)

#include <string>
#include <vector>

#include "lsweep/common/results.hpp"
#include "lsweep/config/grid.hpp"

namespace lsweep::scheduler {

enum class MessageKind : int { ready = 0, task = 1, result = 2, shutdown = 3, error = 4 };

/// Points to train. A list so that a later version can batch points that share
/// width and batch size into one model.
struct Task {
  std::vector<config::GridPoint> points;
};

/// One summary per point of the task, in the task's order.
struct Result {
  std::vector<PointSummary> points;
};

struct Message {
  MessageKind kind = MessageKind::ready;
  Task task;          ///< kind == task
  Result result;      ///< kind == result, and the unfinished points of an error
  std::string error;  ///< kind == error: why the worker stops
};

Message make_ready();
Message make_task(Task task);
Message make_result(Result result);
Message make_shutdown();
/// A worker that cannot go on: `lost` holds the points it had, marked failed.
Message make_error(std::string what, Result lost);

/// Bytes for a Transport. Throws SchedulerError if encoding fails.
std::string encode(const Message& message);
/// Inverse of encode. Throws SchedulerError on bytes that are not a message.
Message decode(const std::string& bytes);

const char* to_string(MessageKind kind);

}  // namespace lsweep::scheduler
