#include "lsweep/scheduler/mpi_transport.hpp"

#include <algorithm>
#include <thread>

#include "lsweep/common/error.hpp"

namespace lsweep::scheduler {
namespace {
constexpr int kTag = 7301;
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

void MpiTransport::send(int dest, const Message& message) {
  const std::string bytes = encode(message);
  check_mpi(MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, dest, kTag, comm_), "MPI_Send");
}

std::optional<Envelope> MpiTransport::receive_any_for(std::optional<std::chrono::milliseconds> timeout) {
  MPI_Status status;
  int flag = 0;
  auto pause = std::chrono::microseconds(1);
  const auto deadline = std::chrono::steady_clock::now() + timeout.value_or(std::chrono::milliseconds(0));
  for (;;) {
    check_mpi(MPI_Iprobe(MPI_ANY_SOURCE, kTag, comm_, &flag, &status), "MPI_Iprobe");
    if (flag) break;
    if (timeout && std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, max_idle_sleep_);
  }
  int count = 0;
  check_mpi(MPI_Get_count(&status, MPI_BYTE, &count), "MPI_Get_count");
  std::string bytes(static_cast<std::size_t>(count), '\0');
  check_mpi(MPI_Recv(bytes.data(), count, MPI_BYTE, status.MPI_SOURCE, kTag, comm_, MPI_STATUS_IGNORE), "MPI_Recv");
  return Envelope{status.MPI_SOURCE, decode(bytes)};
}

}  // namespace lsweep::scheduler
