#pragma once
/// \file
/// Transport over MPI point-to-point messages on a communicator.
///
/// Receives poll with MPI_Iprobe and back off with short sleeps (up to
/// `max_idle_sleep`), so a waiting master does not burn the core a worker needs
/// (Open MPI's blocking receive spins). Right after a message the poll is tight
/// again, so dispatch stays at thousands of messages per second.
///
/// Sends do not wait for the receiver: a blocking MPI_Send of more than a few
/// hundred bytes waits (spinning) until the receiver polls, which a sleeping
/// master does up to max_idle_sleep later: a worker lost about 1 ms per point
/// there. Sends are MPI_Isend, completed in the background of later calls
/// and at destruction.

#include <mpi.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "lsweep/scheduler/transport.hpp"

namespace lsweep::scheduler {

class MpiTransport : public Transport {
 public:
  /// `comm` must outlive the transport. Not collective.
  explicit MpiTransport(MPI_Comm comm, std::chrono::microseconds max_idle_sleep = std::chrono::microseconds(2000));
  /// Waits (without spinning) until every send has completed.
  ~MpiTransport() override;
  MpiTransport(const MpiTransport&) = delete;
  MpiTransport& operator=(const MpiTransport&) = delete;
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void send(int dest, const Message& message) override;
  std::optional<Envelope> receive_any_for(std::optional<std::chrono::milliseconds> timeout) override;

 private:
  struct Outgoing {
    std::string bytes;  // must live until the send completes
    MPI_Request request = MPI_REQUEST_NULL;
  };
  /// Drops the sends that have completed; true when none is left.
  bool reap();

  MPI_Comm comm_;
  int rank_ = 0;
  int size_ = 0;
  std::chrono::microseconds max_idle_sleep_;
  std::vector<std::unique_ptr<Outgoing>> outgoing_;
};

/// A barrier over `comm` that sleeps while it waits (up to 20 ms between
/// polls) instead of spinning like MPI_Barrier: ranks that are done leave the
/// cores to ranks still working. Collective.
void quiet_barrier(MPI_Comm comm);

/// Throws MpiError with the MPI error text if `rc` is not MPI_SUCCESS.
void check_mpi(int rc, const char* what);

}  // namespace lsweep::scheduler
