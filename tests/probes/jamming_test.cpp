// The jamming probe against hand-built margins (counts, loss, histograms),
// hand-built dead networks, scripted loss curves for the plateau criterion,
// and training runs that fit (stop as converged at the step they fit) and
// that cannot (stop as stuck).

#include "lsweep/probes/jamming.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "lsweep/common/error.hpp"
#include "lsweep/config/grid.hpp"
#include "lsweep/config/layout.hpp"
#include "lsweep/scheduler/bisection.hpp"
#include "lsweep/training/model.hpp"

namespace lsweep::probes {
namespace {

using P = JammingProbe;

TEST(JammingGaps, CountsLossAndHistogramsOfHandBuiltMargins) {
  // Delta = 1 - y f = -1, 0.5, -2, 1.2, 3e-9, 0.
  const auto y = torch::tensor({1.0, 1.0, -1.0, -1.0, 1.0, 1.0}, torch::kFloat64);
  const auto f = torch::tensor({2.0, 0.5, -3.0, 0.2, 1.0 - 3e-9, 1.0}, torch::kFloat64).unsqueeze(1);
  const Gaps g = measure_gaps(f, y, 1e-6, 34, -15.0, 2.0);  // bins of 0.5 decade
  EXPECT_EQ(g.n_delta, 3);                                  // 0.5, 1.2, 3e-9 (inside the margin counts)
  EXPECT_EQ(g.n_delta_tol, 2);                              // 3e-9 is below the tolerance
  EXPECT_EQ(g.errors, 1);                                   // only y f = -0.2 is misclassified
  const double d5 = 1.0 - (1.0 - 3e-9);
  EXPECT_DOUBLE_EQ(g.hinge_loss, (0.25 + 1.44 + d5 * d5) / 12.0);
  std::vector<double> satisfied(34, 0.0), unsatisfied(34, 0.0);
  satisfied[30] = 2;    // |Delta| = 1 and 2: log10 in [0, 0.5)
  satisfied[0] = 1;     // Delta = 0 exactly
  unsatisfied[29] = 1;  // 0.5: [-0.5, 0)
  unsatisfied[30] = 1;  // 1.2
  unsatisfied[12] = 1;  // 3e-9: log10 = -8.52, in [-9, -8.5)
  EXPECT_EQ(g.satisfied, satisfied);
  EXPECT_EQ(g.unsatisfied, unsatisfied);
}

TEST(JammingGaps, ValuesOutsideTheRangeGoToTheEndBins) {
  const auto y = torch::tensor({1.0, 1.0}, torch::kFloat64);
  const Gaps g = measure_gaps(torch::tensor({1.0 - 1e-12, -1e6}, torch::kFloat64), y, 0.0, 4, -8.0, 0.0);
  EXPECT_EQ(g.unsatisfied, (std::vector<double>{1, 0, 0, 1}));
}

TEST(JammingGaps, ANonFiniteOutputIsUnsatisfiedAndWrong) {
  const auto y = torch::tensor({1.0, -1.0, 1.0}, torch::kFloat64);
  const double nan = std::nan("");
  const Gaps g = measure_gaps(torch::tensor({nan, std::numeric_limits<double>::infinity(), 5.0}, torch::kFloat64), y,
                              1e-6, 4, -8.0, 0.0);
  EXPECT_EQ(g.n_delta, 2);
  EXPECT_EQ(g.n_delta_tol, 2);
  EXPECT_EQ(g.errors, 2);
  EXPECT_TRUE(std::isnan(g.hinge_loss));
  EXPECT_EQ(g.unsatisfied, (std::vector<double>{0, 0, 0, 2}));
  EXPECT_EQ(g.satisfied, (std::vector<double>{0, 0, 0, 1}));
}

TEST(JammingDeadUnits, CountsDeadUnitsPerLayerAndAConstantOutput) {
  torch::manual_seed(2);
  auto net = training::make_mlp(3, 4, 2, 1, config::InitKind::orthogonal);
  const auto x = torch::randn({50, 3});
  {
    torch::NoGradGuard no_grad;
    auto* first = net[0]->as<torch::nn::Linear>();
    first->weight[1].zero_();  // unit 1 of layer 1: 0 x - 1 < 0 everywhere
    first->bias[1] = -1.0;
  }
  auto d = dead_units(net, x);
  EXPECT_EQ(d.per_layer, (std::vector<std::int64_t>{1, 0}));
  EXPECT_FALSE(d.constant_output);
  {
    torch::NoGradGuard no_grad;
    auto* second = net[2]->as<torch::nn::Linear>();
    second->weight.zero_();  // the whole second layer off: the output is its bias
    second->bias.fill_(-1.0);
  }
  d = dead_units(net, x);
  EXPECT_EQ(d.per_layer, (std::vector<std::int64_t>{1, 4}));
  EXPECT_TRUE(d.constant_output);
}

TEST(JammingCounts, WeightsExcludeBiases) {
  EXPECT_EQ(weight_count(10, 5, 3, 1), 10 * 5 + 2 * 25 + 5);
  EXPECT_EQ(training::mlp_parameter_count(10, 5, 3, 1), weight_count(10, 5, 3, 1) + 3 * 5 + 1);
}

TEST(JammingPlateau, FiresOnlyWhenTheLossStoppedFalling) {
  EXPECT_FALSE(plateaued({1.0, 0.5, 0.25}, 2, 1e-3));      // falling
  EXPECT_FALSE(plateaued({1.0, 1.0}, 2, 1e-3));            // too few checks
  EXPECT_TRUE(plateaued({1.0, 0.5, 0.4999999}, 1, 1e-3));  // fell 2e-7 relative
  EXPECT_FALSE(plateaued({1.0, 0.5, 0.49}, 1, 1e-3));      // fell 2%
  EXPECT_TRUE(plateaued({1.0, 0.5, 0.6}, 1, 1e-3));        // rose
  EXPECT_FALSE(plateaued({0.7, 0.5, 0.5, 0.5}, 3, 1e-3));  // fell over the window
  EXPECT_TRUE(plateaued({0.7, 0.5, 0.5, 0.5}, 2, 1e-3));
  EXPECT_FALSE(plateaued({1.0, 0.5, 0.4}, 0, 1e-3));  // off
}

std::string job_text(std::int64_t width, const std::string& table) {
  return "[grid]\nlr = [0.5]\nbatch = [\"full\"]\nwidth = [" + std::to_string(width) +
         "]\nseed = [1]\n"
         "[data]\nkind = \"gaussian\"\ntrain_size = 24\ntest_size = 8\ndim = 5\n"
         "[model]\ninit = \"orthogonal\"\n"
         "[train]\nloss = \"quadratic_hinge\"\nsteps = 3000\ncheckpoints = 10\ndtype = \"float64\"\n"
         "[probes.jamming]\n" +
         table;
}

PointRecord run(const std::string& text) {
  const auto job = config::parse_job(text, "jamming.toml", builtin());
  const auto data = training::load_dataset(job.data, torch::kFloat64);
  const auto point = config::expand_grid(job)[0];
  training::Trainer trainer(job, point, data, torch::kCPU);
  return run_with_probes(trainer, job, point, config::layout::store_layout(job));
}

TEST(JammingProbe, AWideNetworkFitsAndStopsAtTheStepItFits) {
  const auto rec = run(job_text(64, "check_every = 10\n"));
  EXPECT_EQ(rec.summary.status, PointStatus::done);
  EXPECT_EQ(rec.summary.scalar(P::kStopReason), P::kConverged);
  EXPECT_LT(rec.summary.steps, 3000);
  EXPECT_EQ(rec.summary.scalar(P::kFitStep), static_cast<double>(rec.summary.steps));
  EXPECT_EQ(rec.summary.scalar(P::kFitted), 1.0);
  EXPECT_EQ(rec.summary.scalar(P::kFinalNDeltaTol), 0.0);
  EXPECT_EQ(rec.summary.scalar(P::kFinalErrors), 0.0);
  EXPECT_EQ(rec.summary.scalar(P::kDeadNetwork), 0.0);
  // The histograms count every sample once.
  double total = 0.0;
  for (const char* path : {P::kGapsSatisfied, P::kGapsUnsatisfied}) {
    for (double c : *rec.rows.find(path)) total += c;
  }
  EXPECT_EQ(total, 24.0);
  // N_Delta at checkpoint 0 (the network as initialised) is recorded.
  EXPECT_GT((*rec.rows.find(P::kNDelta))[0], 0.0);
}

TEST(JammingProbe, ANarrowNetworkCannotFitAndStopsAsStuck) {
  const auto rec = run(job_text(1, "check_every = 50\nplateau_checks = 4\nplateau_rel = 0.01\n"));
  EXPECT_EQ(rec.summary.scalar(P::kStopReason), P::kStuck);
  EXPECT_EQ(rec.summary.scalar(P::kFitted), 0.0);
  EXPECT_TRUE(std::isnan(rec.summary.scalar(P::kFitStep)));
  const double n_delta = rec.summary.scalar(P::kFinalNDelta);
  EXPECT_GT(n_delta, 0.0);
  EXPECT_DOUBLE_EQ(rec.summary.scalar(P::kNDeltaOverP), n_delta / 24.0);
  EXPECT_DOUBLE_EQ(rec.summary.scalar(P::kNDeltaOverN), n_delta / static_cast<double>(weight_count(5, 1, 2, 1)));
}

TEST(JammingProbe, WithoutStoppingTheBudgetIsTheReason) {
  const auto rec = run(job_text(64, "stop_when_fitted = false\n"));
  EXPECT_EQ(rec.summary.steps, 3000);
  EXPECT_EQ(rec.summary.scalar(P::kStopReason), P::kBudget);
  EXPECT_EQ(rec.summary.scalar(P::kFitted), 1.0);
  EXPECT_LT(rec.summary.scalar(P::kFitStep), 3000.0);  // the first checkpoint that found it fitted
}

TEST(JammingProbe, WithBisectionWritesTheCountsOfTheWidthItTrained) {
  std::string text = job_text(7, "check_every = 100\n");
  text.replace(text.find("width = [7]"), 11, "width = [7, 9]\nbisect = 1");
  const auto rec = run(text);
  EXPECT_EQ(rec.summary.scalar(P::kWeightCount), static_cast<double>(weight_count(5, 7, 2, 1)));
  EXPECT_EQ(rec.summary.scalar(P::kParamCount), static_cast<double>(training::mlp_parameter_count(5, 7, 2, 1)));
}

TEST(JammingProbe, AdamWithADecayingRateFitsAWideNetwork) {
  std::string text = job_text(64, "check_every = 10\n");
  text.replace(text.find("[train]\n"), 8,
               "[train]\noptimizer = \"adam\"\nlr_decay = { factor = 2, every = 500, floor = 1e-4 }\n");
  text.replace(text.find("lr = [0.5]"), 10, "lr = [0.01]");
  const auto rec = run(text);
  EXPECT_EQ(rec.summary.scalar(P::kFitted), 1.0);
  EXPECT_EQ(rec.summary.scalar(P::kStopReason), P::kConverged);
}

TEST(JammingProbe, TheBisectionReadsItsFittedResult) {
  EXPECT_STREQ(scheduler::kFittedResult, P::kFitted);
  // grid.bisect is accepted with the probe, refused beside the weights probe.
  std::string text = job_text(4, "");
  text.replace(text.find("width = [4]"), 11, "width = [2, 16]\nbisect = 3");
  const auto job = config::parse_job(text, "b.toml", builtin());
  EXPECT_EQ(job.grid.bisect, 3);
  EXPECT_EQ(config::grid_size(job.grid), 5);
  try {
    config::parse_job(text + "[probes.weights]\n", "b.toml", builtin());
    ADD_FAILURE() << "accepted grid.bisect with probes.weights";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("grid.bisect = 3: cannot be combined with [probes.weights]"),
              std::string::npos)
        << e.what();
  }
}

TEST(JammingProbe, ValidatesItsTable) {
  try {
    config::parse_job(
        "[grid]\nlr = [0.1]\nbatch = [4]\nwidth = [3]\n[data]\nkind = \"fashion_mnist\"\ntrain_size = 8\n"
        "[train]\nloss = \"mse\"\nsteps = 10\n[probes.jamming]\n",
        "ten.toml", builtin());
    ADD_FAILURE() << "accepted 10 classes";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("probes.jamming: needs binary labels"), std::string::npos) << e.what();
  }
  EXPECT_THROW(config::parse_job(job_text(4, "log10_min = 3\nlog10_max = 1\n"), "j.toml", builtin()), ConfigError);
  EXPECT_THROW(config::parse_job(job_text(4, "tolerance = -1\n"), "j.toml", builtin()), ConfigError);
  EXPECT_THROW(config::parse_job(job_text(4, "check_every = 5000\n"), "j.toml", builtin()), ConfigError);
}

}  // namespace
}  // namespace lsweep::probes
