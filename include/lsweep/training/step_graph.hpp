#pragma once
/// \file
/// A training step captured once as a CUDA graph and replayed: one launch per
/// step instead of one per kernel, the same kernels, so the same bits. Only
/// LibTorch builds with CUDA (LSWEEP_WITH_CUDA) can capture; elsewhere
/// capture() throws, saying why, and the trainer stays eager.

#include <functional>
#include <memory>

#include <torch/types.h>

namespace lsweep::training {

class StepGraph {
 public:
  /// Captures `step` on a side stream of `device`. `step` must return the
  /// step's loss and may only read tensors that outlive the graph (the
  /// replays write into the same memory). Nothing runs during capture: the
  /// first replay() takes the step. Throws TrainingError when the build, the
  /// device or an operation of `step` does not allow capture.
  static std::unique_ptr<StepGraph> capture(const torch::Device& device, const std::function<torch::Tensor()>& step);
  ~StepGraph();
  StepGraph(const StepGraph&) = delete;
  StepGraph& operator=(const StepGraph&) = delete;

  /// Runs the captured step on the current stream; returns its loss (the
  /// same tensor each time, overwritten by every replay).
  const torch::Tensor& replay();

 private:
  StepGraph();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lsweep::training
