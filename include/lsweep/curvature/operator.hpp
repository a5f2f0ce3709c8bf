#pragma once
/// \file
/// Symmetric linear operators on flat float64 vectors, and the deterministic
/// random vectors the estimators draw. The estimators (lanczos.hpp,
/// trace.hpp) see a Hessian only through Operator, so each is tested on
/// dense matrices with a known spectrum before it meets a network.

#include <cstdint>

#include <torch/types.h>

#include "lsweep/training/random.hpp"

namespace lsweep::curvature {

/// y = A v for a symmetric A of size n x n. Vectors are float64, 1-D, on
/// options().device(). Counts its applications (for cost reports).
class Operator {
 public:
  virtual ~Operator() = default;
  virtual std::int64_t size() const = 0;
  /// float64 on the operator's device.
  virtual torch::TensorOptions options() const = 0;
  torch::Tensor operator()(const torch::Tensor& v) {
    ++applications_;
    return apply(v);
  }
  /// How many products were taken so far.
  std::int64_t applications() const { return applications_; }

 protected:
  virtual torch::Tensor apply(const torch::Tensor& v) = 0;

 private:
  std::int64_t applications_ = 0;
};

/// A dense symmetric matrix as an Operator (tests, benchmarks).
class DenseOperator : public Operator {
 public:
  explicit DenseOperator(torch::Tensor matrix) : a_(matrix.to(torch::kFloat64)) {}
  std::int64_t size() const override { return a_.size(0); }
  torch::TensorOptions options() const override { return a_.options(); }

 protected:
  torch::Tensor apply(const torch::Tensor& v) override { return a_.mv(v); }

 private:
  torch::Tensor a_;
};

/// Platform-independent random vectors (training/random.hpp).
using training::VectorRng;

/// A seed for one measurement: the job's probe seed, the point and the
/// checkpoint, mixed (splitmix64), so that every measurement is
/// deterministic given the point and independent of the others.
std::uint64_t measurement_seed(std::uint64_t probe_seed, std::int64_t point_id, std::int64_t checkpoint,
                               std::uint64_t purpose);

}  // namespace lsweep::curvature
