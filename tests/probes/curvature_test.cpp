// The curvature probe through the trainer on a tiny float64 network (61
// parameters): its stored values against the dense Hessian of the trained
// network built here, its datasets, its validation, and training unchanged.

#include "lsweep/probes/curvature.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstring>

#include "config_error.hpp"
#include "lsweep/common/error.hpp"
#include "lsweep/config/grid.hpp"
#include "lsweep/config/layout.hpp"
#include "lsweep/curvature/hessian.hpp"
#include "lsweep/training/loss.hpp"

namespace lsweep::probes {
namespace {

namespace L = config::layout;
using P = CurvatureProbe;

std::string job_text(const std::string& probe_table) {
  return "[grid]\nlr = [0.05]\nbatch = [8]\nwidth = [5, 3]\nseed = [4]\n"
         "[data]\nkind = \"gaussian\"\ntrain_size = 24\ntest_size = 6\ndim = 4\n"
         "[train]\nloss = \"mse\"\nsteps = 30\ncheckpoints = 4\ndtype = \"float64\"\nmomentum = 0.5\n" +
         probe_table;
}

config::JobConfig job_of(const std::string& text) { return config::parse_job(text, "curvature.toml", builtin()); }

std::string job_error(const std::string& table) {
  return config_error([&] { job_of(job_text(table)); });
}

struct Trained {
  PointRecord record;
  torch::Tensor hessian;    // dense, of the trained network on the whole training set
  torch::Tensor gradients;  // per-sample, [P, n]
};

Trained run_point(const config::JobConfig& job) {
  const auto data = training::load_dataset(job.data, torch::kFloat64);
  const config::GridPoint point = config::expand_grid(job)[0];
  training::Trainer trainer(job, point, data, torch::kCPU);
  Trained r;
  r.record = run_with_probes(trainer, job, point, L::store_layout(job));
  auto& model = trainer.model();
  const auto params = model->parameters();
  const auto loss = training::compute_loss(job.train.loss, model->forward(data.x_train), data.y_train, true);
  std::vector<torch::Tensor> parts;
  for (const auto& x : torch::autograd::grad({loss}, params, {}, true, true)) parts.push_back(x.flatten());
  const auto g = torch::cat(parts);  // still differentiable
  std::vector<torch::Tensor> rows;
  for (std::int64_t i = 0; i < g.numel(); ++i) {
    rows.push_back(curvature::flatten(torch::autograd::grad({g[i]}, params, {}, true)));
  }
  r.hessian = torch::stack(rows);
  std::vector<torch::Tensor> samples;
  for (std::int64_t i = 0; i < data.x_train.size(0); ++i) {
    const auto l = training::compute_loss(job.train.loss, model->forward(data.x_train.narrow(0, i, 1)),
                                          data.y_train.narrow(0, i, 1), true);
    samples.push_back(curvature::flatten(torch::autograd::grad({l}, params)));
  }
  r.gradients = torch::stack(samples);
  return r;
}

double value(const PointRecord& r, const char* path, std::size_t k = 0) { return r.rows.find(path)->at(k); }
double relative(double got, double want) { return std::abs(got - want) / std::abs(want); }

TEST(CurvatureProbe, EqualsTheDenseHessianOfTheTrainedNetwork) {
  // 61 Lanczos steps on 61 parameters: the whole Krylov space, exact values.
  const auto job = job_of(job_text(
      "[probes.curvature]\nlanczos_steps = 61\ntrace_products = 30\nnoise_samples = 24\ndtype = \"float64\"\n"));
  const Trained r = run_point(job);
  ASSERT_EQ(r.hessian.size(0), 61);
  const auto exact = torch::linalg_eigvalsh(r.hessian, "L");
  const auto& rec = r.record;
  const std::size_t last = config::checkpoint_steps(30, 4).size() - 1;
  const double lambda_max = exact[60].item<double>();
  EXPECT_LT(relative(value(rec, P::kFinalLambdaMax), lambda_max), 1e-6);
  EXPECT_LT(value(rec, P::kFinalLambdaMaxResidual), 1e-6 * lambda_max);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_LT(
        relative(value(rec, P::kTopEigenvalues, last * 5 + i), exact[60 - static_cast<std::int64_t>(i)].item<double>()),
        1e-6)
        << i;
  }
  EXPECT_LT(relative(value(rec, P::kFinalLambdaMin), exact[0].item<double>()), 1e-6);
  EXPECT_NEAR(value(rec, P::kFinalEosRatio), lambda_max * 0.05 / (2 + 2 * 0.5), 1e-6 * lambda_max);
  const double trace = r.hessian.trace().item<double>();
  // 61 Lanczos steps span the whole space: the deflated rest is 0 and the trace exact.
  EXPECT_LE(std::abs(value(rec, P::kFinalTrace) - trace), 3 * value(rec, P::kFinalTraceErr) + 1e-12 * std::abs(trace));
  // The last checkpoint is the end: the same numbers.
  EXPECT_EQ(value(rec, P::kLambdaMax, last), value(rec, P::kFinalLambdaMax));
  // Gradient noise at batch 8 of 24 from all 24 per-sample gradients.
  const auto c = r.gradients - r.gradients.mean(0, true);
  const auto covariance = c.t().mm(c) / 24.0 / 8.0 * (24.0 - 8.0) / 23.0;  // population covariance / B, (P-B)/(P-1)
  EXPECT_LT(relative(value(rec, P::kFinalNoiseTrace), covariance.trace().item<double>()), 1e-10);
  const double alignment = covariance.mm(r.hessian).trace().item<double>() /
                           (covariance.norm().item<double>() * r.hessian.norm().item<double>());
  // ||H||_F is estimated (exact here: 61 steps span the space): the alignment is as good as that estimate.
  EXPECT_LT(relative(value(rec, P::kFinalNoiseAlignment), alignment), 0.1);
  EXPECT_EQ(rec.summary.scalar(P::kFinalLambdaMax), value(rec, P::kFinalLambdaMax));
  // Products counted: Lanczos (up to 61 steps: it stops once the Krylov space
  // is invariant, as with the zero eigenvalues of dead units) + Hutch++ + one per noise sample.
  const double lanczos = value(rec, P::kProducts, last) - 30 - 24;
  EXPECT_GE(lanczos, 5);
  EXPECT_LE(lanczos, 61);
}

TEST(CurvatureProbe, StoresADensityThatIntegratesToOne) {
  const auto job =
      job_of(job_text("[probes.curvature]\ndensity_vectors = 4\ndensity_steps = 20\ndensity_points = 4000\n"));
  const auto rec = run_point(job).record;
  const auto& rho = *rec.rows.find(P::kDensity);
  ASSERT_EQ(rho.size(), 4000u);
  const double h = (value(rec, P::kDensityHi) - value(rec, P::kDensityLo)) / 3999.0;
  double mass = 0.0;
  for (double x : rho) mass += x * h;
  EXPECT_NEAR(mass, 1.0, 1e-3);  // the grid reaches 5 sigma past the extreme nodes
  EXPECT_EQ(rec.rows.find(P::kSlqNodes)->size(), 80u);
}

TEST(CurvatureProbe, IsDeterministicAndDoesNotChangeTheTraining) {
  const auto job = job_of(job_text("[probes.curvature]\nnoise_samples = 8\n"));
  const auto a = run_point(job).record, b = run_point(job).record;
  for (const auto& [path, row] : a.rows.all()) {
    if (path == P::kSeconds) continue;
    EXPECT_EQ(std::memcmp(row.data(), b.rows.find(path)->data(), row.size() * sizeof(double)), 0) << path;
  }
  const auto plain = job_of(job_text(""));
  const auto data = training::load_dataset(plain.data, torch::kFloat64);
  const PointRecord without = training::Trainer(plain, config::expand_grid(plain)[0], data, torch::kCPU).run();
  for (const char* path : {L::kSeriesTrainLoss, L::kFinalTrainLoss, L::kFinalTestLoss}) {
    const auto& x = *a.rows.find(path);
    EXPECT_EQ(std::memcmp(x.data(), without.rows.find(path)->data(), x.size() * sizeof(double)), 0) << path;
  }
}

TEST(CurvatureProbe, LeavesLibTorchsGeneratorAlone) {
  // dtype = "float64" copies the model, and LibTorch's clone() re-initialises layers from the global generator.
  const auto job = job_of(job_text("[probes.curvature]\ndtype = \"float64\"\nnoise_samples = 4\n"));
  const auto data = training::load_dataset(job.data, torch::kFloat64);
  const auto point = config::expand_grid(job)[0];
  const auto state_after = [&](bool probes) {
    training::Trainer trainer(job, point, data, torch::kCPU);
    if (probes) {
      run_with_probes(trainer, job, point, L::store_layout(job));
    } else {
      trainer.run(L::store_layout(job));
    }
    return at::detail::getDefaultCPUGenerator().get_state();
  };
  const auto without = state_after(false);
  EXPECT_TRUE(torch::equal(state_after(true), without));
}

TEST(CurvatureProbe, DeclaresItsDatasetsFromItsOptions) {
  const auto count = [](const std::string& table) {
    std::size_t n = 0;
    for (const auto& s : L::store_layout(job_of(job_text(table)))) n += s.path.rfind("/probes/curvature/", 0) == 0;
    return n;
  };
  EXPECT_EQ(count("[probes.curvature]\ndensity = false\ntrace_products = 0\nlambda_min = false\n"), 10u);
  EXPECT_EQ(count("[probes.curvature]\nnoise_samples = 4\n"), 10u + 3 + 5 + 7 + 6);
  const auto all = L::store_layout(job_of(job_text("[probes.curvature]\ndensity_every_checkpoint = true\n")));
  const DatasetSpec* density = find_spec(all, P::kDensity);
  ASSERT_NE(density, nullptr);
  EXPECT_EQ(density->shape_text(), "[N, K, 1000]");
  EXPECT_EQ(find_spec(all, P::kFinalLambdaMax)->csv_column, "lambda_max");
}

TEST(CurvatureProbe, ValidatesItsTable) {
  const auto expect_error = [](const std::string& table, const std::string& wanted) {
    expect_config_error(table, job_error(table), wanted);
  };
  expect_error("[probes.curvature]\nsamples = 25\n", "probes.curvature.samples = 25");
  expect_error("[probes.curvature]\ndtype = \"float16\"\n", "probes.curvature.dtype = \"float16\"");
  expect_error("[probes.curvature]\ntop_k = 10\nlanczos_steps = 5\n",
               "probes.curvature.lanczos_steps = 5: allowed: at least top_k (10)");
  expect_error("[probes.curvature]\ntrace_products = 1\n",
               "probes.curvature.trace_products = 1: allowed: 0 (no trace) or 2 or more");
  expect_error("[probes.curvature]\nnoise_samples = 4\ntrace_products = 0\n",
               "probes.curvature.noise_samples = 4: allowed: 0 when trace_products = 0");
  expect_error("[probes.curvature]\ndensity_sigma = 0\n", "probes.curvature.density_sigma = 0");
  expect_error("[probes.curvature]\nlanczos = 5\n", "unknown key 'probes.curvature.lanczos'");
  EXPECT_EQ(job_error("[probes.curvature]\ndtype = \"float64\"\nsamples = 12\n"), "");
}

}  // namespace
}  // namespace lsweep::probes
