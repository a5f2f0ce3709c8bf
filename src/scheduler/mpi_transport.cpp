#include "lsweep/scheduler/mpi_transport.hpp"

#include <algorithm>
#include <thread>

#include "lsweep/common/error.hpp"

namespace lsweep::scheduler {
namespace {

constexpr int kTag = 7301;

// Calls ready() until it is true, sleeping between calls, 1 us at first and
// doubling up to max_pause: a waiting rank does not burn a core (Open MPI's
// blocking calls spin). False if `timeout` passed first (none: wait forever).
template <typename Ready>
bool poll_with_backoff(Ready ready, std::optional<std::chrono::milliseconds> timeout,
                       std::chrono::microseconds max_pause) {
  const auto deadline = std::chrono::steady_clock::now() + timeout.value_or(std::chrono::milliseconds(0));
  auto pause = std::chrono::microseconds(1);
  while (!ready()) {
    if (timeout && std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, max_pause);
  }
  return true;
}

}  // namespace

void quiet_barrier(MPI_Comm comm) {
  MPI_Request request;
  check_mpi(MPI_Ibarrier(comm, &request), "MPI_Ibarrier");
  int done = 0;
  poll_with_backoff(
      [&] {
        check_mpi(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "MPI_Test");
        return done != 0;
      },
      std::nullopt, std::chrono::microseconds(20000));
}

void check_mpi(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  throw MpiError(std::string(what) + " failed: " + std::string(text, static_cast<std::size_t>(len)));
}

MpiTransport::MpiTransport(MPI_Comm comm, std::chrono::microseconds max_idle_sleep)
    : comm_(comm), max_idle_sleep_(max_idle_sleep) {
  check_mpi(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
  check_mpi(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
}

MpiTransport::~MpiTransport() {
  try {
    poll_with_backoff([&] { return reap(); }, std::nullopt, max_idle_sleep_);
  } catch (const MpiError&) {
    // A destructor never throws; the job is failing anyway.
  }
}

bool MpiTransport::reap() {
  for (auto it = outgoing_.begin(); it != outgoing_.end();) {
    int done = 0;
    check_mpi(MPI_Test(&(*it)->request, &done, MPI_STATUS_IGNORE), "MPI_Test");
    it = done ? outgoing_.erase(it) : it + 1;
  }
  return outgoing_.empty();
}

void MpiTransport::send(int dest, const Message& message) {
  auto out = std::make_unique<Outgoing>();
  out->bytes = encode(message);
  check_mpi(
      MPI_Isend(out->bytes.data(), static_cast<int>(out->bytes.size()), MPI_BYTE, dest, kTag, comm_, &out->request),
      "MPI_Isend");
  outgoing_.push_back(std::move(out));
  reap();
}

std::optional<Envelope> MpiTransport::receive_any_for(std::optional<std::chrono::milliseconds> timeout) {
  MPI_Status status;
  int flag = 0;
  const bool arrived = poll_with_backoff(
      [&] {
        if (!outgoing_.empty()) reap();
        check_mpi(MPI_Iprobe(MPI_ANY_SOURCE, kTag, comm_, &flag, &status), "MPI_Iprobe");
        return flag != 0;
      },
      timeout, max_idle_sleep_);
  if (!arrived) return std::nullopt;
  int count = 0;
  check_mpi(MPI_Get_count(&status, MPI_BYTE, &count), "MPI_Get_count");
  std::string bytes(static_cast<std::size_t>(count), '\0');
  check_mpi(MPI_Recv(bytes.data(), count, MPI_BYTE, status.MPI_SOURCE, kTag, comm_, MPI_STATUS_IGNORE), "MPI_Recv");
  return Envelope{status.MPI_SOURCE, decode(bytes)};
}

}  // namespace lsweep::scheduler
