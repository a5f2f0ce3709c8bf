// The tanh regression model of seed 004 against hand formulas: its forward
// pass, centres and initialisation law; variable projection against the
// normal equations and the envelope theorem (finite differences of the
// reduced loss); the trainer keeping alpha projected; the tanh_teacher data.

#include "lsweep/training/model.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "lsweep/config/layout.hpp"
#include "lsweep/training/dataset.hpp"
#include "lsweep/training/trainer.hpp"

namespace lsweep::training {
namespace {

const auto kF64 = torch::TensorOptions().dtype(torch::kFloat64);

TanhRegression tanh_net(std::int64_t n, bool projected, double lo = -1.0, double hi = 1.0) {
  TanhRegression net(n, lo, hi, projected);
  net->to(torch::kFloat64);
  return net;
}

config::JobConfig tanh_job(bool projected) {
  config::JobConfig job;
  job.data.kind = config::DataKind::tanh_teacher;
  job.data.train_size = 24;
  job.data.test_size = 6;
  job.data.noise = 0.1;
  job.data.seed = 3;
  job.data.teacher_alpha = {1.0, -0.7};
  job.data.teacher_w = {5.0, 3.0};
  job.data.teacher_b = {-0.4, 0.3};
  job.model.kind = config::ModelKind::tanh;
  job.model.variable_projection = projected;
  job.train.loss = config::LossKind::mse;
  job.train.dtype = config::DType::float64;
  job.train.steps = 12;
  job.train.checkpoints = 3;
  return job;
}

// 1/2 mean (h - y)^2 with alpha solved for the given w: the reduced loss.
double reduced_loss(TanhRegression& net, const torch::Tensor& w, const torch::Tensor& x, const torch::Tensor& y) {
  torch::NoGradGuard no_grad;
  net->w.copy_(w);
  net->project(x, y);
  return 0.5 * (net->forward(x).squeeze(1) - y).square().mean().item<double>();
}

TEST(TanhModel, ComputesTheSumOfTanhUnits) {
  auto net = tanh_net(3, false, -1.5, 3.0);
  {
    torch::NoGradGuard no_grad;
    net->w.copy_(torch::tensor({2.0, -0.5, 1.25}, kF64));
    net->alpha.copy_(torch::tensor({0.3, 1.1, -0.8}, kF64));
  }
  const double b[3] = {-0.75, 0.75, 2.25}, w[3] = {2.0, -0.5, 1.25}, a[3] = {0.3, 1.1, -0.8};
  const std::vector<double> xs = {-1.5, 0.2, 2.9};
  const auto out = net->forward(torch::tensor(xs, kF64).unsqueeze(1));
  ASSERT_EQ(out.sizes(), (std::vector<std::int64_t>{3, 1}));
  for (std::size_t k = 0; k < xs.size(); ++k) {
    double h = 0.0;
    for (int i = 0; i < 3; ++i) h += a[i] * std::tanh(w[i] * (xs[k] - b[i]));
    EXPECT_NEAR(out[static_cast<std::int64_t>(k)][0].item<double>(), h, 1e-15);
  }
}

TEST(TanhModel, PutsItsCentresAtTheMidpointsOfEqualCells) {
  const auto net = tanh_net(4, false, 0.0, 2.0);
  EXPECT_TRUE(torch::equal(net->b, torch::tensor({0.25, 0.75, 1.25, 1.75}, kF64)));
}

TEST(TanhModel, DrawsWThenAlphaFromTheGlobalGenerator) {
  torch::manual_seed(42);
  const TanhRegression net(5, -1.0, 1.0, false);
  torch::manual_seed(42);
  const auto w = torch::empty({5}).uniform_(-1.0, 1.0);
  const auto alpha = torch::empty({5}).uniform_(-1.0 / std::sqrt(5.0), 1.0 / std::sqrt(5.0));
  EXPECT_TRUE(torch::equal(net->w, w));
  EXPECT_TRUE(torch::equal(net->alpha, alpha));
  EXPECT_LE(net->w.abs().max().item<double>(), 1.0);
  torch::manual_seed(42);
  const TanhRegression projected(5, -1.0, 1.0, true);
  EXPECT_TRUE(torch::equal(projected->w, w));  // the same w with or without projection
}

TEST(TanhModel, TrainsAlphaOnlyWithoutProjection) {
  config::JobConfig job = tanh_job(false);
  auto net = make_model(job, 1, 6);
  EXPECT_EQ(net->parameters().size(), 2u);
  EXPECT_EQ(parameter_count(job, 6), 12);
  ASSERT_NE(tanh_model(net), nullptr);
  job.model.variable_projection = true;
  auto projected = make_model(job, 1, 6);
  ASSERT_EQ(projected->parameters().size(), 1u);
  EXPECT_TRUE(projected->parameters()[0].is_same(tanh_model(projected)->w));
  EXPECT_EQ(parameter_count(job, 6), 6);
  auto mlp = make_mlp(1, 3, 1, 1, config::InitKind::pytorch);
  EXPECT_EQ(tanh_model(mlp), nullptr);
}

TEST(TanhModel, ClonesWithItsValues) {
  auto net = tanh_net(3, true);
  const auto copy = std::dynamic_pointer_cast<TanhRegressionImpl>(net->clone());
  ASSERT_NE(copy, nullptr);
  EXPECT_TRUE(torch::equal(copy->w, net->w));
  EXPECT_TRUE(torch::equal(copy->alpha, net->alpha));
  EXPECT_TRUE(torch::equal(copy->b, net->b));
  EXPECT_TRUE(copy->projected());
  EXPECT_FALSE(copy->w.is_same(net->w));
}

TEST(VariableProjection, SolvesTheLeastSquaresProblem) {
  auto net = tanh_net(4, true);
  {
    torch::NoGradGuard no_grad;
    net->w.copy_(torch::tensor({2.0, -1.0, 3.5, 0.7}, kF64));
  }
  torch::manual_seed(1);
  const auto x = torch::rand({30, 1}, kF64) * 2.0 - 1.0;
  const auto y = torch::sin(3.0 * x.squeeze(1)) + 0.1 * torch::randn({30}, kF64);
  net->project(x, y);
  // Against a QR solve: Phi = Q R, alpha = R^-1 Q^T y.
  const auto phi = tanh_features(x, net->w, net->b).detach();
  const auto [q, r] = torch::linalg_qr(phi);
  const auto expected = torch::linalg_solve_triangular(r, q.t().mm(y.unsqueeze(1)), true).squeeze(1);
  EXPECT_LT((net->alpha - expected).abs().max().item<double>(), 1e-12 * expected.abs().max().item<double>());
  // First-order condition: the residual is orthogonal to every feature.
  EXPECT_LT(phi.t().mv(y - net->forward(x).squeeze(1)).abs().max().item<double>(), 1e-12);
}

TEST(VariableProjection, GivesTheReducedLossItsGradient) {
  // Envelope theorem: d/dw min_alpha L(alpha, w) = dL/dw at alpha*(w).
  auto net = tanh_net(3, true);
  torch::manual_seed(2);
  const auto x = torch::rand({40, 1}, kF64) * 2.0 - 1.0;
  const auto y = torch::tanh(4.0 * x.squeeze(1)) + 0.05 * torch::randn({40}, kF64);
  const auto w0 = torch::tensor({1.5, -0.7, 2.2}, kF64);
  reduced_loss(net, w0, x, y);
  const auto loss = 0.5 * (net->forward(x).squeeze(1) - y).square().mean();
  const auto grad = torch::autograd::grad({loss}, {net->w})[0];
  const double h = 1e-6;
  for (std::int64_t i = 0; i < 3; ++i) {
    const auto e = torch::zeros({3}, kF64).index_put_({i}, h);
    const double fd = (reduced_loss(net, w0 + e, x, y) - reduced_loss(net, w0 - e, x, y)) / (2 * h);
    EXPECT_NEAR(grad[i].item<double>(), fd, 1e-8 * std::max(1.0, std::abs(fd))) << "w_" << i;
  }
}

TEST(VariableProjection, LeavesAlphaAloneWhileWIsNotFinite) {
  auto net = tanh_net(2, true);
  const auto before = net->alpha.clone();
  {
    torch::NoGradGuard no_grad;
    net->w[0] = std::nan("");
  }
  net->project(torch::zeros({4, 1}, kF64), torch::ones({4}, kF64));
  EXPECT_TRUE(torch::equal(net->alpha, before));
}

TEST(VariableProjection, KeepsTheTrainersAlphaAtItsLeastSquaresValue) {
  const config::JobConfig job = tanh_job(true);
  const Dataset data = load_dataset(job.data, torch::kFloat64);
  config::GridPoint point{0, 0.5, 8, 3, 1};
  Trainer trainer(job, point, data, torch::kCPU);
  auto* tanh = tanh_model(trainer.model());
  ASSERT_NE(tanh, nullptr);
  const auto alpha_star = [&] {
    const auto phi = tanh_features(data.x_train, tanh->w.detach(), tanh->b);
    return torch::linalg_solve(phi.t().mm(phi), phi.t().mv(data.y_train));
  };
  EXPECT_LT((tanh->alpha - alpha_star()).abs().max().item<double>(), 1e-10);
  const auto w0 = tanh->w.detach().clone();
  for (int s = 0; s < 5; ++s) trainer.step();
  EXPECT_FALSE(torch::equal(tanh->w, w0));
  EXPECT_LT((tanh->alpha - alpha_star()).abs().max().item<double>(), 1e-10);
  const PointRecord rec = trainer.run();
  EXPECT_EQ(rec.summary.status, PointStatus::done);
  EXPECT_TRUE(std::isfinite(rec.summary.scalar(config::layout::kFinalTrainLoss)));
}

TEST(TanhTeacherData, DrawsUniformInputsAndGaussianNoise) {
  config::JobConfig job = tanh_job(false);
  job.data.train_size = 20000;
  job.data.x_min = -2.0;
  job.data.x_max = 3.0;
  job.data.noise = 0.25;
  const Dataset d = tanh_teacher_dataset(job.data);
  EXPECT_TRUE(d.binary);
  ASSERT_EQ(d.x_train.sizes(), (std::vector<std::int64_t>{20000, 1}));
  EXPECT_GT(d.x_train.min().item<double>(), -2.0);
  EXPECT_LT(d.x_train.max().item<double>(), 3.0);
  EXPECT_NEAR(d.x_train.mean().item<double>(), 0.5, 5 * 5.0 / std::sqrt(12.0 * 20000));
  const auto z = (d.y_train - teacher_values(job.data, d.x_train)) / 0.25;
  EXPECT_NEAR(z.mean().item<double>(), 0.0, 5 / std::sqrt(20000.0));
  EXPECT_NEAR(z.var().item<double>(), 1.0, 5 * std::sqrt(2.0 / 20000));
  // The training set does not depend on the test set, and repeats bit for bit.
  job.data.test_size = 0;
  const Dataset again = tanh_teacher_dataset(job.data);
  EXPECT_TRUE(torch::equal(again.x_train, d.x_train));
  EXPECT_TRUE(torch::equal(again.y_train, d.y_train));
  EXPECT_EQ(again.x_test.size(0), 0);
}

TEST(TanhTeacherData, TeacherIsTheSumOfItsUnits) {
  const config::JobConfig job = tanh_job(false);
  const auto t = teacher_values(job.data, torch::tensor({0.1, -1.0}, kF64));
  EXPECT_NEAR(t[0].item<double>(), std::tanh(5.0 * 0.5) - 0.7 * std::tanh(3.0 * -0.2), 1e-15);
  EXPECT_NEAR(t[1].item<double>(), std::tanh(5.0 * -0.6) - 0.7 * std::tanh(3.0 * -1.3), 1e-15);
  config::DataConfig quiet = job.data;
  quiet.noise = 0.0;
  const Dataset d = tanh_teacher_dataset(quiet);
  EXPECT_TRUE(torch::equal(d.y_train, teacher_values(quiet, d.x_train)));
}

}  // namespace
}  // namespace lsweep::training
