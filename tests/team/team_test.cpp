// Teams over MPI, run under mpiexec at 2 and 3 ranks: all ranks form one team.
#include <gtest/gtest.h>
#include <mpi.h>
#include <torch/torch.h>

#include "../training/training_fixtures.hpp"
#include "lsweep/common/error.hpp"
#include "lsweep/team/mpi_team.hpp"

namespace lsweep::team {
namespace {

using training::Team;

int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

TEST(MpiTeam, SumsBroadcastsAndCounts) {
  MpiTeam team(MPI_COMM_WORLD);
  const int n = team.size();
  ASSERT_GE(n, 2);
  torch::Tensor flat = torch::tensor({static_cast<double>(team.rank()), 1.0, 0.5});
  team.sum(flat);
  EXPECT_EQ(flat[0].item<double>(), n * (n - 1) / 2.0);
  EXPECT_EQ(flat[1].item<double>(), n);
  EXPECT_EQ(flat[2].item<double>(), 0.5 * n);
  config::GridPoint p{team.rank() == 0 ? 7 : -1, team.rank() == 0 ? 0.25 : 0.0, 16, 32, 5};
  EXPECT_EQ(team.broadcast(team.rank() == 0 ? Team::kPoint : 0, p), Team::kPoint);
  EXPECT_EQ(p.id, 7);
  EXPECT_EQ(p.lr, 0.25);
  EXPECT_EQ(team.count(team.rank() == 1), 1);
  EXPECT_EQ(team.count(false), 0);
}

// The leader runs the point; the others follow; the leader's record equals
// the one-rank run's to float64 rounding.
void expect_team_matches_one_rank(const config::JobConfig& job, const config::GridPoint& point) {
  const training::Dataset data = training::data_for(job);
  MpiTeam team(MPI_COMM_WORLD);
  training::Trainer mine(job, point, data, torch::kCPU, &team);
  if (team.rank() == 0) {
    const PointRecord together = mine.run();
    config::GridPoint none;
    team.broadcast(Team::kEnd, none);
    training::Trainer alone(job, point, data, torch::kCPU);
    training::expect_close_record(together, alone.run(), 1e-10);
    // Not trivially equal: the team's slices really were summed.
    EXPECT_EQ(together.summary.status, PointStatus::done);
  } else {
    mine.follow();
  }
  // Every rank took the same steps: the same weights everywhere.
  for (const auto& p : mine.model()->parameters()) {
    torch::Tensor copy = p.detach().clone().reshape({-1});
    torch::Tensor leader = copy.clone();
    MPI_Bcast(leader.data_ptr(), static_cast<int>(leader.numel()), MPI_DOUBLE, 0, MPI_COMM_WORLD);
    EXPECT_TRUE(torch::equal(copy, leader)) << "rank " << world_rank();
  }
}

TEST(MpiTeam, TrainsAPointAsOneRankDoes) {
  auto job = training::gaussian_job(config::LossKind::cross_entropy, config::DType::float64, 60);
  job.train.momentum = 0.9;
  expect_team_matches_one_rank(job, {0, 0.1, 8, 16, 4});   // minibatches
  expect_team_matches_one_rank(job, {1, 0.2, 40, 16, 5});  // full batch
  expect_team_matches_one_rank(job, {2, 0.1, 2, 16, 6});   // at 3 ranks one slice is empty
}

// Every rank computes the importance-sampling weights from its own copy of
// the (bitwise equal) weights: the same minibatches on every rank.
TEST(MpiTeam, ImportanceSamplingTrainsAsOneRankDoes) {
  auto job = training::gaussian_job(config::LossKind::cross_entropy, config::DType::float64, 60);
  job.train.importance_temperature = 0.3;
  job.train.importance_refresh = 3;
  expect_team_matches_one_rank(job, {0, 0.1, 8, 16, 4});
}

// Variable projection: every rank solves for alpha on the whole training set
// after every step, from its own copy of the (bitwise equal) w.
TEST(MpiTeam, VariableProjectionTrainsAsOneRankDoes) {
  auto job = training::gaussian_job(config::LossKind::mse, config::DType::float64, 40);
  job.data.kind = config::DataKind::tanh_teacher;
  job.data.binary = false;
  job.data.noise = 0.1;
  job.data.teacher_alpha = {1.0, -0.5};
  job.data.teacher_w = {4.0, 2.0};
  job.data.teacher_b = {-0.3, 0.4};
  job.model.kind = config::ModelKind::tanh;
  job.model.variable_projection = true;
  expect_team_matches_one_rank(job, {0, 0.3, 8, 5, 4});   // minibatches
  expect_team_matches_one_rank(job, {1, 0.3, 40, 5, 5});  // full batch
}

TEST(MpiTeam, AFailingMemberFailsTheStepOnTheLeader) {
  auto job = training::gaussian_job(config::LossKind::mse, config::DType::float64, 5);
  const training::Dataset data = training::data_for(job);
  MpiTeam team(MPI_COMM_WORLD);
  training::Trainer mine(job, {0, 0.1, 8, 16, 1}, data, torch::kCPU, &team);
  if (team.rank() == 0) {
    const PointRecord r = mine.run();
    config::GridPoint none;
    team.broadcast(Team::kEnd, none);
    EXPECT_EQ(r.summary.status, PointStatus::done);
  } else {
    mine.follow();
  }
  // A member whose loss throws (its labels have the wrong shape): the leader's
  // step throws, naming the team; every rank stays in step.
  training::Dataset bad = data;
  if (team.rank() == 1) bad.y_train = data.y_train.unsqueeze(1).repeat({1, 2});
  training::Trainer broken(job, {1, 0.1, 8, 16, 1}, bad, torch::kCPU, &team);
  if (team.rank() == 0) {
    try {
      broken.step();
      ADD_FAILURE() << "expected the step to fail";
    } catch (const TrainingError& e) {
      EXPECT_NE(std::string(e.what()).find("a team member failed"), std::string::npos) << e.what();
    }
    config::GridPoint none;
    team.broadcast(Team::kEnd, none);
  } else {
    broken.follow();
  }
}

}  // namespace
}  // namespace lsweep::team
