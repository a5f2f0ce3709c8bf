#include "lsweep/team/mpi_team.hpp"

#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "lsweep/common/error.hpp"

#ifdef LSWEEP_WITH_NCCL
#include "nccl_team.hpp"
#endif

namespace lsweep::team {
namespace {

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS)
    throw SchedulerError(std::string(what) + " failed in a team (MPI error " + std::to_string(rc) + ")");
}

// A command and its point, as they cross the wire.
struct Wire {
  std::int64_t command, id, batch, width, seed;
  double lr;
};

}  // namespace

MpiTeam::MpiTeam(MPI_Comm comm) : comm_(comm) {
  check(MPI_Comm_rank(comm, &rank_), "MPI_Comm_rank");
  check(MPI_Comm_size(comm, &size_), "MPI_Comm_size");
}

void MpiTeam::sum(torch::Tensor& flat) {
  if (size_ == 1) return;
  if (!flat.is_contiguous() || flat.dim() != 1) throw TrainingError("a team sums contiguous 1-D tensors");
  torch::Tensor host = flat.is_cuda() ? flat.to(torch::kCPU) : flat;
  const MPI_Datatype type = host.scalar_type() == torch::kFloat64 ? MPI_DOUBLE : MPI_FLOAT;
  if (host.scalar_type() != torch::kFloat64 && host.scalar_type() != torch::kFloat32) {
    throw TrainingError("a team sums float32 or float64 tensors");
  }
  check(MPI_Allreduce(MPI_IN_PLACE, host.data_ptr(), static_cast<int>(host.numel()), type, MPI_SUM, comm_),
        "MPI_Allreduce");
  if (flat.is_cuda()) flat.copy_(host);
}

int MpiTeam::broadcast(int command, config::GridPoint& point) {
  Wire w{command, point.id, point.batch, point.width, point.seed, point.lr};
  check(MPI_Bcast(&w, sizeof w, MPI_BYTE, 0, comm_), "MPI_Bcast");
  point = {w.id, w.lr, w.batch, w.width, w.seed};
  return static_cast<int>(w.command);
}

int MpiTeam::count(bool failed) {
  int mine = failed ? 1 : 0, all = 0;
  check(MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_SUM, comm_), "MPI_Allreduce");
  return all;
}

std::unique_ptr<training::Team> make_team(MPI_Comm comm, int team_size, const torch::Device& device) {
  int rank = 0;
  check(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank");
  MPI_Comm team_comm = MPI_COMM_NULL;
  const int color = (team_size <= 1 || rank == 0) ? MPI_UNDEFINED : (rank - 1) / team_size;
  check(MPI_Comm_split(comm, color, rank, &team_comm), "MPI_Comm_split");
  if (team_comm == MPI_COMM_NULL) return nullptr;
#ifdef LSWEEP_WITH_NCCL
  if (device.is_cuda()) return std::make_unique<NcclTeam>(team_comm, device);
#else
  (void)device;
#endif
  return std::make_unique<MpiTeam>(team_comm);
}

bool has_nccl() {
#ifdef LSWEEP_WITH_NCCL
  return true;
#else
  return false;
#endif
}

}  // namespace lsweep::team
