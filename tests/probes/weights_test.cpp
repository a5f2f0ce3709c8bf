// The weights probe against hand computation on a tiny float64 network: norms
// summed element by element in plain C++, the initial parameters from a twin
// network built with the same seed, the gradient from autograd on the whole
// training set at once.

#include "lsweep/probes/weights.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstring>

#include "config_error.hpp"
#include "lsweep/common/error.hpp"
#include "lsweep/config/grid.hpp"
#include "lsweep/config/layout.hpp"
#include "lsweep/training/loss.hpp"
#include "lsweep/training/model.hpp"

namespace lsweep::probes {
namespace {

namespace L = config::layout;
using P = WeightsProbe;

std::string job_text(const std::string& probe_table, double momentum = 0.9) {
  return "[grid]\nlr = [0.05]\nbatch = [8]\nwidth = [5, 3]\nseed = [4]\n"
         "[data]\nkind = \"gaussian\"\ntrain_size = 24\ntest_size = 6\ndim = 4\n"
         "[train]\nloss = \"mse\"\nsteps = 30\ncheckpoints = 4\ndtype = \"float64\"\nmomentum = " +
         std::to_string(momentum) + "\n" + probe_table;
}

config::JobConfig job_of(const std::string& text) { return config::parse_job(text, "weights.toml", builtin()); }

// Sum of squares of every element, in a plain loop.
double sum_sq(const std::vector<torch::Tensor>& tensors) {
  double s = 0.0;
  for (const auto& t : tensors) {
    const auto c = t.detach().to(torch::kFloat64).contiguous();
    const double* p = c.data_ptr<double>();
    for (std::int64_t i = 0; i < c.numel(); ++i) s += p[i] * p[i];
  }
  return s;
}

double sum_sq_diff(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  double s = 0.0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    const auto x = a[k].detach().contiguous(), y = b[k].detach().contiguous();
    for (std::int64_t i = 0; i < x.numel(); ++i) {
      const double d = x.data_ptr<double>()[i] - y.data_ptr<double>()[i];
      s += d * d;
    }
  }
  return s;
}

std::vector<double> flat(const std::vector<torch::Tensor>& tensors) {
  std::vector<double> out;
  for (const auto& t : tensors) {
    const auto c = t.detach().contiguous();
    out.insert(out.end(), c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
  }
  return out;
}

struct Trained {
  PointRecord record;
  std::vector<torch::Tensor> initial, final, gradient, momentum;
};

// Trains point 0 (width 5) with the probe on, and collects what a hand check needs.
Trained run_point(const config::JobConfig& job) {
  const auto data = training::load_dataset(job.data, torch::kFloat64);
  const config::GridPoint point = config::expand_grid(job)[0];
  training::Trainer trainer(job, point, data, torch::kCPU);
  Trained r;
  r.record = run_with_probes(trainer, job, point, L::store_layout(job));
  torch::manual_seed(static_cast<std::uint64_t>(point.seed));  // the twin: the network before training
  auto twin = training::make_mlp(4, 5, 2, 1, config::InitKind::pytorch);
  twin->to(torch::kFloat64);
  r.initial = twin->parameters();
  r.final = trainer.model()->parameters();
  const auto loss = training::compute_loss(job.train.loss, trainer.model()->forward(data.x_train), data.y_train, true);
  r.gradient = torch::autograd::grad({loss}, r.final);
  r.momentum = trainer.optimizer().momentum_buffers();
  return r;
}

double value(const PointRecord& r, const char* path, std::size_t k = 0) { return r.rows.find(path)->at(k); }

TEST(WeightsProbe, EqualsHandComputationAtTheEndAndAtStepZero) {
  const auto job = job_of(job_text("[probes.weights]\nstore_params = true\n"));
  const Trained r = run_point(job);
  ASSERT_EQ(r.record.summary.status, PointStatus::done);
  const auto& rec = r.record;
  const std::size_t last = config::checkpoint_steps(30, 4).size() - 1;
  const double tol = 1e-12;
  EXPECT_NEAR(value(rec, P::kFinalParamNorm), std::sqrt(sum_sq(r.final)), tol);
  EXPECT_NEAR(value(rec, P::kFinalDistanceSq), sum_sq_diff(r.final, r.initial), tol);
  EXPECT_NEAR(value(rec, P::kFinalGradNorm), std::sqrt(sum_sq(r.gradient)), tol);
  EXPECT_NEAR(value(rec, P::kMomentumNorm, last), std::sqrt(sum_sq(r.momentum)), tol);
  EXPECT_EQ(value(rec, P::kParamNorm, last), value(rec, P::kFinalParamNorm));  // the last checkpoint is the end
  // Step 0: the initial network, no distance, no momentum.
  EXPECT_NEAR(value(rec, P::kParamNorm, 0), std::sqrt(sum_sq(r.initial)), tol);
  EXPECT_EQ(value(rec, P::kDistanceSq, 0), 0.0);
  EXPECT_EQ(value(rec, P::kMomentumNorm, 0), 0.0);
  // The summary carries the probe's scalars to the master.
  EXPECT_EQ(rec.summary.scalar(P::kFinalGradNorm), value(rec, P::kFinalGradNorm));
  // Parameters in parameters() order, bit for bit.
  EXPECT_EQ(*rec.rows.find(P::kInitialParams), flat(r.initial));
  EXPECT_EQ(*rec.rows.find(P::kFinalParams), flat(r.final));
  EXPECT_EQ(rec.rows.find(P::kFinalParams)->size(), 4u * 5 + 5 + 5 * 5 + 5 + 5 + 1);
}

TEST(WeightsProbe, DoesNotChangeTheTraining) {
  const auto with = run_point(job_of(job_text("[probes.weights]\n")));
  const auto job = job_of(job_text(""));
  const auto data = training::load_dataset(job.data, torch::kFloat64);
  const PointRecord without = training::Trainer(job, config::expand_grid(job)[0], data, torch::kCPU).run();
  for (const char* path : {L::kSeriesTrainLoss, L::kSeriesTrainAccuracy, L::kFinalTrainLoss, L::kFinalTestLoss}) {
    const auto& a = *with.record.rows.find(path);
    const auto& b = *without.rows.find(path);
    ASSERT_EQ(a.size(), b.size());
    EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(double)), 0) << path;
  }
}

TEST(WeightsProbe, DeclaresItsDatasetsFromItsOptionsAndTheJob) {
  const auto paths = [](const config::JobConfig& job) {
    std::vector<std::string> out;
    for (const auto& s : L::store_layout(job)) {
      if (s.path.rfind("/probes/", 0) == 0) out.push_back(s.path);
    }
    return out;
  };
  const auto plain = paths(job_of(job_text("[probes.weights]\n", 0.0)));
  EXPECT_EQ(plain, (std::vector<std::string>{P::kParamNorm, P::kDistanceSq, P::kGradNorm, P::kFinalParamNorm,
                                             P::kFinalDistanceSq, P::kFinalGradNorm}));
  const auto cheap = paths(job_of(job_text("[probes.weights]\ngrad_norm = false\n", 0.0)));
  EXPECT_EQ(cheap, (std::vector<std::string>{P::kParamNorm, P::kDistanceSq, P::kFinalParamNorm, P::kFinalDistanceSq}));
  const auto job = job_of(job_text("[probes.weights]\nstore_params = true\n"));
  const auto all = L::store_layout(job);
  EXPECT_NE(find_spec(all, P::kMomentumNorm), nullptr);
  const DatasetSpec* params = find_spec(all, P::kFinalParams);
  ASSERT_NE(params, nullptr);
  const std::int64_t n5 = training::mlp_parameter_count(4, 5, 2, 1), n3 = training::mlp_parameter_count(4, 3, 2, 1);
  EXPECT_EQ(params->dims[0].size, n5 + n3);  // packed: no row padded to the widest
  EXPECT_EQ(params->row_size(1), n3);
  EXPECT_EQ(find_spec(all, P::kParamOffset)->content(), (std::vector<double>{0.0, static_cast<double>(n5)}));
  EXPECT_EQ(find_spec(all, P::kFinalGradNorm)->csv_column, "weights_grad_norm");
  EXPECT_EQ(paths(job_of(job_text(""))), std::vector<std::string>{});  // no table: no datasets
}

// The message parse_job gives for `table`, or "" when it is accepted.
std::string job_error(const std::string& table) {
  return config_error([&] { job_of(job_text(table)); });
}

TEST(WeightsProbe, ValidatesItsTable) {
  const auto expect_error = [](const std::string& table, const std::string& wanted) {
    expect_config_error(table, job_error(table), wanted);
  };
  expect_error("[probes.weights]\nstore_params = \"yes\"\n",
               "probes.weights.store_params = \"yes\": allowed: true or false");
  expect_error(
      "[probes.weights]\nstore_param = true\n",
      "unknown key 'probes.weights.store_param': allowed keys in [probes.weights] are grad_norm, store_params");
  expect_error("[probes.wieghts]\n",
               "probes.wieghts = (table): no such probe; allowed: curvature, diffusion, escape, jamming, landscape, "
               "noise_split, weights");
  EXPECT_EQ(job_error("[probes.weights]\ngrad_norm = false\n"), "");
}

}  // namespace
}  // namespace lsweep::probes
