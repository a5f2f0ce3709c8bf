// CUDA graphs through ATen's CUDAGraph (LibTorch builds with CUDA only).
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/cuda.h>

#include <string>

#include "lsweep/common/error.hpp"
#include "lsweep/training/step_graph.hpp"

namespace lsweep::training {

struct StepGraph::Impl {
  at::cuda::CUDAGraph graph;
  torch::Tensor loss;
};

StepGraph::StepGraph() : impl_(std::make_unique<Impl>()) {}
StepGraph::~StepGraph() = default;

std::unique_ptr<StepGraph> StepGraph::capture(const torch::Device& device, const std::function<torch::Tensor()>& step) {
  if (!device.is_cuda()) throw TrainingError("CUDA graphs need a CUDA device, not " + device.str());
  std::unique_ptr<StepGraph> g(new StepGraph);
  const c10::cuda::CUDAGuard device_guard(device);
  // Capture must not run on the default stream, nor while earlier work on it
  // is still in flight.
  torch::cuda::synchronize(device.index());
  const auto side = c10::cuda::getStreamFromPool(false, device.index());
  {
    const c10::cuda::CUDAStreamGuard stream_guard(side);
    g->impl_->graph.capture_begin();
    try {
      g->impl_->loss = step();
      g->impl_->graph.capture_end();
    } catch (const std::exception& e) {
      std::string why = e.what();
      try {
        g->impl_->graph.capture_end();  // leaves the stream out of capture mode
      } catch (const std::exception&) {
      }
      throw TrainingError("CUDA graph capture failed: " + why.substr(0, why.find('\n')));
    }
  }
  torch::cuda::synchronize(device.index());
  return g;
}

const torch::Tensor& StepGraph::replay() {
  impl_->graph.replay();
  return impl_->loss;
}

}  // namespace lsweep::training
