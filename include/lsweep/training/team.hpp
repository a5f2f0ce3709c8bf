#pragma once
/// \file
/// Teams (train.team = k): k ranks train one point together, data parallel.
/// Every rank of the team builds the point's model (same seed, same initial
/// weights) and draws the same minibatch indices; rank r takes rows
/// [B r / k, B (r + 1) / k) of each minibatch, and the team sums the slices'
/// gradients (each weighted by its share of the minibatch), so every rank
/// takes the same step. The leader (team rank 0) runs the point as usual:
/// checkpoints, probes, stop criteria and the record are its own; the others
/// follow its commands. One interface, two transports: MPI (any device) and
/// NCCL (CUDA tensors, when built with it).

#include <torch/types.h>

#include "lsweep/config/grid.hpp"

namespace lsweep::training {

class Team {
 public:
  /// What the leader tells the others.
  enum Command : int { kStep = 1, kEnd = 2, kPoint = 3, kShutdown = 4 };

  virtual ~Team() = default;
  virtual int rank() const = 0;  ///< 0: the leader
  virtual int size() const = 0;
  /// Sums a contiguous 1-D tensor over the team, in place, on every rank, in
  /// the same order everywhere (so every rank gets the same bits).
  virtual void sum(torch::Tensor& flat) = 0;
  /// The leader's command (and, with kPoint, its point) on every rank; the
  /// others' arguments are overwritten.
  virtual int broadcast(int command, config::GridPoint& point) = 0;
  /// How many ranks of the team pass `failed` = true.
  virtual int count(bool failed) = 0;
};

}  // namespace lsweep::training
