// The landscape probe: filter-normalised directions row by row against the
// trained weights; the line's ends are the initial and the final losses bit
// for bit; the directions' and the plane's middle is the trained network; the
// probe leaves the trained parameters as they were; at chosen checkpoints the
// same slices around that step's network, with training untouched; the table
// is validated.

#include "lsweep/probes/landscape.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstring>

#include "config_error.hpp"
#include "lsweep/common/error.hpp"
#include "lsweep/config/grid.hpp"
#include "lsweep/config/layout.hpp"
#include "lsweep/probes/weights.hpp"
#include "lsweep/training/model.hpp"

namespace lsweep::probes {
namespace {

namespace L = config::layout;
using P = LandscapeProbe;

std::string job_text(const std::string& probe_table, std::int64_t test_size = 6) {
  return "[grid]\nlr = [0.05]\nbatch = [8]\nwidth = [5]\nseed = [4]\n"
         "[data]\nkind = \"gaussian\"\ntrain_size = 24\ntest_size = " +
         std::to_string(test_size) +
         "\ndim = 4\n"
         "[train]\nloss = \"mse\"\nsteps = 30\ncheckpoints = 3\ndtype = \"float64\"\nmomentum = 0.9\n" +
         probe_table;
}

config::JobConfig job_of(const std::string& text) { return config::parse_job(text, "landscape.toml", builtin()); }

PointRecord run_point(const config::JobConfig& job, std::vector<torch::Tensor>* final_params = nullptr) {
  const auto data = training::load_dataset(job.data, torch::kFloat64);
  const config::GridPoint point = config::expand_grid(job)[0];
  training::Trainer trainer(job, point, data, torch::kCPU);
  auto record = run_with_probes(trainer, job, point, L::store_layout(job));
  if (final_params) *final_params = trainer.model()->parameters();
  return record;
}

const std::vector<double>& row(const PointRecord& r, const char* path) { return *r.rows.find(path); }

TEST(LandscapeGrid, LineAndPlaneHoldTheirEndsAndZeroExactly) {
  const auto a = line_alphas(20, 10);
  ASSERT_EQ(a.size(), 41u);
  EXPECT_EQ(a.front(), -0.5);
  EXPECT_EQ(a.back(), 1.5);
  EXPECT_EQ(a[10], 0.0);
  EXPECT_EQ(a[30], 1.0);
  const auto c = plane_coordinates(7, 0.5);
  EXPECT_EQ(c, (std::vector<double>{-0.5, -1.0 / 3.0, -1.0 / 6.0, 0.0, 1.0 / 6.0, 1.0 / 3.0, 0.5}));
}

TEST(LandscapeDirection, EachNeuronsRowHasTheTrainedRowsNormAndBiasesNone) {
  torch::manual_seed(1);
  const std::vector<torch::Tensor> params = {torch::randn({5, 3}, torch::kFloat64), torch::randn({5}, torch::kFloat64),
                                             torch::randn({2, 5}, torch::kFloat64), torch::randn({2}, torch::kFloat64)};
  const auto d = filter_normalized_direction(params, 99);
  ASSERT_EQ(d.size(), params.size());
  for (const std::size_t i : {std::size_t{0}, std::size_t{2}}) {
    ASSERT_EQ(d[i].sizes(), params[i].sizes());
    for (std::int64_t r = 0; r < params[i].size(0); ++r) {
      double want = 0.0, got = 0.0;  // row norms summed in plain loops
      for (std::int64_t c = 0; c < params[i].size(1); ++c) {
        want += std::pow(params[i][r][c].item<double>(), 2);
        got += std::pow(d[i][r][c].item<double>(), 2);
      }
      EXPECT_NEAR(std::sqrt(got), std::sqrt(want), 1e-12 * std::sqrt(want)) << "tensor " << i << " row " << r;
    }
    EXPECT_FALSE(torch::allclose(d[i], params[i]));  // a direction, not the weights
  }
  EXPECT_EQ(d[1].abs().sum().item<double>(), 0.0);
  EXPECT_EQ(d[3].abs().sum().item<double>(), 0.0);
  // The same seed gives the same bits; another seed another direction.
  EXPECT_TRUE(torch::equal(filter_normalized_direction(params, 99)[0], d[0]));
  EXPECT_FALSE(torch::allclose(filter_normalized_direction(params, 100)[0], d[0]));
}

TEST(LandscapeProbe, LineEndsAreTheInitialAndFinalLossesAndTheMiddleIsTheTrainedNetwork) {
  const auto job = job_of(job_text("[probes.landscape]\nline_steps = 4\nline_extend = 2\nplane_points = 5\n"));
  const auto r = run_point(job);
  ASSERT_EQ(r.summary.status, PointStatus::done);
  const auto alphas = line_alphas(4, 2);
  const auto& line = row(r, P::kLineTrainLoss);
  ASSERT_EQ(line.size(), alphas.size());
  EXPECT_EQ(line[2], row(r, L::kSeriesTrainLoss).front());  // alpha 0: the initial network, bit for bit
  EXPECT_EQ(line[6], row(r, L::kFinalTrainLoss)[0]);        // alpha 1: the trained one
  EXPECT_EQ(row(r, P::kLineTrainAccuracy)[6], row(r, L::kTrainAccuracy)[0]);
  EXPECT_EQ(row(r, P::kLineTestLoss)[6], row(r, L::kFinalTestLoss)[0]);
  EXPECT_EQ(row(r, P::kLineTestAccuracy)[6], row(r, L::kTestAccuracy)[0]);
  // The directions' middle (t = 0) and the plane's centre are the trained network.
  EXPECT_EQ(row(r, P::kDirTrainLoss)[2], row(r, L::kFinalTrainLoss)[0]);
  EXPECT_EQ(row(r, P::kPlaneTrainLoss).size(), 25u);
  EXPECT_EQ(row(r, P::kPlaneTrainLoss)[12], row(r, L::kFinalTrainLoss)[0]);
  EXPECT_EQ(row(r, P::kPlaneTestLoss)[12], row(r, L::kFinalTestLoss)[0]);
  // Along d1, the plane's row t = 0 is the 1-D slice.
  for (std::size_t j = 0; j < 5; ++j) EXPECT_EQ(row(r, P::kPlaneTrainLoss)[j * 5 + 2], row(r, P::kDirTrainLoss)[j]);
  // The trained network sits in a valley of the slice: away from it the loss is higher.
  EXPECT_GT(row(r, P::kDirTrainLoss)[0], row(r, P::kDirTrainLoss)[2]);
  EXPECT_GT(row(r, P::kDirTrainLoss)[4], row(r, P::kDirTrainLoss)[2]);
  // The barrier: the largest loss on [0, 1] minus the larger end (the start, here).
  const double top = *std::max_element(line.begin() + 2, line.begin() + 7);
  EXPECT_EQ(row(r, P::kLineBarrier)[0], top - std::max(line[2], line[6]));
}

TEST(LandscapeProbe, LeavesTheTrainedParametersAsTheyWere) {
  std::vector<torch::Tensor> with_landscape, without;
  const auto a =
      run_point(job_of(job_text("[probes.landscape]\nplane_points = 3\n[probes.weights]\nstore_params = true\n")),
                &with_landscape);
  const auto b = run_point(job_of(job_text("[probes.weights]\nstore_params = true\n")), &without);
  ASSERT_EQ(with_landscape.size(), without.size());
  for (std::size_t i = 0; i < without.size(); ++i) EXPECT_TRUE(torch::equal(with_landscape[i], without[i])) << i;
  // The weights probe, which looks after it, sees the trained network.
  EXPECT_EQ(row(a, WeightsProbe::kFinalParams), row(b, WeightsProbe::kFinalParams));
  EXPECT_EQ(row(a, WeightsProbe::kFinalParamNorm), row(b, WeightsProbe::kFinalParamNorm));
}

TEST(LandscapeProbe, DeclaresTestAndPlaneDatasetsOnlyWhereTheyExist) {
  const auto paths = [](const config::JobConfig& job) {
    std::vector<std::string> out;
    for (const auto& s : L::store_layout(job)) {
      if (s.path.rfind("/probes/landscape/", 0) == 0) out.push_back(s.path);
    }
    return out;
  };
  const auto all = paths(job_of(job_text("[probes.landscape]\n")));
  EXPECT_EQ(all.size(), 16u);
  const auto no_test = paths(job_of(job_text("[probes.landscape]\n", 0)));
  EXPECT_EQ(no_test.size(), 10u);
  for (const auto& p : no_test) EXPECT_EQ(p.find("test"), std::string::npos) << p;
  EXPECT_EQ(paths(job_of(job_text("[probes.landscape]\nplane = false\n"))).size(), 12u);
  const auto job = job_of(job_text("[probes.landscape]\nplane_points = 5\n"));
  for (const auto& s : L::store_layout(job)) {
    if (s.path == P::kPlaneTrainLoss) {
      EXPECT_EQ(s.total_size(), 5 * 5);  // one point, 5 x 5
    }
    if (s.path == P::kCoordinate) {
      EXPECT_EQ(s.content(), plane_coordinates(5, 1.0));
    }
  }
}

// The job_text schedule (steps 30, checkpoints 3) and a table that slices
// at two of its checkpoints, k = 1 and 2.
const std::vector<std::int64_t> kSchedule = config::checkpoint_steps(30, 3);
std::string at_checkpoints(const std::string& rest = "") {
  return "[probes.landscape]\nline_steps = 4\nline_extend = 2\nplane_points = 3\ncheckpoint_steps = [" +
         std::to_string(kSchedule.at(1)) + ", " + std::to_string(kSchedule.at(2)) + "]\n" + rest;
}

TEST(LandscapeProbe, AtChosenCheckpointsTheLineEndsAtThatCheckpointsLossAndTrainingIsUntouched) {
  ASSERT_GE(kSchedule.size(), 4u);
  std::vector<torch::Tensor> with_checkpoints, without;
  const auto r = run_point(job_of(job_text(at_checkpoints())), &with_checkpoints);
  const auto b =
      run_point(job_of(job_text("[probes.landscape]\nline_steps = 4\nline_extend = 2\nplane_points = 3\n")), &without);
  ASSERT_EQ(r.summary.status, PointStatus::done);
  const std::size_t n = line_alphas(4, 2).size(), m = 3;
  const auto& series = row(r, L::kSeriesTrainLoss);
  const auto& series_accuracy = row(r, L::kSeriesTrainAccuracy);
  const auto& line = row(r, P::kCkptLineTrainLoss);
  ASSERT_EQ(line.size(), 2 * n);
  ASSERT_EQ(row(r, P::kCkptPlaneTrainLoss).size(), 2 * m * m);
  ASSERT_EQ(row(r, P::kCkptDirTestLoss).size(), 2 * m);
  for (std::size_t c = 0; c < 2; ++c) {
    const std::size_t k = c + 1;                 // checkpoint k of the schedule
    EXPECT_EQ(line[c * n + 2], series[0]) << c;  // alpha 0: the initial network, bit for bit
    EXPECT_EQ(line[c * n + 6], series[k]) << c;  // alpha 1: the network at that checkpoint
    EXPECT_EQ(row(r, P::kCkptLineTrainAccuracy)[c * n + 6], series_accuracy[k]) << c;
    EXPECT_EQ(row(r, P::kCkptDirTrainLoss)[c * m + 1], series[k]) << c;              // t = 0
    EXPECT_EQ(row(r, P::kCkptPlaneTrainLoss)[(c * m + 1) * m + 1], series[k]) << c;  // s = t = 0
    EXPECT_EQ(row(r, P::kCkptDirTestLoss)[c * m + 1], row(r, P::kCkptLineTestLoss)[c * n + 6]) << c;
    for (std::size_t j = 0; j < m; ++j) EXPECT_TRUE(std::isfinite(row(r, P::kCkptDirTrainLoss)[c * m + j]));
  }
  EXPECT_NE(line[6], line[n + 6]);  // two checkpoints, two networks
  // Slicing at checkpoints changes neither the training nor the end's slices.
  ASSERT_EQ(with_checkpoints.size(), without.size());
  for (std::size_t i = 0; i < without.size(); ++i) EXPECT_TRUE(torch::equal(with_checkpoints[i], without[i])) << i;
  EXPECT_EQ(series, row(b, L::kSeriesTrainLoss));
  for (const char* path : {P::kLineTrainLoss, P::kDirTrainLoss, P::kPlaneTrainLoss, P::kPlaneTestAccuracy}) {
    EXPECT_EQ(row(r, path), row(b, path)) << path;
  }
  EXPECT_EQ(b.rows.find(P::kCkptLineTrainLoss), nullptr);  // no checkpoint_steps, no such dataset
}

TEST(LandscapeProbe, DeclaresTheCheckpointSlicesWithACheckpointAxis) {
  const auto job = job_of(job_text(at_checkpoints()));
  std::size_t count = 0;
  for (const auto& s : L::store_layout(job)) {
    if (s.path.rfind("/probes/landscape/", 0) == 0) ++count;
    if (s.path == P::kCheckpointStep) {
      EXPECT_EQ(s.content(),
                (std::vector<double>{static_cast<double>(kSchedule[1]), static_cast<double>(kSchedule[2])}));
    }
    if (s.path == P::kCkptPlaneTrainLoss) {
      ASSERT_EQ(s.dims.size(), 4u);  // [point, checkpoint, s, t]
      EXPECT_EQ(s.dims[1].size, 2);
      EXPECT_EQ(s.dims[2].size, 3);
      EXPECT_EQ(s.dims[3].size, 3);
    }
    if (s.path == P::kCkptLineTrainLoss) {
      EXPECT_EQ(s.total_size(), 2 * 9);
    }
  }
  EXPECT_EQ(count, 16u + 1u + 12u);  // the end's, the steps, 12 sliced at the checkpoints
}

std::string job_error(const std::string& table) {
  return config_error([&] { job_of(job_text(table)); });
}

TEST(LandscapeProbe, ValidatesItsTable) {
  const auto expect_error = [](const std::string& table, const std::string& wanted) {
    expect_config_error(table, job_error(table), wanted);
  };
  expect_error("[probes.landscape]\nplane_points = 4\n",
               "probes.landscape.plane_points = 4: allowed: an odd integer from 3 to 201");
  expect_error("[probes.landscape]\nline_steps = 0\n", "probes.landscape.line_steps = 0");
  expect_error("[probes.landscape]\nplane_extent = 0\n", "probes.landscape.plane_extent = 0");
  expect_error("[probes.landscape]\nplanes = true\n", "unknown key 'probes.landscape.planes'");
  EXPECT_EQ(job_error("[probes.landscape]\nplane = false\nseed = 7\n"), "");
  // checkpoint_steps: steps of the job's checkpoint schedule, increasing.
  std::string listed;
  for (const auto t : kSchedule) listed += (listed.empty() ? "" : ", ") + std::to_string(t);
  expect_error("[probes.landscape]\ncheckpoint_steps = [7]\n",
               "probes.landscape.checkpoint_steps = [7]: allowed: increasing steps of the job's checkpoint schedule "
               "(train.steps, train.checkpoints): [" +
                   listed + "]; 7 is not one");
  expect_error("[probes.landscape]\ncheckpoint_steps = [30, 1]\n",
               "probes.landscape.checkpoint_steps = [30, 1]: allowed: a list of increasing integers from 0 to 30");
  expect_error("[probes.landscape]\ncheckpoint_steps = 30\n", "probes.landscape.checkpoint_steps = 30: allowed");
  expect_error("[probes.landscape]\ncheckpoint_steps = [31]\n", "probes.landscape.checkpoint_steps = [31]");
  EXPECT_EQ(job_error("[probes.landscape]\ncheckpoint_steps = []\n"), "");
  EXPECT_EQ(job_error(at_checkpoints()), "");
}

}  // namespace
}  // namespace lsweep::probes
