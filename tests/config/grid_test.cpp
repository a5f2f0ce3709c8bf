#include "lsweep/config/grid.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace lsweep::config {
namespace {

JobConfig two_by_two() {
  JobConfig job;
  job.data.train_size = 100;
  job.grid.lr = {0.1, 0.2};
  job.grid.batch = {10, kFullBatch};
  job.grid.width = {8};
  job.grid.seed = {3, 4};
  return job;
}

TEST(ExpandGrid, OrdersPointsRowMajorWithSeedFastest) {
  const auto points = expand_grid(two_by_two());
  ASSERT_EQ(points.size(), 8u);
  EXPECT_EQ(grid_size(two_by_two().grid), 8);
  for (std::size_t i = 0; i < points.size(); ++i) EXPECT_EQ(points[i].id, static_cast<std::int64_t>(i));
  EXPECT_EQ(points[0].lr, 0.1);
  EXPECT_EQ(points[0].seed, 3);
  EXPECT_EQ(points[1].seed, 4);
  EXPECT_EQ(points[2].batch, 100);  // "full" resolves to P
  EXPECT_EQ(points[4].lr, 0.2);
  EXPECT_EQ(points[5].batch, 10);
  EXPECT_EQ(points[5].seed, 4);
}

TEST(ExpandGrid, ReservesBisectedWidthsAfterEachLinesOwn) {
  JobConfig job = two_by_two();
  job.grid.width = {4, 16};
  job.grid.bisect = 2;
  const auto points = expand_grid(job);
  ASSERT_EQ(points.size(), 2u * 2u * 4u * 2u);
  EXPECT_EQ(grid_size(job.grid), 32);
  // Line (0.1, 10): widths 4, 16, then two reserved widths, each at both seeds.
  const std::vector<std::int64_t> widths{4, 4, 16, 16, kReservedWidth, kReservedWidth, kReservedWidth, kReservedWidth};
  for (std::size_t i = 0; i < widths.size(); ++i) {
    EXPECT_EQ(points[i].width, widths[i]) << i;
    EXPECT_EQ(points[i].batch, 10);
    EXPECT_EQ(points[i + 8].batch, 100);
    EXPECT_EQ(points[i].seed, i % 2 == 0 ? 3 : 4);
  }
}

TEST(ExpandGrid, IsStableAcrossCalls) {
  const auto a = expand_grid(two_by_two());
  const auto b = expand_grid(two_by_two());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].lr, b[i].lr);
    EXPECT_EQ(a[i].batch, b[i].batch);
    EXPECT_EQ(a[i].seed, b[i].seed);
  }
}

TEST(PackIds, GroupPointsOfOneBatchAndWidthInGridOrder) {
  auto job = two_by_two();  // ids: lr 0.1: (b10: 0 1) (full: 2 3); lr 0.2: (b10: 4 5) (full: 6 7)
  job.train.pack = 3;
  EXPECT_EQ(pack_ids(job, expand_grid(job)), (std::vector<std::int64_t>{0, 0, 2, 2, 0, 5, 2, 7}));
  job.train.pack = 1;
  EXPECT_EQ(pack_ids(job, expand_grid(job)), (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  job.train.pack = 64;
  EXPECT_EQ(pack_ids(job, expand_grid(job)), (std::vector<std::int64_t>{0, 0, 2, 2, 0, 0, 2, 2}));
}

TEST(SpacedValues, EightLogValuesFromAThousandthToOne) {
  const auto v = spaced_values(1e-3, 1.0, 8, true);
  ASSERT_EQ(v.size(), 8u);
  EXPECT_EQ(v.front(), 1e-3);
  EXPECT_EQ(v.back(), 1.0);
  for (std::size_t i = 1; i < v.size(); ++i) EXPECT_NEAR(v[i] / v[i - 1], std::pow(1000.0, 1.0 / 7.0), 1e-12);
}

TEST(SpacedValues, OneValueIsTheStart) { EXPECT_EQ(spaced_values(0.5, 2.0, 1, true), std::vector<double>{0.5}); }

TEST(CheckpointSteps, StartsAtZeroAndEndsAtTheBudget) {
  EXPECT_EQ(checkpoint_steps(1000, 4), (std::vector<std::int64_t>{0, 1, 10, 100, 1000}));
}

TEST(CheckpointSteps, DropsDuplicatesOfShortRuns) {
  EXPECT_EQ(checkpoint_steps(3, 10), (std::vector<std::int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(checkpoint_steps(1, 5), (std::vector<std::int64_t>{0, 1}));
}

}  // namespace
}  // namespace lsweep::config
