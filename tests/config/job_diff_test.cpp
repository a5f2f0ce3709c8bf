#include "lsweep/config/job_diff.hpp"

#include <gtest/gtest.h>

namespace lsweep::config {
namespace {

JobConfig base() {
  JobConfig job;
  job.name = "a";
  job.grid.lr = {0.1, 0.2};
  job.grid.batch = {8, kFullBatch};
  job.grid.width = {16};
  job.grid.seed = {0};
  job.data.train_size = 100;
  job.train.steps = 10;
  return job;
}

TEST(JobDifferences, SameJobHasNone) { EXPECT_TRUE(job_differences(base(), base()).empty()); }

TEST(JobDifferences, IgnoresFieldsThatCannotChangeResults) {
  JobConfig other = base();
  other.name = "b";
  other.train.threads = 4;
  other.train.device = DeviceKind::automatic;
  other.train.point_time_limit = 60.0;
  other.data.path = "/elsewhere";
  EXPECT_TRUE(job_differences(base(), other).empty());
}

TEST(JobDifferences, NamesEachDifferingFieldWithBothValues) {
  JobConfig other = base();
  other.grid.lr = {0.1};
  other.grid.batch = {8, 32};
  other.data.train_size = 200;
  other.train.loss = LossKind::mse;
  other.model.init = InitKind::orthogonal;
  other.train.weight_decay = 1e-4;
  const auto d = job_differences(base(), other);
  ASSERT_EQ(d.size(), 6u);
  EXPECT_EQ(d[0], "grid.lr: store has [0.1, 0.2], job has [0.1]");
  EXPECT_EQ(d[1], "grid.batch: store has [8, \"full\"], job has [8, 32]");
  EXPECT_EQ(d[2], "data.train_size: store has 100, job has 200");
  EXPECT_EQ(d[3], "model.init: store has \"pytorch\", job has \"orthogonal\"");
  EXPECT_EQ(d[4], "train.loss: store has \"cross_entropy\", job has \"mse\"");
  EXPECT_EQ(d[5], "train.weight_decay: store has 0, job has 0.0001");
}

TEST(JobDifferences, NamesTheTanhModelAndTeacherFields) {
  JobConfig other = base();
  other.data.noise = 0.2;
  other.data.teacher_w = {1.0, 3.0};
  other.model.kind = ModelKind::tanh;
  other.model.variable_projection = true;
  const auto d = job_differences(base(), other);
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[0], "data.noise: store has 0, job has 0.2");
  EXPECT_EQ(d[1], "data.teacher_w: store has [], job has [1, 3]");
  EXPECT_EQ(d[2], "model.kind: store has \"mlp\", job has \"tanh\"");
  EXPECT_EQ(d[3], "model.variable_projection: store has false, job has true");
}

}  // namespace
}  // namespace lsweep::config
