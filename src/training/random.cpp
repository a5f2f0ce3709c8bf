#include "lsweep/training/random.hpp"

#include <torch/torch.h>

#include <cmath>
#include <vector>

namespace lsweep::training {
namespace {

torch::Tensor to_tensor(std::vector<double>& values, const torch::TensorOptions& options) {
  return torch::from_blob(values.data(), {static_cast<std::int64_t>(values.size())}, torch::kFloat64)
      .to(options.device(), torch::kFloat64, false, true);
}

}  // namespace

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

VectorRng::VectorRng(std::uint64_t seed) : engine_(splitmix64(seed)) {}

double VectorRng::uniform() {
  // 53 random bits, shifted off zero: (k + 0.5) / 2^53.
  return (static_cast<double>(engine_() >> 11) + 0.5) * 0x1.0p-53;
}

torch::Tensor VectorRng::uniform(std::int64_t n, const torch::TensorOptions& options) {
  std::vector<double> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = uniform();
  return to_tensor(v, options);
}

torch::Tensor VectorRng::gaussian(std::int64_t n, const torch::TensorOptions& options) {
  std::vector<double> v(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < v.size(); i += 2) {
    const double r = std::sqrt(-2.0 * std::log(uniform())), phi = 2.0 * M_PI * uniform();
    v[i] = r * std::cos(phi);
    if (i + 1 < v.size()) v[i + 1] = r * std::sin(phi);
  }
  return to_tensor(v, options);
}

torch::Tensor VectorRng::rademacher(std::int64_t n, const torch::TensorOptions& options) {
  std::vector<double> v(static_cast<std::size_t>(n));
  std::uint64_t bits = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i % 64 == 0) bits = engine_();
    v[i] = (bits >> (i % 64)) & 1U ? 1.0 : -1.0;
  }
  return to_tensor(v, options);
}

}  // namespace lsweep::training
