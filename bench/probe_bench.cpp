// The cost of a probe relative to training: one point trained with and
// without the probe (its job file's [probes.NAME] table), single thread,
// best of R runs each. bench/probe_bench.py is the same in PyTorch Python.
// Usage: lsweep_probe_bench JOB [R=3]; prints one JSON line per mode.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "lsweep/config/grid.hpp"
#include "lsweep/config/layout.hpp"
#include "lsweep/probes/probe.hpp"
#include "lsweep/training/trainer.hpp"

namespace config = lsweep::config;
namespace training = lsweep::training;

namespace {

double best_seconds(const config::JobConfig& job, const training::Dataset& data, bool probes, int reps) {
  const auto point = config::expand_grid(job).front();
  const auto layout = config::layout::store_layout(job);
  double best = 1e300;
  for (int r = 0; r < reps; ++r) {
    training::Trainer trainer(job, point, data, torch::kCPU);
    const auto observers = lsweep::probes::observers_for(job, point);
    training::RunOptions options;
    if (probes) {
      for (const auto& o : observers) options.observers.push_back(o.get());
    }
    const auto start = std::chrono::steady_clock::now();
    trainer.run(layout, options);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 2) {
      std::fprintf(stderr, "usage: %s JOB [REPS]\n", argv[0]);
      return 2;
    }
    const int reps = argc > 2 ? std::atoi(argv[2]) : 3;
    const auto job = config::load_job(argv[1], lsweep::probes::builtin());
    training::set_compute_threads(1);
    training::tune_allocator();
    const auto data =
        training::load_dataset(job.data, job.train.dtype == config::DType::float64 ? torch::kFloat64 : torch::kFloat32);
    const double off = best_seconds(job, data, false, reps);
    const double on = best_seconds(job, data, true, reps);
    std::printf("{\"impl\":\"lsweep\",\"probes_off_s\":%.4f,\"probes_on_s\":%.4f,\"cost\":%.4f}\n", off, on,
                (on - off) / off);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
