// Usage: lsweep_recompute_check JOB STORE
// Retrains every done or diverged point of STORE in this process, on one
// thread, and checks that the stored row equals the recomputation bit for bit
// (all results and series except wall_seconds). Exit 0 if all match.

#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <iostream>

#include "lsweep/config/job_config.hpp"
#include "lsweep/store/store.hpp"
#include "lsweep/training/trainer.hpp"

namespace {

bool same(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0 || (std::isnan(a) && std::isnan(b)); }

int mismatches = 0;

void expect_same(std::int64_t id, const char* what, double stored, double computed) {
  if (same(stored, computed)) return;
  ++mismatches;
  std::cerr.precision(17);
  std::cerr << "point " << id << ": " << what << " stored " << stored << " but recomputed " << computed << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace lsweep;
  if (argc != 3) {
    std::cerr << "usage: lsweep_recompute_check JOB STORE\n";
    return 2;
  }
  const config::JobConfig job = config::load_job(argv[1]);
  const store::StoreContents contents = store::read_store(argv[2]);
  training::set_compute_threads(1);
  const auto dtype = job.train.dtype == config::DType::float64 ? torch::kFloat64 : torch::kFloat32;
  const training::Dataset data = training::load_dataset(job.data, dtype);
  const std::size_t k = contents.checkpoint_steps.size();
  int checked = 0;
  for (const auto& row : contents.points) {
    if (row.summary.status != PointStatus::done && row.summary.status != PointStatus::diverged) continue;
    const PointRecord r = training::Trainer(job, row.point, data, torch::kCPU).run();
    const auto id = row.point.id;
    if (r.summary.status != row.summary.status || r.summary.steps != row.summary.steps ||
        r.summary.error != row.summary.error) {
      ++mismatches;
      std::cerr << "point " << id << ": status/steps/error differ\n";
    }
    expect_same(id, "final_train_loss", row.summary.final_train_loss, r.summary.final_train_loss);
    expect_same(id, "final_test_loss", row.summary.final_test_loss, r.summary.final_test_loss);
    expect_same(id, "train_accuracy", row.summary.train_accuracy, r.summary.train_accuracy);
    expect_same(id, "test_accuracy", row.summary.test_accuracy, r.summary.test_accuracy);
    for (std::size_t c = 0; c < k; ++c) {
      const std::size_t at = static_cast<std::size_t>(id) * k + c;
      expect_same(id, "series train_loss", contents.series_train_loss[at], r.train_loss[c]);
      expect_same(id, "series train_accuracy", contents.series_train_accuracy[at], r.train_accuracy[c]);
    }
    ++checked;
  }
  std::cout << "recomputed " << checked << " points: " << mismatches << " mismatches\n";
  return mismatches == 0 && checked > 0 ? 0 : 1;
}
