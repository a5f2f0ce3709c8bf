#pragma once
/// \file
/// The teams' transports: MPI (any device: CUDA tensors are summed through
/// host memory) and NCCL (CUDA tensors summed on the GPUs; built with
/// LSWEEP_WITH_NCCL). Both send commands over MPI.

#include <mpi.h>

#include <memory>

#include "lsweep/training/team.hpp"

namespace lsweep::team {

class MpiTeam : public training::Team {
 public:
  /// `comm`: the team's ranks, the leader first (not freed here).
  explicit MpiTeam(MPI_Comm comm);
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void sum(torch::Tensor& flat) override;
  int broadcast(int command, config::GridPoint& point) override;
  int count(bool failed) override;

 protected:
  MPI_Comm comm_;
  int rank_ = 0, size_ = 1;
};

/// The team of ranks 1..k, k+1..2k, ... of `comm` (rank 0 is the master):
/// splits `comm` (collective over it: the master calls it too and gets
/// nullptr, as does everyone when `team_size` is 1). NCCL when `device` is a
/// GPU and this lsweep has NCCL, else MPI.
std::unique_ptr<training::Team> make_team(MPI_Comm comm, int team_size, const torch::Device& device);

/// Whether this lsweep was built with NCCL teams.
bool has_nccl();

}  // namespace lsweep::team
