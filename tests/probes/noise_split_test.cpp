// The noise_split probe on tiny tanh problems in float64: the terms against
// the covariance built from per-sample gradients and from the hand formula
// for grad h, their expectation over the noise, and the probe through the
// trainer (its rows, the fitted function, its validation).

#include "lsweep/probes/noise_split.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "config_error.hpp"
#include "lsweep/config/grid.hpp"
#include "lsweep/config/layout.hpp"
#include "lsweep/curvature/operator.hpp"
#include "lsweep/training/dataset.hpp"
#include "lsweep/training/loss.hpp"
#include "lsweep/training/model.hpp"

namespace lsweep::probes {
namespace {

namespace L = config::layout;
using P = NoiseSplitProbe;
const auto kF64 = torch::TensorOptions().dtype(torch::kFloat64);
constexpr double kSigma = 0.3;

torch::Tensor mse(const torch::Tensor& out, const torch::Tensor& y) {
  return training::compute_loss(config::LossKind::mse, out, y, true);
}

config::DataConfig teacher() {
  config::DataConfig d;
  d.kind = config::DataKind::tanh_teacher;
  d.noise = kSigma;
  d.teacher_alpha = {1.0, -0.6};
  d.teacher_w = {6.0, 2.5};
  d.teacher_b = {-0.3, 0.4};
  return d;
}

// A float64 tanh model of 3 units on [-1, 1] with chosen w and alpha, and
// 6 samples with fixed noise.
struct Tiny {
  torch::nn::Sequential net;
  training::TanhRegressionImpl* tanh = nullptr;
  torch::Tensor x, t, y;
};

Tiny tiny(bool projected = false) {
  Tiny p;
  p.net->push_back(training::TanhRegression(3, -1.0, 1.0, projected));
  p.net->to(torch::kFloat64);
  p.tanh = training::tanh_model(p.net);
  {
    torch::NoGradGuard no_grad;
    p.tanh->w.copy_(torch::tensor({1.7, -0.9, 3.1}, kF64));
    p.tanh->alpha.copy_(torch::tensor({0.4, 0.8, -0.5}, kF64));
  }
  p.x = torch::tensor({-0.95, -0.5, -0.1, 0.2, 0.55, 0.9}, kF64).unsqueeze(1);
  p.t = training::teacher_values(teacher(), p.x);
  p.y = p.t + kSigma * torch::tensor({0.3, -1.2, 0.8, 1.9, -0.4, -0.7}, kF64);
  return p;
}

// grad h(x_k) by hand, rows [P, 2n]: dh/dw_i = alpha_i (x - b_i) sech^2, then dh/dalpha_i = tanh.
torch::Tensor hand_grad_h(const Tiny& p) {
  const auto u = (p.x - p.tanh->b) * p.tanh->w.detach();
  const auto th = torch::tanh(u);
  const auto dw = p.tanh->alpha.detach() * (p.x - p.tanh->b) * (1 - th.square());
  return torch::cat({dw, th}, 1);
}

double tr(const torch::Tensor& m) { return m.trace().item<double>(); }

TEST(NoiseSplit, TermsAddUpToTheCovarianceOfPerSampleGradients) {
  Tiny p = tiny();
  const NoiseSplit s = noise_split(p.net, p.x, p.y, p.t, kSigma, mse);
  const auto dh = hand_grad_h(p);
  const auto g = curvature::per_sample_gradients(p.net, p.x, p.y, mse, 6);  // the job's loss, sample by sample
  const auto h = p.net->forward(p.x).squeeze(1).detach();
  const auto delta = p.t - h, eps = p.y - p.t;
  // The matrices: M = mean g_i g_i^T against mean (eps_i^2 + Delta_i^2 + 2 eps_i Delta_i) dh_i dh_i^T.
  const auto outer = [&](const torch::Tensor& weight) { return (dh * weight.unsqueeze(1)).t().mm(dh) / 6.0; };
  const auto m = g.t().mm(g) / 6.0;
  const auto realised = outer(eps.square()), exploration = outer(delta.square()), cross = outer(2 * eps * delta);
  EXPECT_LT((m - (realised + exploration + cross)).norm().item<double>(), 1e-14 * m.norm().item<double>());
  // The probe's traces are those of these matrices, and add up to the total.
  EXPECT_NEAR(s.total, tr(m), 1e-14 * tr(m));
  EXPECT_NEAR(s.realised_intrinsic, tr(realised), 1e-14 * tr(m));
  EXPECT_NEAR(s.exploration, tr(exploration), 1e-14 * tr(m));
  EXPECT_NEAR(s.cross, tr(cross), 1e-14 * tr(m));
  EXPECT_NEAR(s.intrinsic, kSigma * kSigma * tr(outer(torch::ones({6}, kF64))), 1e-14 * tr(m));
  EXPECT_NEAR(s.total, s.realised_intrinsic + s.exploration + s.cross, 1e-12 * s.total);
  const auto centred = g - g.mean(0);
  EXPECT_NEAR(s.centred_total, tr(centred.t().mm(centred)) / 6.0, 1e-14 * tr(m));
  EXPECT_NEAR(s.teacher_mse, delta.square().mean().item<double>(), 1e-15);
  EXPECT_DOUBLE_EQ(s.intrinsic_share(), s.intrinsic / (s.intrinsic + s.exploration));
  EXPECT_GT(s.exploration, 0.0);
}

TEST(NoiseSplit, AveragesOverTheNoiseToIntrinsicPlusExploration) {
  // At a fixed model, E_eps[mean ||g_i||^2] = sigma^2 mean ||dh_i||^2 + mean Delta_i^2 ||dh_i||^2.
  Tiny p = tiny();
  curvature::VectorRng rng(9);
  const NoiseSplit first = noise_split(p.net, p.x, p.y, p.t, kSigma, mse);
  const int draws = 1000;
  double sum = 0.0, sum_sq = 0.0;
  for (int r = 0; r < draws; ++r) {
    const auto y = p.t + kSigma * rng.gaussian(6, kF64);
    const NoiseSplit s = noise_split(p.net, p.x, y, p.t, kSigma, mse);
    ASSERT_EQ(s.intrinsic, first.intrinsic);  // neither term depends on the draw
    ASSERT_EQ(s.exploration, first.exploration);
    sum += s.total;
    sum_sq += s.total * s.total;
  }
  const double mean = sum / draws, sd = std::sqrt((sum_sq / draws - mean * mean) / (draws - 1.0));
  const double expected = first.intrinsic + first.exploration;
  EXPECT_NEAR(mean, expected, 4.0 * sd) << "standard error " << sd;
  EXPECT_LT(4.0 * sd, 0.5 * first.intrinsic);  // the check has teeth: leaving out the intrinsic term fails it
}

TEST(NoiseSplit, TakesOnlyWUnderVariableProjection) {
  Tiny p = tiny(true);
  const NoiseSplit s = noise_split(p.net, p.x, p.y, p.t, kSigma, mse);
  const auto dw = hand_grad_h(p).narrow(1, 0, 3);
  const auto q = dw.square().sum(1);
  EXPECT_NEAR(s.intrinsic, kSigma * kSigma * q.mean().item<double>(), 1e-15);
  const auto h = p.net->forward(p.x).squeeze(1).detach();
  EXPECT_NEAR(s.exploration, ((p.t - h).square() * q).mean().item<double>(), 1e-15);
}

std::string job_text(const std::string& extra, const std::string& probe_table = "[probes.noise_split]\n") {
  return "[grid]\nlr = [0.2]\nbatch = [4]\nwidth = [3]\nseed = [5]\n"
         "[data]\nkind = \"tanh_teacher\"\ntrain_size = 12\nnoise = 0.2\nteacher_alpha = [1.0, -0.6]\n"
         "teacher_w = [6.0, 2.5]\nteacher_b = [-0.3, 0.4]\nx_min = -1.5\nx_max = 2\n"
         "[model]\nkind = \"tanh\"\n" +
         extra + "[train]\nloss = \"mse\"\nsteps = 25\ncheckpoints = 4\ndtype = \"float64\"\n" + probe_table;
}

config::JobConfig job_of(const std::string& text) { return config::parse_job(text, "noise_split.toml", builtin()); }

std::vector<double> job_values(const config::JobConfig& job, const char* path) {
  return find_spec(L::store_layout(job), path)->content();
}

TEST(NoiseSplitProbe, StoresTheSplitAtEveryCheckpointAndTheFitAtTheEnd) {
  for (const char* extra : {"", "variable_projection = true\n"}) {
    const auto job = job_of(job_text(extra, "[probes.noise_split]\ngrid_points = 5\n"));
    const auto data = training::load_dataset(job.data, torch::kFloat64);
    const config::GridPoint point = config::expand_grid(job)[0];
    training::Trainer trainer(job, point, data, torch::kCPU);
    const PointRecord rec = run_with_probes(trainer, job, point, L::store_layout(job));
    ASSERT_EQ(rec.summary.status, PointStatus::done) << rec.summary.error;
    const auto row = [&](const char* path) { return *rec.rows.find(path); };
    const std::size_t k = row(P::kTotal).size();
    ASSERT_EQ(k, config::checkpoint_steps(25, 4).size());
    for (std::size_t c = 0; c < k; ++c) {
      const double total = row(P::kTotal)[c];
      EXPECT_NEAR(total, row(P::kRealisedIntrinsic)[c] + row(P::kExploration)[c] + row(P::kCross)[c], 1e-12 * total);
      EXPECT_LE(row(P::kCentredTotal)[c], total * (1 + 1e-12));
      EXPECT_GT(row(P::kIntrinsicShare)[c], 0.0);
      EXPECT_LT(row(P::kIntrinsicShare)[c], 1.0);
    }
    // The end is the last checkpoint: the final values are its values.
    EXPECT_EQ(rec.summary.scalar(P::kFinalIntrinsic), row(P::kIntrinsic).back());
    EXPECT_EQ(rec.summary.scalar(P::kFinalExploration), row(P::kExploration).back());
    EXPECT_EQ(rec.summary.scalar(P::kFinalIntrinsicShare), row(P::kIntrinsicShare).back());
    EXPECT_EQ(rec.summary.scalar(P::kFinalTeacherMse), row(P::kTeacherMse).back());
    // The same split as measured here on the trained model.
    auto& model = trainer.model();
    const auto t = training::teacher_values(job.data, data.x_train);
    const NoiseSplit here = noise_split(model, data.x_train, data.y_train, t, 0.2, mse);
    EXPECT_NEAR(row(P::kTotal).back(), here.total, 1e-14 * here.total);
    EXPECT_NEAR(row(P::kIntrinsic).back(), here.intrinsic, 1e-14 * here.intrinsic);
    // The fit and the teacher on the grid -1.5, -0.625, 0.25, 1.125, 2.
    const std::vector<double> grid = {-1.5, -0.625, 0.25, 1.125, 2.0};
    EXPECT_EQ(job_values(job, P::kGridX), grid);
    const auto x = torch::tensor(grid, kF64).unsqueeze(1);
    const auto fit = model->forward(x).squeeze(1);
    const auto teacher_row = job_values(job, P::kTeacher);
    for (std::size_t i = 0; i < grid.size(); ++i) {
      EXPECT_NEAR(row(P::kFit)[i], fit[static_cast<std::int64_t>(i)].item<double>(), 1e-15);
      EXPECT_NEAR(teacher_row[i], training::teacher_values(job.data, x)[static_cast<std::int64_t>(i)].item<double>(),
                  1e-15);
    }
  }
}

TEST(NoiseSplitProbe, DeclaresItsDatasets) {
  const auto job = job_of(job_text("", "[probes.noise_split]\ngrid_points = 7\n"));
  const auto layout = L::store_layout(job);
  const auto* fit = find_spec(layout, P::kFit);
  ASSERT_NE(fit, nullptr);
  EXPECT_EQ(fit->shape_text(), "[N, 7]");
  EXPECT_EQ(find_spec(layout, P::kGridX)->shape_text(), "[7]");
  EXPECT_EQ(find_spec(layout, P::kTotal)->shape_text(), "[N, K]");
  EXPECT_EQ(find_spec(layout, P::kFinalIntrinsicShare)->csv_column, "noise_intrinsic_share");
}

TEST(NoiseSplitProbe, RefusesJobsWithoutATeacherAndBadOptions) {
  const std::string gaussian =
      "[grid]\nlr = [0.2]\nbatch = [4]\nwidth = [3]\n[data]\nkind = \"gaussian\"\ntrain_size = 12\ndim = 2\n"
      "[train]\nloss = \"mse\"\nsteps = 5\n[probes.noise_split]\n";
  expect_config_error("gaussian", config_error([&] { job_of(gaussian); }),
                      "probes.noise_split: needs data.kind = \"tanh_teacher\"");
  const std::string table = "[probes.noise_split]\ngrid_points = 1\n";
  expect_config_error(table, config_error([&] { job_of(job_text("", table)); }),
                      "probes.noise_split.grid_points = 1: allowed: an integer from 2 to 100000");
  const std::string unknown = "[probes.noise_split]\nsamples = 3\n";
  expect_config_error(unknown, config_error([&] { job_of(job_text("", unknown)); }),
                      "unknown key 'probes.noise_split.samples'");
  // Any model on the teacher's data: an MLP too.
  const std::string mlp =
      "[grid]\nlr = [0.2]\nbatch = [4]\nwidth = [3]\n[data]\nkind = \"tanh_teacher\"\n"
      "train_size = 12\nteacher_alpha = [1]\nteacher_w = [2]\nteacher_b = [0]\n"
      "[train]\nloss = \"mse\"\nsteps = 5\n[probes.noise_split]\n";
  EXPECT_EQ(config_error([&] { job_of(mlp); }), "");
}

}  // namespace
}  // namespace lsweep::probes
