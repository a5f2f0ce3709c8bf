// The diffusion probe's cost: one point of JOB trained without the probe
// (off), with its snapshots in memory (memory), or spilled to a scratch file
// (spill: memory_mb = 0), single thread. Run each mode in its own process:
// the peak resident memory (getrusage) is the process's. bench/diffusion_bench.py
// is the same in PyTorch Python. bench/run_diffusion_bench.sh runs them all.
// Usage: lsweep_diffusion_bench JOB off|memory|spill; prints one JSON line.
#include <sys/resource.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "lsweep/config/grid.hpp"
#include "lsweep/config/layout.hpp"
#include "lsweep/probes/diffusion.hpp"
#include "lsweep/training/model.hpp"
#include "lsweep/training/trainer.hpp"

namespace config = lsweep::config;
namespace training = lsweep::training;
namespace probes = lsweep::probes;

int main(int argc, char** argv) {
  try {
    const std::string mode = argc > 2 ? argv[2] : "";
    if (mode != "off" && mode != "memory" && mode != "spill") {
      std::fprintf(stderr, "usage: %s JOB off|memory|spill\n", argv[0]);
      return 2;
    }
    auto job = config::load_job(argv[1], probes::builtin());
    const auto* enabled = job.probe("diffusion");
    if (!enabled) throw std::runtime_error(std::string(argv[1]) + " has no [probes.diffusion] table");
    auto options =
        std::make_shared<probes::DiffusionOptions>(dynamic_cast<const probes::DiffusionOptions&>(*enabled->options));
    if (mode == "spill") options->memory_mb = 0.0;
    const auto spec = std::dynamic_pointer_cast<const probes::Probe>(enabled->spec);
    training::set_compute_threads(1);
    training::tune_allocator();
    const auto data =
        training::load_dataset(job.data, job.train.dtype == config::DType::float64 ? torch::kFloat64 : torch::kFloat32);
    const auto point = config::expand_grid(job).front();
    training::Trainer trainer(job, point, data, torch::kCPU);
    const auto observer = spec->observe(job, *options, point);
    training::RunOptions run;
    if (mode != "off") run.observers.push_back(observer.get());
    const auto start = std::chrono::steady_clock::now();
    const auto rec = trainer.run(config::layout::store_layout(job), run);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const double probe = mode == "off" ? 0.0 : rec.summary.scalar(probes::DiffusionProbe::kSeconds);
    std::printf(
        "{\"impl\":\"lsweep\",\"mode\":\"%s\",\"params\":%lld,\"waiting_times\":%zu,\"run_s\":%.3f,\"probe_s\":%.3f,"
        "\"peak_rss_mb\":%.1f,\"exponent\":%.6f}\n",
        mode.c_str(),
        static_cast<long long>(training::mlp_parameter_count(config::input_dim(job.data), point.width, job.model.depth,
                                                             config::output_dim(job.data))),
        probes::diffusion_schedule(job.train.steps, *options).waiting_times.size(), seconds, probe,
        static_cast<double>(usage.ru_maxrss) / 1024.0, rec.summary.scalar(probes::DiffusionProbe::kFinalExponent));
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
