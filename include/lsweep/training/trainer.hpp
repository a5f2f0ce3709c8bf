#pragma once
/// \file
/// The trainer: SGD (optionally with heavy-ball momentum; full-batch GD when
/// batch = P) on one grid point, with evaluations at the checkpoint schedule.
/// Results depend only on the job, the point and the dataset: never on the
/// rank, the order of points or what ran before on the same worker.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <torch/nn/modules/container/sequential.h>
#include <torch/types.h>

#include "lsweep/common/results.hpp"
#include "lsweep/config/grid.hpp"
#include "lsweep/training/dataset.hpp"
#include "lsweep/training/optimizer.hpp"
#include "lsweep/training/step_graph.hpp"
#include "lsweep/training/stop.hpp"
#include "lsweep/training/team.hpp"

namespace lsweep::training {

class TanhRegressionImpl;

/// Minibatch indices: a fresh permutation of [0, n) every epoch from a seeded
/// generator, cut into consecutive batches; a last partial batch is dropped.
/// Platform-independent (own Fisher-Yates over std::mt19937_64).
///
/// Importance sampling (SCIENCE.md section 5): with sampling weights
/// (set_weights), each index of a batch is drawn independently with
/// probability w_i / sum(w), from the same generator. Equal weights are the
/// permutation again, so uniform weights give the same sequence, bit for bit,
/// as none.
class BatchSampler {
 public:
  BatchSampler(std::int64_t n, std::int64_t batch, std::uint64_t seed);
  /// The next batch of indices (int64 tensor of length `batch`, CPU).
  torch::Tensor next();
  /// The same indices as next(), written to `out` (`batch` values).
  void next_into(std::int64_t* out);
  /// One weight per sample, finite and >= 0, not all 0 (std::invalid_argument
  /// otherwise); empty: back to the permutation.
  void set_weights(const std::vector<double>& weights);
  /// Kish's effective sample size of the weights, (sum w)^2 / sum w^2: n
  /// with none or equal ones, 1 when one sample has all the weight.
  double effective_sample_size() const { return ess_; }

 private:
  void shuffle();
  std::int64_t n_, batch_, pos_;
  std::mt19937_64 rng_;
  std::vector<std::int64_t> order_;
  std::vector<double> cumulative_;  ///< running sums of the weights; empty: the permutation
  double ess_;
};

/// Importance-sampling weights exp(-(l_i - min l) / temperature) of per-sample
/// losses: proportional to exp(-l_i / U), the largest 1. A temperature so
/// large that every weight rounds to 1 (+inf included) gives equal weights.
std::vector<double> importance_weights(const std::vector<double>& losses, double temperature);

struct Evaluation {
  double loss = 0.0;
  double accuracy = 0.0;
};

/// What an observer (a probe) sees of the point being trained. The model and
/// data are on the training device, in the training dtype.
struct PointState {
  const config::JobConfig& job;
  const config::GridPoint& point;
  torch::nn::Sequential& model;
  const torch::Tensor& x_train;  ///< the whole training set [P, d]
  const torch::Tensor& y_train;
  const Optimizer& optimizer;  ///< learning rate, momentum and its buffers
  std::int64_t step = 0;       ///< optimizer steps taken so far
  /// At checkpoints and at the end, when an observer wants it: the gradient
  /// of the whole training set's loss, one tensor per parameter (in
  /// parameters() order), computed in the same pass as the evaluation.
  /// Empty otherwise.
  const std::vector<torch::Tensor>& full_gradient;
  const torch::Tensor& x_test;  ///< the test set [T, d] (T = 0 without one)
  const torch::Tensor& y_test;
  /// The trainer's own evaluation (in chunks, no gradients) of the model as
  /// it is now: the bits the trainer records for the same parameters.
  std::function<Evaluation(const torch::Tensor& x, const torch::Tensor& y)> evaluate;
  /// The job's loss (a mean over the samples) of outputs `out` for labels `y`.
  torch::Tensor loss(const torch::Tensor& out, const torch::Tensor& y) const;
};

/// Hooks into the training of one point (a probe's computing side); each
/// defaults to nothing. An observer must not change the training: it may run
/// the model forward and backward (gradients are reset before every step)
/// but must not touch parameters, buffers or LibTorch's global generator;
/// except that finish() may move the parameters if it puts them back bit for
/// bit before it returns (the landscape probe).
class PointObserver {
 public:
  virtual ~PointObserver() = default;
  /// Before the first step (the model as initialised).
  virtual void start(const PointState& /*state*/) {}
  /// At checkpoint `k` (after /series/step[k] steps), after the trainer's own evaluation.
  virtual void checkpoint(const PointState& /*state*/, std::size_t /*k*/, Rows& /*rows*/) {}
  /// After the last step taken, whatever the status, after the final evaluation.
  virtual void finish(const PointState& /*state*/, Rows& /*rows*/) {}
  /// Extra reasons to stop early (checked after the trainer's own); none by default.
  virtual std::unique_ptr<StopCriterion> stop_criterion() { return nullptr; }
  /// Whether checkpoint() and finish() need PointState::full_gradient.
  virtual bool wants_full_gradient() const { return false; }
  /// Whether step() is to be called after every step taken.
  virtual bool wants_steps() const { return false; }
  /// After each step taken (state.step steps) that did not stop the point,
  /// before that step's checkpoint, when wants_steps().
  virtual void step(const PointState& /*state*/) {}
};

/// How a point runs besides its job: what may interrupt it and who watches.
struct RunOptions {
  const std::atomic<bool>* interrupt = nullptr;  ///< drain flag: stop as pending once true
  std::vector<PointObserver*> observers;         ///< not owned
};

class Trainer {
 public:
  /// Builds the model from `point.seed` and moves model and data to `device`.
  /// With model.variable_projection, the tanh model's alpha is set to its
  /// least-squares value on the whole training set (TanhRegressionImpl::
  /// project) here and after every step, so evaluations, observers and the
  /// next step all see alpha*(w); steps then follow the minibatch gradient in
  /// w at alpha*(w), whose mean over minibatches is the reduced loss's
  /// gradient (envelope theorem). No CUDA graph then.
  /// With a `team` (not owned), this rank trains its slice of every
  /// minibatch and the team sums the gradients (team.hpp): the leader calls
  /// run() (or step()), the others follow().
  Trainer(const config::JobConfig& job, const config::GridPoint& point, const Dataset& data, torch::Device device,
          Team* team = nullptr);
  ~Trainer();

  /// One optimizer step on the next minibatch; returns its loss. On a GPU
  /// with train.cuda_graphs, steps after the first kEagerSteps replay a CUDA
  /// graph of the step (same bits); if capture fails, training stays eager
  /// and graph_fallback() says why.
  double step();
  static constexpr int kEagerSteps = 3;
  /// A team member's part: takes the steps the leader commands, until it
  /// says the point has ended.
  void follow();
  /// Whether steps now replay a CUDA graph.
  bool graph_active() const { return graph_ != nullptr; }
  /// Why a GPU point with train.cuda_graphs trains eagerly: its step changes
  /// every step, or a capture was tried and failed (empty otherwise).
  const std::string& graph_fallback() const { return graph_fallback_; }
  /// Mean loss and accuracy over a whole set, in chunks, without gradients.
  Evaluation evaluate(const torch::Tensor& x, const torch::Tensor& y);
  /// As evaluate(), and the gradient of that mean loss into `gradient` (one
  /// tensor per parameter), in the same forward pass; the same loss and
  /// accuracy bits as evaluate(). Parameters' .grad are left alone.
  Evaluation evaluate_with_gradient(const torch::Tensor& x, const torch::Tensor& y,
                                    std::vector<torch::Tensor>& gradient);
  /// Trains the step budget; evaluates the training set at every checkpoint
  /// and calls the observers. Stops early at the first stop criterion that
  /// fires: interrupted (pending, to be run again), timed_out after
  /// train.point_time_limit seconds, diverged at the first non-finite
  /// minibatch loss, then the observers' own. Rows follow `layout` (the
  /// store's); the summary carries every one-value row as a scalar.
  PointRecord run(const Layout& layout, const RunOptions& options = {});
  /// run() with the job's own layout (tests, tools).
  PointRecord run(const RunOptions& options = {});
  /// run() in pieces, for a trainer that takes the steps itself (a pack):
  /// begin() (observers' start, checkpoint 0), after_step() after each step
  /// taken with its minibatch loss (stop criteria, checkpoints; false once
  /// the point must stop), end() (final evaluation, observers' finish).
  void begin(const Layout& layout, const RunOptions& options = {});
  bool after_step(std::int64_t step, double loss);
  PointRecord end();

  /// Importance sampling (train.importance_temperature U): when due, before
  /// the first step and every train.importance_refresh steps after, sets the
  /// sampler's weights to exp(-(l_i - min l) / U) of the model's per-sample
  /// losses on the whole training set. Nothing without U, for full-batch
  /// points (they train on every sample), or while a per-sample loss is not finite
  /// (the weights stay; the point is about to diverge). Called by every step
  /// with the optimizer's step count, and by a pack for its members.
  void refresh_sampling();
  /// The point's minibatch order (a pack draws its members' batches from them).
  BatchSampler& sampler() { return sampler_; }

  /// The network being trained (for probes and tests).
  torch::nn::Sequential& model() { return model_; }
  const Optimizer& optimizer() const { return *optimizer_; }
  Optimizer& optimizer() { return *optimizer_; }
  /// The state observers see, at `step` steps.
  PointState state(std::int64_t step);

 private:
  StopCriteria stop_criteria(const RunOptions& options) const;
  torch::Tensor train_step(const torch::Tensor& idx);  // forward, backward, update; the loss tensor
  double take_step();                                  // step() without the leader's command
  torch::Tensor team_step(const torch::Tensor& x, const torch::Tensor& y);
  void capture_step();
  void checkpoint(std::size_t k, std::int64_t step);
  struct Run;
  std::unique_ptr<Run> run_;  // between begin() and end()
  Evaluation evaluate_train(bool with_gradient);
  Evaluation evaluate_chunks(const torch::Tensor& x, const torch::Tensor& y, std::vector<torch::Tensor>* gradient);

  const config::JobConfig& job_;
  config::GridPoint point_;
  bool binary_;
  torch::Tensor x_train_, y_train_, x_test_, y_test_;
  torch::nn::Sequential model_;
  std::unique_ptr<Optimizer> optimizer_;
  BatchSampler sampler_;
  bool full_batch_;
  std::int64_t sampling_refreshed_ = -1;      // optimizer steps at the last refresh of the weights
  std::vector<torch::Tensor> full_gradient_;  // of the last evaluate_train(true)
  // CUDA graph of the step: tried after kEagerSteps eager steps (cuBLAS and
  // the momentum buffers are set up by then); graph_idx_ is its minibatch.
  bool try_graph_ = false;
  int eager_steps_ = 0;
  std::unique_ptr<StepGraph> graph_;
  torch::Tensor graph_idx_;
  std::string graph_fallback_;
  Team* team_ = nullptr;
  // model.variable_projection: the tanh model whose alpha is solved for
  // after every step (and before the first), on the whole training set.
  TanhRegressionImpl* projected_ = nullptr;
};

/// The device a worker trains on: cpu; cuda (fails without a GPU); auto (cuda
/// if any). With several GPUs per node, `local_rank` picks one.
torch::Device resolve_device(config::DeviceKind kind, int local_rank);

/// Sets LibTorch's intra-op threads and OpenBLAS's threads (if OpenBLAS is
/// the loaded BLAS). Call once per process before training.
void set_compute_threads(int threads);

/// Keeps glibc malloc from returning the heap top to the OS after every step:
/// otherwise each step of a batch-128 run faults ~1 MB of fresh pages back in
/// (measured: 25-30% of the step time at width 256). Call once per worker.
void tune_allocator();

}  // namespace lsweep::training
