#pragma once
/// \file
/// In-process transport: one mailbox per rank, ranks are threads. For tests of
/// the master/worker logic without mpirun.

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "lsweep/scheduler/transport.hpp"

namespace lsweep::scheduler {

/// The shared mailboxes of `size` ranks. Messages go through encode/decode, as
/// they would over MPI.
class LocalHub {
 public:
  explicit LocalHub(int size);
  int size() const { return static_cast<int>(boxes_.size()); }
  void post(int source, int dest, const Message& message);
  std::optional<Envelope> take(int dest, std::optional<std::chrono::milliseconds> timeout);

 private:
  struct Box {
    std::mutex mutex;
    std::condition_variable ready;
    std::deque<std::pair<int, std::string>> queue;
  };
  std::vector<std::unique_ptr<Box>> boxes_;
};

class LocalTransport : public Transport {
 public:
  LocalTransport(LocalHub& hub, int rank) : hub_(hub), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return hub_.size(); }
  void send(int dest, const Message& message) override { hub_.post(rank_, dest, message); }
  std::optional<Envelope> receive_any_for(std::optional<std::chrono::milliseconds> timeout) override {
    return hub_.take(rank_, timeout);
  }

 private:
  LocalHub& hub_;
  int rank_;
};

}  // namespace lsweep::scheduler
