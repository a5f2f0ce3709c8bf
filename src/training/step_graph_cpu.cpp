// Builds without CUDA: there is nothing to capture.
#include "lsweep/common/error.hpp"
#include "lsweep/training/step_graph.hpp"

namespace lsweep::training {

struct StepGraph::Impl {};

StepGraph::StepGraph() = default;
StepGraph::~StepGraph() = default;

std::unique_ptr<StepGraph> StepGraph::capture(const torch::Device&, const std::function<torch::Tensor()>&) {
  throw TrainingError("this lsweep was built without CUDA (LSWEEP_WITH_CUDA=OFF): no CUDA graphs");
}

const torch::Tensor& StepGraph::replay() {
  throw TrainingError("this lsweep was built without CUDA (LSWEEP_WITH_CUDA=OFF): no CUDA graphs");
}

}  // namespace lsweep::training
