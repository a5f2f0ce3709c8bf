// Compiled whenever nccl.h and the CUDA runtime are found (CI compiles it);
// linked into lsweep only with a CUDA LibTorch (LSWEEP_WITH_CUDA).
#include "nccl_team.hpp"

#include <cuda_runtime_api.h>
#include <torch/torch.h>

#include <string>

#include "lsweep/common/error.hpp"

namespace lsweep::team {
namespace {

void check_nccl(ncclResult_t rc, const char* what) {
  if (rc != ncclSuccess) throw TrainingError(std::string(what) + " failed: " + ncclGetErrorString(rc));
}

void check_cuda(cudaError_t rc, const char* what) {
  if (rc != cudaSuccess) throw TrainingError(std::string(what) + " failed: " + cudaGetErrorString(rc));
}

}  // namespace

NcclTeam::NcclTeam(MPI_Comm comm, const torch::Device& device) : MpiTeam(comm) {
  check_cuda(cudaSetDevice(device.index()), "cudaSetDevice");
  ncclUniqueId id;
  if (rank_ == 0) check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
  if (MPI_Bcast(&id, sizeof id, MPI_BYTE, 0, comm_) != MPI_SUCCESS)
    throw SchedulerError("MPI_Bcast of the NCCL id failed");
  check_nccl(ncclCommInitRank(&nccl_, size_, id, rank_), "ncclCommInitRank");
}

NcclTeam::~NcclTeam() {
  if (nccl_) ncclCommDestroy(nccl_);
}

void NcclTeam::sum(torch::Tensor& flat) {
  if (!flat.is_cuda()) return MpiTeam::sum(flat);
  if (size_ == 1) return;
  const auto type = flat.scalar_type() == torch::kFloat64 ? ncclFloat64 : ncclFloat32;
  check_nccl(ncclAllReduce(flat.data_ptr(), flat.data_ptr(), static_cast<std::size_t>(flat.numel()), type, ncclSum,
                           nccl_, nullptr),
             "ncclAllReduce");
  check_cuda(cudaStreamSynchronize(nullptr), "cudaStreamSynchronize");
}

}  // namespace lsweep::team
