#pragma once
/// \file
/// Platform-independent random numbers: std::mt19937_64 and our own
/// transforms, the same numbers with every compiler, standard library and
/// device. The data sets that must not depend on LibTorch's generator (the
/// tanh_teacher set) and the curvature estimators' random vectors use them.

#include <cstdint>
#include <random>

#include <torch/types.h>

namespace lsweep::training {

/// splitmix64: a well-mixed 64-bit value of `x` (to derive seeds).
std::uint64_t splitmix64(std::uint64_t x);

/// Random vectors from one seed (the engine is seeded with splitmix64(seed)).
class VectorRng {
 public:
  explicit VectorRng(std::uint64_t seed);
  /// n standard normal entries (Box-Muller, two uniforms per pair), float64 with `options`.
  torch::Tensor gaussian(std::int64_t n, const torch::TensorOptions& options);
  /// n entries +-1 with equal probability.
  torch::Tensor rademacher(std::int64_t n, const torch::TensorOptions& options);
  /// n entries uniform in (0, 1), float64 with `options`.
  torch::Tensor uniform(std::int64_t n, const torch::TensorOptions& options);
  /// One uniform double in (0, 1): (k + 1/2) / 2^53 from 53 random bits.
  double uniform();

 private:
  std::mt19937_64 engine_;
};

}  // namespace lsweep::training
