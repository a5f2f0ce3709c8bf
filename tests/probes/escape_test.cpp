// The escape probe against a replay written here with one network at a time
// (a torch::nn::Sequential, not the probe's batched replicas) on a tiny
// float64 problem (16 parameters): the descent is full-batch GD from the
// point's initial network, the eigenvalues are the dense Hessian's, the noise
// trace is the per-sample gradients' formula, and every replica's
// first-passage time is what plain SGD (its own minibatch order) and GD plus
// white noise (its stream of normals) give when replayed step by step.

#include "lsweep/probes/escape.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstring>

#include "config_error.hpp"
#include "lsweep/config/grid.hpp"
#include "lsweep/config/layout.hpp"
#include "lsweep/curvature/hessian.hpp"
#include "lsweep/curvature/noise.hpp"
#include "lsweep/curvature/operator.hpp"
#include "lsweep/escape/first_passage.hpp"
#include "lsweep/training/loss.hpp"
#include "lsweep/training/model.hpp"

namespace lsweep::probes {
namespace {

namespace L = config::layout;
using P = EscapeProbe;

constexpr std::int64_t kReplicas = 3, kBudget = 120, kEvery = 7, kDescent = 300;
constexpr double kLr = 0.2, kDescentLr = 0.3;

std::string job_text(const std::string& probe_table, const std::string& train_extra = "") {
  return "[grid]\nlr = [0.2]\nbatch = [4]\nwidth = [3]\nseed = [2]\n"
         "[data]\nkind = \"gaussian\"\ntrain_size = 16\ndim = 3\n[model]\ndepth = 1\n"
         "[train]\nloss = \"mse\"\nsteps = 1\ncheckpoints = 1\ndtype = \"float64\"\n" +
         train_extra + probe_table;
}

const std::string kTable =
    "[probes.escape]\nbarrier = 0.04\ndescent_lr = 0.3\ndescent_steps = 300\ngradient_tolerance = 0\n"
    "replicas = 3\nbudget = 120\ncheck_every = 7\ntop_k = 2\nlanczos_steps = 16\n";

config::JobConfig job_of(const std::string& text) { return config::parse_job(text, "escape.toml", builtin()); }

std::string job_error(const std::string& table, const std::string& train_extra = "") {
  return config_error([&] { job_of(job_text(table, train_extra)); });
}

struct Problem {
  config::JobConfig job = job_of(job_text(kTable));
  training::Dataset data = training::load_dataset(job.data, torch::kFloat64);
  config::GridPoint point = config::expand_grid(job)[0];
};

torch::Tensor full_loss(torch::nn::Sequential& net, const Problem& p) {
  return training::compute_loss(p.job.train.loss, net->forward(p.data.x_train), p.data.y_train, true);
}

// The point's network as the trainer builds it (seed 2), in float64.
torch::nn::Sequential initial_network() {
  torch::manual_seed(2);
  auto net = training::make_mlp(3, 3, 1, 1, config::InitKind::pytorch);
  net->to(torch::kFloat64);
  return net;
}

torch::nn::Sequential copy_of(const torch::nn::Sequential& net) {
  return std::dynamic_pointer_cast<torch::nn::SequentialImpl>(net->clone());
}

// theta <- theta - lr (grad + noise[at...]) for one network.
void step(torch::nn::Sequential& net, const torch::Tensor& loss, double lr, const torch::Tensor& noise = {}) {
  const auto params = net->parameters();
  const auto grads = torch::autograd::grad({loss}, params);
  torch::NoGradGuard no_grad;
  std::int64_t at = 0;
  for (std::size_t i = 0; i < params.size(); ++i) {
    auto d = grads[i];
    if (noise.defined()) d = d + noise.slice(0, at, at + d.numel()).view_as(d);
    at += d.numel();
    params[i].sub_(d, lr);
  }
}

// A replica's first passage, checked every kEvery steps and at the budget.
template <class Step>
escape::Passage replay(torch::nn::Sequential net, const Problem& p, double level, Step one_step) {
  for (std::int64_t t = 1; t <= kBudget; ++t) {
    one_step(net);
    if (t % kEvery != 0 && t != kBudget) continue;
    torch::NoGradGuard no_grad;
    if (!(full_loss(net, p).item<double>() <= level)) return {static_cast<double>(t), true};
  }
  return {static_cast<double>(kBudget), false};
}

std::uint64_t stream(std::int64_t r, std::uint64_t purpose) { return curvature::measurement_seed(0, 0, r, purpose); }

double relative(double got, double want) { return std::abs(got - want) / std::abs(want); }

TEST(EscapeProbe, EqualsGradientDescentSgdAndWhiteNoiseReplayedOneNetworkAtATime) {
  const Problem p;
  training::Trainer trainer(p.job, p.point, p.data, torch::kCPU);
  const PointRecord rec = run_with_probes(trainer, p.job, p.point, L::store_layout(p.job));
  const auto& rows = rec.rows;
  const auto one = [&](const std::string& path) { return rows.find(path)->at(0); };

  // 1. The minimum: kDescent GD steps (the tolerance 0 is never met).
  auto minimum = initial_network();
  for (std::int64_t t = 0; t < kDescent; ++t) step(minimum, full_loss(minimum, p), kDescentLr);
  const double loss_star = full_loss(minimum, p).item<double>();
  EXPECT_EQ(one(P::kDescentSteps), kDescent);
  EXPECT_LT(relative(one(P::kMinimumLoss), loss_star), 1e-12);
  const auto params = minimum->parameters();
  const auto loss = full_loss(minimum, p);
  const auto grads = torch::autograd::grad({loss}, params, {}, true, true);
  const auto g = curvature::flatten(grads);
  EXPECT_LT(relative(one(P::kMinimumGradNorm), g.norm().item<double>()), 1e-9);

  // 2. The dense Hessian there, and the gradient noise of batch 4 of 16.
  std::vector<torch::Tensor> hessian_rows;
  std::vector<torch::Tensor> flat_grads;
  for (const auto& x : grads) flat_grads.push_back(x.flatten());
  const auto g_graph = torch::cat(flat_grads);
  for (std::int64_t i = 0; i < g_graph.numel(); ++i) {
    hessian_rows.push_back(curvature::flatten(torch::autograd::grad({g_graph[i]}, params, {}, true, true)));
  }
  const auto exact = torch::linalg_eigvalsh(torch::stack(hessian_rows), "L");  // ascending, 16 values
  ASSERT_EQ(exact.size(0), 16);
  EXPECT_LT(relative(one(P::kLambdaMax), exact[15].item<double>()), 1e-8);
  EXPECT_LT(relative(rows.find(P::kTopEigenvalues)->at(1), exact[14].item<double>()), 1e-8);
  EXPECT_NEAR(one(P::kLambdaMin), exact[0].item<double>(), 1e-8 * exact[15].item<double>());
  std::vector<torch::Tensor> samples;
  for (std::int64_t i = 0; i < 16; ++i) {
    const auto li = training::compute_loss(p.job.train.loss, minimum->forward(p.data.x_train.narrow(0, i, 1)),
                                           p.data.y_train.narrow(0, i, 1), true);
    samples.push_back(curvature::flatten(torch::autograd::grad({li}, params)));
  }
  const auto c = torch::stack(samples) - torch::stack(samples).mean(0, true);
  const double trace = c.square().sum().item<double>() / 15.0 * (16.0 - 4.0) / (16.0 * 4.0);
  EXPECT_LT(relative(one(P::kNoiseTrace), trace), 1e-9);
  const double white_std = std::sqrt(trace / 16.0);
  EXPECT_LT(relative(one(P::kWhiteNoiseStd), white_std), 1e-9);

  // 3. Every replica, replayed: SGD from its own minibatch order, white noise
  //    from the shared stream of normals (replica r takes the r-th D of each draw).
  const double level = loss_star + 0.04;
  std::vector<escape::Passage> sgd, white;
  for (std::int64_t r = 0; r < kReplicas; ++r) {
    training::BatchSampler sampler(16, 4, stream(r, 2));
    sgd.push_back(replay(copy_of(minimum), p, level, [&](torch::nn::Sequential& net) {
      const auto idx = sampler.next();
      const auto out = net->forward(p.data.x_train.index_select(0, idx));
      step(net, training::compute_loss(p.job.train.loss, out, p.data.y_train.index_select(0, idx), true), kLr);
    }));
    curvature::VectorRng rng(stream(0, 3));
    white.push_back(replay(copy_of(minimum), p, level, [&](torch::nn::Sequential& net) {
      const auto noise = rng.gaussian(kReplicas * 16, torch::dtype(torch::kFloat64)).slice(0, r * 16, (r + 1) * 16);
      step(net, full_loss(net, p), kLr, noise * white_std);
    }));
  }
  std::int64_t escapes = 0, censored = 0;
  for (const auto& [name, passages] : {std::pair{"sgd", sgd}, std::pair{"white", white}}) {
    const auto& times = *rows.find(P::path(name, "time"));
    const auto& flags = *rows.find(P::path(name, "escaped"));
    for (std::int64_t r = 0; r < kReplicas; ++r) {
      SCOPED_TRACE(std::string(name) + " replica " + std::to_string(r));
      EXPECT_EQ(times[r], passages[r].time);
      EXPECT_EQ(flags[r], passages[r].escaped ? 1.0 : 0.0);
      (passages[r].escaped ? escapes : censored) += 1;
    }
    const auto e = escape::censored_mean(passages, 0.95);
    EXPECT_EQ(one(P::path(name, "tau")), e.tau) << name;
    EXPECT_EQ(one(P::path(name, "tau_lower")), e.lower) << name;
    EXPECT_EQ(one(P::path(name, "tau_upper")), e.upper) << name;
    EXPECT_EQ(one(P::path(name, "escapes")), e.escaped) << name;
  }
  // The problem is set so that both outcomes occur (else the replay tests less).
  EXPECT_GT(escapes, 0);
  EXPECT_GT(censored, 0);
  EXPECT_EQ(rec.summary.scalar(P::path("sgd", "tau")), one(P::path("sgd", "tau")));
}

TEST(EscapeProbe, IsDeterministicAndDoesNotChangeTheTraining) {
  const Problem p;
  const auto run = [&](const config::JobConfig& job) {
    training::Trainer trainer(job, p.point, p.data, torch::kCPU);
    return run_with_probes(trainer, job, p.point, L::store_layout(job));
  };
  const auto a = run(p.job), b = run(p.job);
  for (const auto& [path, row] : a.rows.all()) {
    if (path == P::kSeconds) continue;
    EXPECT_EQ(std::memcmp(row.data(), b.rows.find(path)->data(), row.size() * sizeof(double)), 0) << path;
  }
  const auto plain = job_of(job_text(""));
  const auto without = run(plain);
  EXPECT_EQ(without.rows.find(L::kFinalTrainLoss)->at(0), a.rows.find(L::kFinalTrainLoss)->at(0));
}

TEST(EscapeProbe, RefusesWhatItCannotRun) {
  EXPECT_NE(job_error("[probes.escape]\ndescent_lr = 0.1\n").find("probes.escape.barrier"), std::string::npos);
  EXPECT_NE(job_error("[probes.escape]\nbarrier = 0.1\n").find("probes.escape.descent_lr"), std::string::npos);
  const std::string ok = "[probes.escape]\nbarrier = 0.1\ndescent_lr = 0.1\n";
  EXPECT_NO_THROW(job_of(job_text(ok)));
  const auto momentum = job_error(ok, "momentum = 0.9\n");
  EXPECT_NE(momentum.find("train.momentum = 0.9"), std::string::npos) << momentum;
  EXPECT_NE(momentum.find("allowed with it: 0 or absent"), std::string::npos) << momentum;
  EXPECT_NE(job_error(ok, "weight_decay = 0.01\n").find("train.weight_decay = 0.01"), std::string::npos);
  EXPECT_NE(job_error("[probes.escape]\nbarrier = 0\ndescent_lr = 0.1\n").find("probes.escape.barrier = 0"),
            std::string::npos);
  const auto budget = job_error(ok + "budget = 5\ncheck_every = 10\n");
  EXPECT_NE(budget.find("probes.escape.check_every = 10"), std::string::npos) << budget;
  EXPECT_NE(job_error(ok + "replicas = 0\n").find("probes.escape.replicas = 0"), std::string::npos);
  EXPECT_NE(job_error(ok + "lanczos_steps = 1\ntop_k = 3\n").find("probes.escape.lanczos_steps = 1"),
            std::string::npos);
  EXPECT_NE(job_error(ok + "confidence = 1\n").find("probes.escape.confidence = 1"), std::string::npos);
}

TEST(EscapeProbe, DeclaresOneRowPerReplicaAndScalarsForTheReport) {
  const auto job = job_of(job_text(kTable));
  const Layout layout = L::store_layout(job);
  const auto* times = find_spec(layout, P::path("white", "time"));
  ASSERT_NE(times, nullptr);
  EXPECT_EQ(times->dims.back().size, kReplicas);
  const auto* tau = find_spec(layout, P::path("sgd", "tau"));
  ASSERT_NE(tau, nullptr);
  EXPECT_EQ(tau->csv_column, "escape_sgd_tau");
  EXPECT_EQ(find_spec(layout, P::kTopEigenvalues)->dims.back().size, 2);
}

}  // namespace
}  // namespace lsweep::probes
