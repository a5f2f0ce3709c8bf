#include "lsweep/curvature/operator.hpp"

#include <torch/torch.h>

namespace lsweep::curvature {

std::uint64_t measurement_seed(std::uint64_t probe_seed, std::int64_t point_id, std::int64_t checkpoint,
                               std::uint64_t purpose) {
  std::uint64_t s = training::splitmix64(probe_seed);
  s = training::splitmix64(s ^ static_cast<std::uint64_t>(point_id));
  s = training::splitmix64(s ^ static_cast<std::uint64_t>(checkpoint + 1));
  return training::splitmix64(s ^ purpose);
}

}  // namespace lsweep::curvature
