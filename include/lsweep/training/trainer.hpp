#pragma once
/// \file
/// The trainer: SGD (optionally with heavy-ball momentum; full-batch GD when
/// batch = P) on one grid point, with evaluations at the checkpoint schedule.
/// Results depend only on the job, the point and the dataset: never on the
/// rank, the order of points or what ran before on the same worker.

#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include <torch/nn/modules/container/sequential.h>
#include <torch/optim/sgd.h>
#include <torch/types.h>

#include "lsweep/common/results.hpp"
#include "lsweep/config/grid.hpp"
#include "lsweep/training/dataset.hpp"

namespace lsweep::training {

/// Minibatch indices: a fresh permutation of [0, n) every epoch from a seeded
/// generator, cut into consecutive batches; a last partial batch is dropped.
/// Platform-independent (own Fisher-Yates over std::mt19937_64).
class BatchSampler {
 public:
  BatchSampler(std::int64_t n, std::int64_t batch, std::uint64_t seed);
  /// The next batch of indices (int64 tensor of length `batch`, CPU).
  torch::Tensor next();

 private:
  void shuffle();
  std::int64_t n_, batch_, pos_;
  std::mt19937_64 rng_;
  std::vector<std::int64_t> order_;
};

struct Evaluation {
  double loss = 0.0;
  double accuracy = 0.0;
};

class Trainer {
 public:
  /// Builds the model from `point.seed` and moves model and data to `device`.
  Trainer(const config::JobConfig& job, const config::GridPoint& point, const Dataset& data, torch::Device device);

  /// One optimizer step on the next minibatch; returns its loss.
  double step();
  /// Mean loss and accuracy over a whole set, in chunks, without gradients.
  Evaluation evaluate(const torch::Tensor& x, const torch::Tensor& y);
  /// Trains the step budget; evaluates the training set at every checkpoint.
  /// Stops early, as diverged, at the first non-finite minibatch loss, and as
  /// timed_out once train.point_time_limit seconds have passed, and as
  /// pending (to be run again) as soon as `*interrupt` becomes true.
  PointRecord run(const std::atomic<bool>* interrupt = nullptr);

  /// The network being trained (for probes and tests).
  torch::nn::Sequential& model() { return model_; }

 private:
  const config::JobConfig& job_;
  config::GridPoint point_;
  bool binary_;
  torch::Tensor x_train_, y_train_, x_test_, y_test_;
  torch::nn::Sequential model_;
  std::unique_ptr<torch::optim::SGD> optimizer_;
  BatchSampler sampler_;
  bool full_batch_;
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
