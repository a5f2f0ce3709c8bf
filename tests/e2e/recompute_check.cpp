// Usage: lsweep_recompute_check JOB STORE
// Retrains every done or diverged point of STORE in this process, on one
// thread, with the job's probes, and checks that every stored result row
// (base and probes, any shape) equals the recomputation bit for bit, and that
// status, steps and error agree (wall times, units "s", excepted). Exit 0 if all match.

#include <torch/torch.h>

#include <cstring>
#include <iostream>

#include "lsweep/config/job_config.hpp"
#include "lsweep/config/layout.hpp"
#include "lsweep/probes/probe.hpp"
#include "lsweep/store/store_reader.hpp"
#include "lsweep/training/trainer.hpp"

int main(int argc, char** argv) {
  using namespace lsweep;
  if (argc != 3) {
    std::cerr << "usage: lsweep_recompute_check JOB STORE\n";
    return 2;
  }
  const config::JobConfig job = config::load_job(argv[1], probes::builtin());
  const store::StoreReader reader(argv[2], probes::builtin());
  training::set_compute_threads(1);
  const auto dtype = job.train.dtype == config::DType::float64 ? torch::kFloat64 : torch::kFloat32;
  const training::Dataset data = training::load_dataset(job.data, dtype);
  const auto status = reader.statuses();
  const auto steps = reader.integers(config::layout::kSteps);
  const auto errors = reader.texts(config::layout::kError);
  int checked = 0, mismatches = 0, rows = 0;
  for (const auto& point : config::expand_grid(job)) {
    const auto i = static_cast<std::size_t>(point.id);
    if (status[i] != PointStatus::done && status[i] != PointStatus::diverged) continue;
    training::Trainer trainer(job, point, data, torch::kCPU);
    const PointRecord r = probes::run_with_probes(trainer, job, point, reader.layout());
    if (r.summary.status != status[i] || r.summary.steps != steps[i] || r.summary.error != errors[i]) {
      ++mismatches;
      std::cerr << "point " << point.id << ": status/steps/error differ\n";
    }
    for (const auto& [path, values] : r.rows.all()) {
      if (find_spec(reader.layout(), path)->units == "s") continue;  // wall times never repeat
      const auto stored = reader.row(path, point.id);
      ++rows;
      if (stored.size() == values.size() &&
          std::memcmp(stored.data(), values.data(), values.size() * sizeof(double)) == 0) {
        continue;
      }
      ++mismatches;
      std::cerr << "point " << point.id << ": " << path << " differs from the recomputation\n";
    }
    ++checked;
  }
  std::cout << "recomputed " << checked << " points (" << rows << " rows): " << mismatches << " mismatches\n";
  return mismatches == 0 && checked > 0 ? 0 : 1;
}
