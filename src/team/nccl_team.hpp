#pragma once
// NCCL teams: CUDA tensors summed on the GPUs, one communicator per team (its
// id sent over the team's MPI communicator); commands still go over MPI.

#include <nccl.h>

#include "lsweep/team/mpi_team.hpp"

namespace lsweep::team {

class NcclTeam : public MpiTeam {
 public:
  NcclTeam(MPI_Comm comm, const torch::Device& device);
  ~NcclTeam() override;
  NcclTeam(const NcclTeam&) = delete;
  NcclTeam& operator=(const NcclTeam&) = delete;
  /// CUDA tensors: ncclAllReduce on the legacy default stream (LibTorch's
  /// default), waited for; host tensors: MPI.
  void sum(torch::Tensor& flat) override;

 private:
  ncclComm_t nccl_ = nullptr;
};

}  // namespace lsweep::team
