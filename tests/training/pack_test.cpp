#include "lsweep/training/pack.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "lsweep/common/error.hpp"
#include "training_fixtures.hpp"

namespace lsweep::training {
namespace {

// Each point of a pack against the same point trained alone.
void expect_pack_matches_one_point_loop(const config::JobConfig& job, const Dataset& data,
                                        const std::vector<config::GridPoint>& points) {
  PackTrainer pack(job, points, data, torch::kCPU);
  const auto packed = pack.run(config::layout::store_layout(job), std::vector<RunOptions>(points.size()));
  ASSERT_EQ(packed.size(), points.size());
  for (std::size_t k = 0; k < points.size(); ++k) {
    SCOPED_TRACE("point " + std::to_string(points[k].id));
    Trainer alone(job, points[k], data, torch::kCPU);
    expect_close_record(packed[k], alone.run(), 1e-10);
    EXPECT_EQ(pack.member(k).optimizer().steps(), alone.optimizer().steps());
    EXPECT_EQ(packed[k].summary.point_id, points[k].id);
    // The member's model is the point's slice of the pack, and matches too.
    const auto mine = pack.member(k).model()->parameters();
    const auto theirs = alone.model()->parameters();
    for (std::size_t i = 0; i < mine.size(); ++i) {
      EXPECT_TRUE(torch::allclose(mine[i], theirs[i], 1e-10, 1e-12)) << "parameter " << i;
    }
    if (job.train.momentum != 0.0 && packed[k].summary.steps > 0) {
      const auto& bufs = pack.member(k).optimizer().momentum_buffers();
      const auto& ref = alone.optimizer().momentum_buffers();
      for (std::size_t i = 0; i < bufs.size(); ++i) {
        ASSERT_TRUE(bufs[i].defined());
        EXPECT_TRUE(torch::allclose(bufs[i], ref[i], 1e-9, 1e-12)) << "momentum buffer " << i;
      }
    }
  }
}

TEST(PackTrainer, EveryPointEqualsTheOnePointLoopAtFloat64) {
  for (const auto loss : {config::LossKind::mse, config::LossKind::cross_entropy, config::LossKind::quadratic_hinge}) {
    auto job = gaussian_job(loss, config::DType::float64, 60);
    job.train.momentum = 0.9;
    const Dataset data = data_for(job);
    // Minibatches (each point its own order, from its seed) and full batch.
    expect_pack_matches_one_point_loop(job, data, {{0, 0.05, 8, 16, 0}, {1, 0.2, 8, 16, 1}, {2, 0.05, 8, 16, 7}});
    expect_pack_matches_one_point_loop(job, data, {{3, 0.1, 40, 16, 0}, {4, 0.3, 40, 16, 2}});
  }
}

TEST(PackTrainer, WeightDecayMatchesTheOnePointLoop) {
  for (const double momentum : {0.0, 0.9}) {
    auto job = gaussian_job(config::LossKind::cross_entropy, config::DType::float64, 60);
    job.train.momentum = momentum;
    job.train.weight_decay = 0.05;
    const Dataset data = data_for(job);
    expect_pack_matches_one_point_loop(job, data, {{0, 0.05, 8, 16, 0}, {1, 0.2, 8, 16, 1}});
  }
}

TEST(PackTrainer, ImportanceSamplingMatchesTheOnePointLoop) {
  auto job = gaussian_job(config::LossKind::cross_entropy, config::DType::float64, 60);
  job.train.importance_temperature = 0.3;
  job.train.importance_refresh = 4;
  const Dataset data = data_for(job);
  expect_pack_matches_one_point_loop(job, data, {{0, 0.05, 8, 16, 0}, {1, 0.2, 8, 16, 1}, {2, 0.1, 8, 16, 5}});
}

TEST(PackTrainer, TenClassLossesMatchWithoutMomentum) {
  for (const auto loss : {config::LossKind::mse, config::LossKind::cross_entropy}) {
    auto job = gaussian_job(loss, config::DType::float64, 40);
    job.data.binary = false;
    const Dataset data = ten_class_data();
    expect_pack_matches_one_point_loop(job, data, {{0, 0.1, 8, 12, 3}, {1, 0.4, 8, 12, 4}});
  }
}

TEST(PackTrainer, ADivergingPointStopsAloneWithItsOnePointRecord) {
  auto job = gaussian_job(config::LossKind::mse, config::DType::float64, 200);
  const Dataset data = data_for(job);
  PackTrainer pack(job, {{0, 0.05, 8, 16, 0}, {1, 1e4, 8, 16, 1}, {2, 0.1, 8, 16, 2}}, data, torch::kCPU);
  const auto records = pack.run(config::layout::store_layout(job), std::vector<RunOptions>(3));
  EXPECT_EQ(records[1].summary.status, PointStatus::diverged);
  EXPECT_LT(records[1].summary.steps, 200);
  EXPECT_EQ(records[0].summary.status, PointStatus::done);
  EXPECT_EQ(records[2].summary.status, PointStatus::done);
  expect_close_record(records[1], Trainer(job, {1, 1e4, 8, 16, 1}, data, torch::kCPU).run(), 1e-10);
  expect_close_record(records[2], Trainer(job, {2, 0.1, 8, 16, 2}, data, torch::kCPU).run(), 1e-10);
}

TEST(PackTrainer, AnInterruptLeavesEveryPointPending) {
  const auto job = gaussian_job(config::LossKind::mse, config::DType::float32, 1000);
  const Dataset data = data_for(job);
  const std::atomic<bool> interrupt{true};
  std::vector<RunOptions> options(2);
  for (auto& o : options) o.interrupt = &interrupt;
  PackTrainer pack(job, {{0, 0.05, 8, 16, 0}, {1, 0.1, 8, 16, 1}}, data, torch::kCPU);
  for (const auto& r : pack.run(config::layout::store_layout(job), options)) {
    EXPECT_EQ(r.summary.status, PointStatus::pending);
    EXPECT_EQ(r.summary.steps, 1);
  }
}

TEST(PackTrainer, RefusesPointsThatDoNotShareWidthAndBatch) {
  const auto job = gaussian_job(config::LossKind::mse, config::DType::float32, 10);
  const Dataset data = data_for(job);
  try {
    PackTrainer(job, {{0, 0.05, 8, 16, 0}, {5, 0.05, 8, 32, 0}}, data, torch::kCPU);
    FAIL() << "expected a TrainingError";
  } catch (const TrainingError& e) {
    EXPECT_STREQ(e.what(),
                 "a pack's points share width and batch: point 5 (width 32, batch 8) cannot join point 0 (width 16, "
                 "batch 8)");
  }
  EXPECT_THROW(PackTrainer(job, {}, data, torch::kCPU), TrainingError);
}

// GPU only: a pack's CUDA graph gives the eager pack's bits.
TEST(PackTrainerCuda, GraphReplaysGiveTheEagerBits) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  auto job = gaussian_job(config::LossKind::cross_entropy, config::DType::float64, 50);
  job.train.momentum = 0.9;
  const Dataset data = data_for(job);
  const std::vector<config::GridPoint> points{{0, 0.05, 8, 16, 0}, {1, 0.2, 8, 16, 1}, {2, 0.1, 8, 16, 2}};
  const torch::Device gpu(torch::kCUDA, 0);
  job.train.cuda_graphs = true;
  PackTrainer graphed(job, points, data, gpu);
  const auto g = graphed.run(config::layout::store_layout(job), std::vector<RunOptions>(3));
  EXPECT_TRUE(graphed.graph_active()) << graphed.graph_fallback();
  job.train.cuda_graphs = false;
  PackTrainer eager(job, points, data, gpu);
  const auto e = eager.run(config::layout::store_layout(job), std::vector<RunOptions>(3));
  for (std::size_t k = 0; k < points.size(); ++k) {
    expect_same_record(g[k], e[k]);
    expect_close_record(g[k], Trainer(job, points[k], data, torch::kCPU).run(), 1e-9);
  }
}

}  // namespace
}  // namespace lsweep::training
