#pragma once
/// \file
/// Point-to-point messaging between ranks, behind a small interface so that the
/// master and worker loops are tested in one process (LocalTransport) and run
/// across nodes with MPI (MpiTransport).

#include <chrono>
#include <optional>

#include "lsweep/scheduler/messages.hpp"

namespace lsweep::scheduler {

struct Envelope {
  int source = -1;
  Message message;
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// Sends `message` to rank `dest`. May return before it is received.
  virtual void send(int dest, const Message& message) = 0;
  /// Blocks, without spinning a core, until a message from any rank arrives.
  Envelope receive_any() { return *receive_any_for(std::nullopt); }
  /// As receive_any, but gives up after `timeout` (none: wait forever).
  virtual std::optional<Envelope> receive_any_for(std::optional<std::chrono::milliseconds> timeout) = 0;
};

}  // namespace lsweep::scheduler
