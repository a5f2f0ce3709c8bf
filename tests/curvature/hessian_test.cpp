// Curvature of a small float64 network (255 parameters) against the dense
// Hessian built here, row by row, by differentiating each gradient entry,
// and the gradient-noise estimators against dense covariance matrices from
// per-sample gradients taken with .backward().

#include "lsweep/curvature/hessian.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "lsweep/curvature/lanczos.hpp"
#include "lsweep/curvature/noise.hpp"
#include "lsweep/curvature/trace.hpp"
#include "lsweep/training/loss.hpp"
#include "lsweep/training/model.hpp"

namespace lsweep::curvature {
namespace {

constexpr std::int64_t kSamples = 40;

struct Problem {
  torch::nn::Sequential model;
  torch::Tensor x, y;
  LossFn loss = [](const torch::Tensor& out, const torch::Tensor& labels) {
    return training::compute_loss(config::LossKind::cross_entropy, out, labels, false);
  };
};

Problem small_problem() {
  torch::manual_seed(3);
  Problem p;
  p.model = training::make_mlp(4, 12, 2, 3, config::InitKind::pytorch);
  p.model->to(torch::kFloat64);
  p.x = torch::randn({kSamples, 4}, torch::kFloat64);
  p.y = torch::randint(0, 3, {kSamples}, torch::kInt64);
  return p;
}

// The dense Hessian of the mean loss over all samples at once.
torch::Tensor dense_hessian(Problem& p) {
  const auto params = p.model->parameters();
  const auto loss = p.loss(p.model->forward(p.x), p.y);
  const auto grads = torch::autograd::grad({loss}, params, {}, true, true);
  std::vector<torch::Tensor> flat_grads;
  for (const auto& g : grads) flat_grads.push_back(g.flatten());
  const auto g = torch::cat(flat_grads);
  std::vector<torch::Tensor> rows;
  for (std::int64_t i = 0; i < g.numel(); ++i) rows.push_back(flatten(torch::autograd::grad({g[i]}, params, {}, true)));
  return torch::stack(rows);
}

double relative(double got, double want) { return std::abs(got - want) / std::abs(want); }

TEST(HessianOperator, ProductsEqualTheDenseHessianWhateverTheChunk) {
  Problem p = small_problem();
  const auto h = dense_hessian(p);
  ASSERT_EQ(h.size(0), 255);
  EXPECT_LT((h - h.t()).abs().max().item<double>(), 1e-12);
  VectorRng rng(1);
  const auto v = rng.gaussian(255, torch::kFloat64);
  for (std::int64_t chunk : {1, 7, 40, 1000}) {
    HessianOperator op(p.model, p.x, p.y, p.loss, chunk);
    EXPECT_LT((op(v) - h.mv(v)).abs().max().item<double>(), 1e-12) << "chunk " << chunk;
  }
}

TEST(HessianOperator, LeavesTheModelAndItsGradientsAlone) {
  Problem p = small_problem();
  const auto before = flatten(p.model->parameters());
  HessianOperator op(p.model, p.x, p.y, p.loss, 16);
  op(torch::ones({255}, torch::kFloat64));
  EXPECT_TRUE(torch::equal(flatten(p.model->parameters()), before));
  for (const auto& param : p.model->parameters()) EXPECT_FALSE(param.grad().defined());
}

TEST(HessianOperator, LanczosMatchesTheDenseSpectrum) {
  Problem p = small_problem();
  const auto exact = torch::linalg_eigvalsh(dense_hessian(p), "L");  // ascending
  HessianOperator op(p.model, p.x, p.y, p.loss, 16);
  const Spectrum s = extreme_eigenvalues(op, 5, 120, 11);
  for (std::int64_t i = 0; i < 5; ++i) {
    const double want = exact[254 - i].item<double>();
    EXPECT_LT(relative(s.top[static_cast<std::size_t>(i)], want), 1e-6) << "eigenvalue " << i;
  }
  ASSERT_LT(exact[0].item<double>(), 0.0);  // a saddle direction at initialisation
  EXPECT_LT(relative(s.bottom, exact[0].item<double>()), 1e-6);
}

TEST(HessianOperator, TraceIsWithinThreeReportedErrors) {
  Problem p = small_problem();
  const double exact = dense_hessian(p).trace().item<double>();
  HessianOperator op(p.model, p.x, p.y, p.loss, 16);
  const TraceEstimate t = hutch_plus_plus(op, 30, 5);
  EXPECT_LE(std::abs(t.trace - exact), 3.0 * t.error) << t.trace << " vs " << exact << " +- " << t.error;
  Tridiagonal run;
  extreme_eigenvalues(op, 5, 20, 6, &run);
  const TraceEstimate d = lanczos_deflated_trace(op, run, 30, 5);
  EXPECT_LE(std::abs(d.trace - exact), 3.0 * d.error) << d.trace << " vs " << exact << " +- " << d.error;
}

TEST(HessianOperator, GradientIsTheMeanLossGradient) {
  Problem p = small_problem();
  const auto loss = p.loss(p.model->forward(p.x), p.y);
  loss.backward();
  std::vector<torch::Tensor> grads;
  for (const auto& param : p.model->parameters()) grads.push_back(param.grad());
  HessianOperator op(p.model, p.x, p.y, p.loss, 7);
  EXPECT_LT((op.gradient() - flatten(grads)).abs().max().item<double>(), 1e-14);
}

TEST(GradientNoise, EveryEstimatorEqualsItsDenseValue) {
  Problem p = small_problem();
  const auto h = dense_hessian(p);
  // Per-sample gradients by .backward(), one sample at a time.
  std::vector<torch::Tensor> rows;
  for (std::int64_t i = 0; i < kSamples; ++i) {
    for (auto& param : p.model->parameters()) param.mutable_grad() = torch::Tensor();
    p.loss(p.model->forward(p.x.narrow(0, i, 1)), p.y.narrow(0, i, 1)).backward();
    std::vector<torch::Tensor> g;
    for (const auto& param : p.model->parameters()) g.push_back(param.grad());
    rows.push_back(flatten(g));
  }
  const auto g = torch::stack(rows);
  EXPECT_LT((per_sample_gradients(p.model, p.x, p.y, p.loss, kSamples) - g).abs().max().item<double>(), 1e-14);
  // Dense, by the textbook: the covariance of the mean of 8 samples drawn without replacement from
  // 40 is the population covariance (1/P) / B * (P - B) / (P - 1).
  const auto c = g - g.mean(0, true);
  const auto covariance = c.t().mm(c) / 40.0 / 8.0 * (40.0 - 8.0) / (40.0 - 1.0);
  const auto [values, vectors] = torch::linalg_eigh(h, "L");
  const auto top = vectors.narrow(1, 255 - 3, 3).t();  // exact top-3 eigenvectors
  HessianOperator op(p.model, p.x, p.y, p.loss, 16);
  const double h_frobenius = h.norm().item<double>();
  const GradientNoise n = gradient_noise(g, 8, 40, op, h_frobenius, top);
  EXPECT_LT(relative(n.trace, covariance.trace().item<double>()), 1e-12);
  EXPECT_LT(relative(n.frobenius, covariance.norm().item<double>()), 1e-12);
  const double trace_ch = covariance.mm(h).trace().item<double>();
  EXPECT_LT(relative(n.trace_ch, trace_ch), 1e-10);
  EXPECT_LT(relative(n.alignment, trace_ch / (covariance.norm().item<double>() * h_frobenius)), 1e-10);
  const double share = top.mm(covariance).mm(top.t()).trace().item<double>() / covariance.trace().item<double>();
  EXPECT_LT(relative(n.top_share, share), 1e-10);
  EXPECT_EQ(n.products, kSamples);
}

TEST(GradientNoise, IsZeroForFullBatchDescent) {
  Problem p = small_problem();
  HessianOperator op(p.model, p.x, p.y, p.loss, 16);
  const auto g = per_sample_gradients(p.model, p.x, p.y, p.loss, 10);
  const GradientNoise n = gradient_noise(g, 40, 40, op, 1.0, torch::Tensor());
  EXPECT_EQ(n.trace, 0.0);
  EXPECT_TRUE(std::isnan(n.alignment));
}

}  // namespace
}  // namespace lsweep::curvature
