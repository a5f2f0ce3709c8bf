#pragma once
/// \file
/// Many models per task (train.pack): points that share everything but the
/// learning rate and the seed (the same width and batch; depth, data and
/// dtype are the job's) train as one batched model. Per layer their weights
/// are stacked, [K, out, in], and multiplied by batched matmuls; every model
/// keeps its own learning rate, its own minibatch order (its point's seed,
/// its member Trainer's sampler, importance sampling included) and its own momentum buffers, and is initialised
/// exactly as the one-point loop initialises it.
///
/// Each point keeps its own Trainer, whose model's parameters (and momentum
/// buffers) are slices of the stacked ones: checkpoints, probes, stop
/// criteria and the point's record are the one-point code. So a pack's rows
/// equal the one-point loop's up to the order of rounding (batched and single
/// matmuls sum in different orders): tested at float64 to 1e-10 relative.
/// A GPU runs small models launch-bound, so a pack of K costs about one
/// model's launches; on a CPU packs do not pay (docs/gpu.md).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <torch/types.h>

#include "lsweep/common/results.hpp"
#include "lsweep/config/grid.hpp"
#include "lsweep/training/dataset.hpp"
#include "lsweep/training/step_graph.hpp"
#include "lsweep/training/trainer.hpp"

namespace lsweep::training {

/// The one-point MLP (make_mlp: Linear layers, ReLU between them) for K
/// models at once. `stacked` holds each parameter stacked over the models, in
/// parameters() order ([K, out, in] weights, [K, out] biases); `x` is
/// [K, B, in] (each model its own inputs) or [B, in] (the same inputs for
/// every model, never copied K times). Returns [K, B, outputs].
torch::Tensor packed_mlp_forward(const std::vector<torch::Tensor>& stacked, const torch::Tensor& x);

class PackTrainer {
 public:
  /// Builds every point's model from its seed and moves the data to `device`
  /// once for all. Throws TrainingError if `points` is empty or its points do
  /// not share width and batch.
  PackTrainer(const config::JobConfig& job, std::vector<config::GridPoint> points, const Dataset& data,
              torch::Device device);
  ~PackTrainer();
  PackTrainer(const PackTrainer&) = delete;
  PackTrainer& operator=(const PackTrainer&) = delete;

  std::size_t size() const { return points_.size(); }
  const config::GridPoint& point(std::size_t k) const { return points_[k]; }
  /// Point k's trainer: its model is point k's slice of the stacked weights.
  Trainer& member(std::size_t k) { return *members_[k]; }

  /// One step of every model on its own next minibatch; each model's loss.
  /// On a GPU with train.cuda_graphs the step is a CUDA graph after
  /// Trainer::kEagerSteps eager steps, as for one point.
  std::vector<double> step();
  bool graph_active() const { return graph_ != nullptr; }
  const std::string& graph_fallback() const { return graph_fallback_; }

  /// Trains the step budget; point k runs with `options[k]` (its observers,
  /// the drain flag). A point whose stop criterion fires (diverged, say) is
  /// finished at that step, its record taken then; the others go on.
  /// Returns the records in the order of the points.
  std::vector<PointRecord> run(const Layout& layout, const std::vector<RunOptions>& options);

 private:
  torch::Tensor train_step(const torch::Tensor& idx);  // forward, backward, update: the losses [K]
  torch::Tensor next_indices();
  void capture_step();

  const config::JobConfig& job_;
  std::vector<config::GridPoint> points_;
  bool binary_, full_batch_;
  torch::Tensor x_train_, y_train_;
  std::vector<std::unique_ptr<Trainer>> members_;
  std::vector<torch::Tensor> params_;    // stacked [K, ...], leaves: weight, bias of each layer in turn
  std::vector<torch::Tensor> lr_;        // per parameter: the learning rates shaped to broadcast over it
  std::vector<torch::Tensor> momentum_;  // stacked buffers (undefined before the first step)
  bool buffers_shared_ = false;          // members' optimizers hold slices of momentum_
  bool try_graph_ = false;
  int eager_steps_ = 0;
  std::unique_ptr<StepGraph> graph_;
  torch::Tensor graph_idx_;
  std::string graph_fallback_;
};

}  // namespace lsweep::training
