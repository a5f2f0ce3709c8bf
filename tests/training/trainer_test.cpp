#include "lsweep/training/trainer.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <set>
#include <stdexcept>

#include "lsweep/common/error.hpp"
#include "lsweep/config/layout.hpp"
#include "lsweep/training/loss.hpp"
#include "lsweep/training/model.hpp"
#include "training_fixtures.hpp"

namespace lsweep::training {
namespace {

TEST(BatchSampler, CoversAPermutationPerEpochAndDropsThePartialBatch) {
  BatchSampler sampler(10, 4, 7);
  std::set<std::int64_t> epoch;
  for (int b = 0; b < 2; ++b) {
    const auto idx = sampler.next();
    ASSERT_EQ(idx.size(0), 4);
    for (int i = 0; i < 4; ++i) epoch.insert(idx[i].item<std::int64_t>());
  }
  EXPECT_EQ(epoch.size(), 8u);  // 8 distinct of 10; the last 2 are dropped
  std::set<std::int64_t> next_epoch;
  for (int b = 0; b < 2; ++b) {
    const auto idx = sampler.next();
    for (int i = 0; i < 4; ++i) next_epoch.insert(idx[i].item<std::int64_t>());
  }
  EXPECT_EQ(next_epoch.size(), 8u);
}

TEST(BatchSampler, IsDeterministicPerSeed) {
  BatchSampler a(100, 10, 3), b(100, 10, 3), c(100, 10, 4);
  const auto x = a.next(), y = b.next(), z = c.next();
  EXPECT_TRUE(torch::equal(x, y));
  EXPECT_FALSE(torch::equal(x, z));
}

// Importance sampling: uniform weights (a temperature so large that every
// exp(-l_i / U) rounds to 1) leave today's minibatch sequence exactly as it
// is; other weights give each index the frequency w_i / sum(w).
TEST(BatchSampler, UniformWeightsGiveTodaysSequenceExactly) {
  const std::vector<double> losses{0.3, 2.0, 0.0, 7.5, 1.25, 0.5, 4.0, 3.0, 0.1, 6.0};
  const auto uniform = importance_weights(losses, 1e300);
  EXPECT_EQ(uniform, std::vector<double>(10, 1.0));
  EXPECT_EQ(importance_weights(losses, std::numeric_limits<double>::infinity()), uniform);
  BatchSampler today(10, 3, 11), weighted(10, 3, 11);
  weighted.set_weights(uniform);
  EXPECT_EQ(weighted.effective_sample_size(), 10.0);
  for (int b = 0; b < 40; ++b) {            // 12 epochs of 3 batches
    if (b == 17) weighted.set_weights({});  // and none again, mid-epoch
    EXPECT_TRUE(torch::equal(today.next(), weighted.next())) << "batch " << b;
  }
}

TEST(BatchSampler, DrawsEachIndexWithItsWeightsShare) {
  const std::vector<double> losses{0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 8.0};
  const double temperature = 1.5;
  const auto w = importance_weights(losses, temperature);
  double total = 0.0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    EXPECT_DOUBLE_EQ(w[i], std::exp(-losses[i] / temperature));  // min loss 0: no shift
    total += w[i];
  }
  BatchSampler sampler(8, 16, 5);
  sampler.set_weights(w);
  std::vector<double> counts(8, 0.0);
  const int batches = 20000;
  for (int b = 0; b < batches; ++b) {
    const auto idx = sampler.next();
    for (int k = 0; k < 16; ++k) counts[static_cast<std::size_t>(idx[k].item<std::int64_t>())] += 1.0;
  }
  const double draws = 16.0 * batches;
  double chi2 = 0.0;
  for (std::size_t i = 0; i < 8; ++i) {
    const double p = w[i] / total, sd = std::sqrt(p * (1.0 - p) / draws);
    EXPECT_NEAR(counts[i] / draws, p, 5.0 * sd) << "index " << i;
    chi2 += std::pow(counts[i] - draws * p, 2) / (draws * p);
  }
  EXPECT_LT(chi2, 24.3);  // chi-squared, 7 degrees of freedom: p = 0.001
  // Kish's effective sample size, against the formula.
  double sq = 0.0;
  for (const double x : w) sq += x * x;
  EXPECT_DOUBLE_EQ(sampler.effective_sample_size(), total * total / sq);
  sampler.set_weights({0.0, 0.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0});
  EXPECT_DOUBLE_EQ(sampler.effective_sample_size(), 1.0);
  for (int b = 0; b < 10; ++b) EXPECT_TRUE(torch::equal(sampler.next(), torch::full({16}, 2, torch::kInt64)));
}

TEST(BatchSampler, RefusesWeightsThatAreNotADistribution) {
  BatchSampler sampler(4, 2, 1);
  EXPECT_THROW(sampler.set_weights({1.0, 2.0}), std::invalid_argument);
  EXPECT_THROW(sampler.set_weights({1.0, -1.0, 1.0, 1.0}), std::invalid_argument);
  EXPECT_THROW(sampler.set_weights({1.0, std::nan(""), 1.0, 1.0}), std::invalid_argument);
  EXPECT_THROW(sampler.set_weights({0.0, 0.0, 0.0, 0.0}), std::invalid_argument);
  EXPECT_THROW(importance_weights({1.0, 2.0}, 0.0), std::invalid_argument);
  EXPECT_THROW(importance_weights({1.0, std::nan("")}, 1.0), std::invalid_argument);
}

// Importance sampling, end to end: U -> infinity is today's training, bit for
// bit; a finite U trains differently and stores, at every checkpoint, the
// Kish size of exp(-(l_i - min l) / U) at the checkpoint's parameters.
class EssObserver : public PointObserver {
 public:
  explicit EssObserver(double temperature) : temperature_(temperature) {}
  void checkpoint(const PointState& s, std::size_t k, Rows& rows) override {
    torch::NoGradGuard no_grad;
    std::vector<double> losses;
    for (std::int64_t i = 0; i < s.x_train.size(0); ++i) {
      losses.push_back(
          s.loss(s.model->forward(s.x_train.slice(0, i, i + 1)), s.y_train.slice(0, i, i + 1)).item<double>());
    }
    double sum = 0.0, sum_sq = 0.0, lowest = *std::min_element(losses.begin(), losses.end());
    for (double l : losses) {
      const double w = std::exp(-(l - lowest) / temperature_);
      sum += w;
      sum_sq += w * w;
    }
    expected.push_back(sum * sum / sum_sq);
    stored.push_back(rows[L::kSeriesSamplingEss][k]);
  }
  std::vector<double> expected, stored;

 private:
  double temperature_;
};

TEST(Trainer, ImportanceSamplingAtAHugeTemperatureIsTodaysTraining) {
  auto job = gaussian_job(config::LossKind::cross_entropy, config::DType::float32, 60);
  const Dataset data = data_for(job);
  const config::GridPoint p{0, 0.1, 8, 16, 3};
  const PointRecord today = Trainer(job, p, data, torch::kCPU).run();
  job.train.importance_temperature = 1e300;
  const PointRecord sampled = Trainer(job, p, data, torch::kCPU).run();
  for (const char* path : {L::kSeriesTrainLoss, L::kSeriesTrainAccuracy, L::kFinalTrainLoss, L::kFinalTestLoss}) {
    EXPECT_EQ(row(today, path), row(sampled, path)) << path;
  }
  EXPECT_EQ(row(sampled, L::kSeriesSamplingEss), std::vector<double>(row(today, L::kSeriesTrainLoss).size(), 40.0));
  EXPECT_EQ(today.rows.find(L::kSeriesSamplingEss), nullptr);
}

TEST(Trainer, ImportanceSamplingStoresTheKishSizeOfTheWeightsAtEveryCheckpoint) {
  auto job = gaussian_job(config::LossKind::mse, config::DType::float64, 100);
  const Dataset data = data_for(job);
  const config::GridPoint p{0, 0.1, 8, 16, 3};
  const double plain = final_train_loss(Trainer(job, p, data, torch::kCPU).run());
  job.train.importance_temperature = 0.05;
  EssObserver every(0.05);
  RunOptions options;
  options.observers = {&every};
  const PointRecord r = Trainer(job, p, data, torch::kCPU).run(options);
  EXPECT_NE(final_train_loss(r), plain);
  ASSERT_EQ(every.stored.size(), 6u);  // steps 0 1 3 10 32 100
  for (std::size_t k = 0; k < every.stored.size(); ++k) {
    EXPECT_NEAR(every.stored[k], every.expected[k], 1e-9 * every.expected[k]) << "checkpoint " << k;
    EXPECT_GT(every.stored[k], 1.0);
    EXPECT_LT(every.stored[k], 40.0);
  }
  // Refreshed only before the first step: every checkpoint keeps step 0's weights.
  job.train.importance_refresh = 1000;
  EssObserver once(0.05);
  options.observers = {&once};
  const PointRecord r_once = Trainer(job, p, data, torch::kCPU).run(options);
  EXPECT_NE(final_train_loss(r_once), final_train_loss(r));
  EXPECT_NEAR(once.stored[0], every.stored[0], 1e-12 * every.stored[0]);
  for (double ess : once.stored) EXPECT_EQ(ess, once.stored[0]);
  EXPECT_NE(once.expected.back(), once.expected[0]);
  // A full-batch point trains on every sample: no weights, NaN.
  const PointRecord full = Trainer(job, {1, 0.1, 40, 16, 3}, data, torch::kCPU).run();
  for (double ess : row(full, L::kSeriesSamplingEss)) EXPECT_TRUE(std::isnan(ess));
}

TEST(Trainer, IsBitwiseReproducibleAndIndependentOfWhatRanBefore) {
  const auto job = gaussian_job(config::LossKind::quadratic_hinge, config::DType::float32, 60);
  const Dataset data = data_for(job);
  const config::GridPoint a{0, 0.1, 8, 16, 1}, b{1, 0.3, 40, 32, 2};
  const PointRecord first = Trainer(job, a, data, torch::kCPU).run();
  Trainer(job, b, data, torch::kCPU).run();
  const PointRecord again = Trainer(job, a, data, torch::kCPU).run();
  expect_same_record(first, again);
  EXPECT_EQ(first.summary.status, PointStatus::done);
  EXPECT_EQ(first.summary.steps, 60);
}

TEST(Trainer, DifferentSeedsGiveDifferentRuns) {
  const auto job = gaussian_job(config::LossKind::mse, config::DType::float32, 20);
  const Dataset data = data_for(job);
  const auto r0 = Trainer(job, {0, 0.1, 8, 16, 0}, data, torch::kCPU).run();
  const auto r1 = Trainer(job, {0, 0.1, 8, 16, 1}, data, torch::kCPU).run();
  EXPECT_NE(final_train_loss(r0), final_train_loss(r1));
}

// The network a Trainer builds for width 8 on the 6-dimensional gaussian job
// with `seed`, in float64: the reference the update tests follow by hand.
torch::nn::Sequential twin_network(std::int64_t seed) {
  torch::manual_seed(static_cast<std::uint64_t>(seed));
  auto twin = make_mlp(6, 8, 2, 1, config::InitKind::pytorch);
  twin->to(torch::kFloat64);
  return twin;
}

TEST(Trainer, OneFullBatchStepIsGradientDescent) {
  const auto job = gaussian_job(config::LossKind::mse, config::DType::float64, 1);
  const Dataset data = data_for(job);
  const double lr = 0.05;
  Trainer trainer(job, {0, lr, 40, 8, 3}, data, torch::kCPU);
  auto twin = twin_network(3);
  compute_loss(config::LossKind::mse, twin->forward(data.x_train), data.y_train, true).backward();
  trainer.step();
  const auto after = trainer.model()->parameters();
  const auto before = twin->parameters();
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    const auto expected = before[i].detach() - lr * before[i].grad();
    EXPECT_TRUE(torch::allclose(after[i].detach(), expected, 1e-13, 1e-14)) << "parameter " << i;
  }
}

TEST(Trainer, MomentumFollowsTheHeavyBallRecursion) {
  auto job = gaussian_job(config::LossKind::mse, config::DType::float64, 2);
  job.train.momentum = 0.9;
  const Dataset data = data_for(job);
  const double lr = 0.05;
  Trainer trainer(job, {0, lr, 40, 8, 3}, data, torch::kCPU);
  auto twin = twin_network(3);
  std::vector<torch::Tensor> velocity;
  for (int s = 0; s < 2; ++s) {
    twin->zero_grad();
    compute_loss(config::LossKind::mse, twin->forward(data.x_train), data.y_train, true).backward();
    {
      torch::NoGradGuard no_grad;
      auto params = twin->parameters();
      for (std::size_t i = 0; i < params.size(); ++i) {
        if (s == 0) {
          velocity.push_back(params[i].grad().clone());
        } else {
          velocity[i] = 0.9 * velocity[i] + params[i].grad();
        }
        params[i].sub_(lr * velocity[i]);
      }
    }
    trainer.step();
  }
  const auto after = trainer.model()->parameters();
  const auto expected = twin->parameters();
  for (std::size_t i = 0; i < after.size(); ++i) {
    EXPECT_TRUE(torch::allclose(after[i].detach(), expected[i].detach(), 1e-13, 1e-14)) << "parameter " << i;
  }
}

TEST(Trainer, RecordsTheSeriesAtTheCheckpoints) {
  const auto job = gaussian_job(config::LossKind::quadratic_hinge, config::DType::float64, 100);
  const Dataset data = data_for(job);
  Trainer trainer(job, {0, 0.05, 10, 16, 0}, data, torch::kCPU);
  const Evaluation initial = trainer.evaluate(data.x_train, data.y_train);
  const PointRecord r = trainer.run();
  const auto& loss = row(r, L::kSeriesTrainLoss);
  ASSERT_EQ(loss.size(), config::checkpoint_steps(100, 5).size());
  EXPECT_EQ(loss.front(), initial.loss);
  EXPECT_EQ(row(r, L::kSeriesTrainAccuracy).front(), initial.accuracy);
  EXPECT_EQ(loss.back(), final_train_loss(r));
  EXPECT_LT(final_train_loss(r), initial.loss);
  EXPECT_GE(r.summary.scalar(L::kTestAccuracy), 0.0);
  EXPECT_LE(r.summary.scalar(L::kTestAccuracy), 1.0);
  EXPECT_GT(r.summary.wall_seconds, 0.0);
}

TEST(Trainer, StopsADivergingRunAndSaysWhere) {
  const auto job = gaussian_job(config::LossKind::mse, config::DType::float32, 1000);
  const Dataset data = data_for(job);
  const PointRecord r = Trainer(job, {0, 1e4, 40, 16, 0}, data, torch::kCPU).run();
  EXPECT_EQ(r.summary.status, PointStatus::diverged);
  EXPECT_LT(r.summary.steps, 1000);
  EXPECT_GE(r.summary.steps, 1);
  EXPECT_NE(r.summary.error.find("at step " + std::to_string(r.summary.steps)), std::string::npos) << r.summary.error;
  EXPECT_TRUE(std::isnan(row(r, L::kSeriesTrainLoss).back()));  // the last checkpoint was never reached
}

TEST(Trainer, StopsAPointThatExceedsItsTimeLimit) {
  auto job = gaussian_job(config::LossKind::mse, config::DType::float32, 1000000);
  job.train.point_time_limit = 1e-9;  // any step exceeds it
  const Dataset data = data_for(job);
  const PointRecord r = Trainer(job, {0, 0.01, 8, 4, 0}, data, torch::kCPU).run();
  EXPECT_EQ(r.summary.status, PointStatus::timed_out);
  EXPECT_EQ(r.summary.steps, 1);
  EXPECT_EQ(r.summary.error, "exceeded train.point_time_limit = 1e-09 s after step 1");
  EXPECT_FALSE(std::isnan(final_train_loss(r)));  // still evaluated where it stopped
}

TEST(Trainer, AnInterruptLeavesThePointPending) {
  const auto job = gaussian_job(config::LossKind::mse, config::DType::float32, 1000);
  const Dataset data = data_for(job);
  const std::atomic<bool> interrupt{true};
  RunOptions options;
  options.interrupt = &interrupt;
  const PointRecord r = Trainer(job, {0, 0.01, 8, 4, 0}, data, torch::kCPU).run(options);
  EXPECT_EQ(r.summary.status, PointStatus::pending);
  EXPECT_EQ(r.summary.steps, 1);
  EXPECT_EQ(r.summary.error, "interrupted by a drain signal after step 1; runs again on resume");
}

// Counts the hooks a trainer calls, and stops the point after 7 steps.
class CountingObserver : public PointObserver {
 public:
  int starts = 0, finishes = 0;
  std::vector<std::size_t> checkpoints;
  std::vector<std::int64_t> steps_seen;
  void start(const PointState& s) override {
    ++starts;
    steps_seen.push_back(s.step);
  }
  void checkpoint(const PointState& s, std::size_t k, Rows&) override {
    checkpoints.push_back(k);
    steps_seen.push_back(s.step);
  }
  void finish(const PointState& s, Rows&) override {
    ++finishes;
    steps_seen.push_back(s.step);
  }
  std::unique_ptr<StopCriterion> stop_criterion() override {
    struct AtSeven : StopCriterion {
      std::optional<StopReason> check(const StepReport& r) override {
        if (r.step < 7) return std::nullopt;
        return StopReason{PointStatus::done, "converged at step 7"};
      }
    };
    return std::make_unique<AtSeven>();
  }
};

TEST(Trainer, CallsItsObserversAtStartCheckpointsAndEndAndTheirStopCriteria) {
  const auto job = gaussian_job(config::LossKind::mse, config::DType::float32, 100);  // checkpoints 0 1 3 10 32 100
  const Dataset data = data_for(job);
  CountingObserver counter;
  RunOptions options;
  options.observers = {&counter};
  const PointRecord r = Trainer(job, {0, 0.01, 8, 4, 0}, data, torch::kCPU).run(options);
  EXPECT_EQ(counter.starts, 1);
  EXPECT_EQ(counter.finishes, 1);
  EXPECT_EQ(counter.checkpoints, (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(counter.steps_seen, (std::vector<std::int64_t>{0, 0, 1, 3, 7}));
  EXPECT_EQ(r.summary.steps, 7);
  EXPECT_EQ(r.summary.error, "converged at step 7");
}

TEST(StopCriteria, TheFirstThatFiresInOrderDecides) {
  std::atomic<bool> flag{false};
  StopCriteria criteria;
  criteria.push_back(stop_on_interrupt(&flag));
  criteria.push_back(stop_after_seconds(2.0));
  criteria.push_back(stop_on_divergence());
  EXPECT_FALSE(first_stop(criteria, {5, 0.5, 1.0}).has_value());
  EXPECT_EQ(first_stop(criteria, {5, kNaN, 1.0})->status, PointStatus::diverged);
  EXPECT_EQ(first_stop(criteria, {5, kNaN, 3.0})->status, PointStatus::timed_out);
  flag = true;
  const auto stop = first_stop(criteria, {5, kNaN, 3.0});
  EXPECT_EQ(stop->status, PointStatus::pending);
  EXPECT_EQ(stop->why, "interrupted by a drain signal after step 5; runs again on resume");
}

TEST(Trainer, EvaluatingWithTheGradientGivesTheSameLossBitsAndTheWholeSetGradient) {
  auto job = gaussian_job(config::LossKind::cross_entropy, config::DType::float64, 1);
  job.data.train_size = 20000;  // three chunks of at most 8192
  const Dataset data = data_for(job);
  Trainer trainer(job, {0, 0.1, 8, 4, 0}, data, torch::kCPU);
  std::vector<torch::Tensor> gradient;
  const Evaluation plain = trainer.evaluate(data.x_train, data.y_train);
  const Evaluation with = trainer.evaluate_with_gradient(data.x_train, data.y_train, gradient);
  EXPECT_EQ(plain.loss, with.loss);
  EXPECT_EQ(plain.accuracy, with.accuracy);
  auto params = trainer.model()->parameters();
  const auto whole = compute_loss(job.train.loss, trainer.model()->forward(data.x_train), data.y_train, true);
  const auto expected = torch::autograd::grad({whole}, params);
  ASSERT_EQ(gradient.size(), expected.size());
  for (std::size_t i = 0; i < gradient.size(); ++i) {
    EXPECT_TRUE(torch::allclose(gradient[i], expected[i], 1e-12, 1e-15)) << i;
    EXPECT_FALSE(params[i].grad().defined()) << "a probe's gradient must not reach .grad";
  }
}

// Two MLPs with the same initial weights.
std::pair<torch::nn::Sequential, torch::nn::Sequential> twin_mlps() {
  torch::manual_seed(1);
  auto a = make_mlp(5, 7, 2, 3, config::InitKind::pytorch);
  torch::manual_seed(1);
  auto b = make_mlp(5, 7, 2, 3, config::InitKind::pytorch);
  return {a, b};
}

// Five cross-entropy steps of `ours` on `a` and LibTorch's `theirs` on `b`:
// the same parameters, bit for bit.
template <class Theirs>
void expect_same_steps(Optimizer& ours, Theirs& theirs, torch::nn::Sequential& a, torch::nn::Sequential& b,
                       const std::string& label) {
  const auto x = torch::randn({16, 5});
  const auto y = torch::randint(0, 3, {16});
  for (int step = 0; step < 5; ++step) {
    ours.zero_grad();
    theirs.zero_grad();
    torch::nn::functional::cross_entropy(a->forward(x), y).backward();
    torch::nn::functional::cross_entropy(b->forward(x), y).backward();
    ours.step();
    theirs.step();
  }
  const auto pa = a->parameters(), pb = b->parameters();
  for (std::size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(torch::equal(pa[i], pb[i])) << label << " " << i;
  EXPECT_EQ(ours.steps(), 5);
}

TEST(Optimizer, GivesTorchOptimSgdsBitsStepForStep) {
  for (const auto& [momentum, decay] : {std::pair{0.0, 0.0}, {0.9, 0.0}, {0.0, 1e-2}, {0.9, 1e-2}}) {
    auto [a, b] = twin_mlps();
    Optimizer ours(a->parameters(), 0.05, momentum, decay);
    torch::optim::SGD theirs(b->parameters(), torch::optim::SGDOptions(0.05).momentum(momentum).weight_decay(decay));
    expect_same_steps(ours, theirs, a, b, "momentum " + std::to_string(momentum) + " decay " + std::to_string(decay));
    EXPECT_EQ(ours.momentum_buffers()[0].defined(), momentum > 0);
  }
}

TEST(Optimizer, GivesTorchOptimAdamsBitsStepForStep) {
  for (const double decay : {0.0, 1e-2}) {
    auto [a, b] = twin_mlps();
    config::TrainConfig train;
    train.optimizer = config::OptimizerKind::adam;
    train.beta1 = 0.8;
    train.beta2 = 0.99;
    train.eps = 1e-6;
    train.weight_decay = decay;
    Optimizer ours(a->parameters(), train, 0.01);
    torch::optim::Adam theirs(b->parameters(),
                              torch::optim::AdamOptions(0.01).betas({0.8, 0.99}).eps(1e-6).weight_decay(decay));
    expect_same_steps(ours, theirs, a, b, "adam decay " + std::to_string(decay));
    EXPECT_FALSE(ours.fixed_step());
    EXPECT_EQ(ours.second_moments().size(), a->parameters().size());
  }
}

// One float64 scalar p with loss a p^2 / 2 (gradient a p), stepped by hand.
double scalar_run(const config::TrainConfig& train, double lr, double a, double p0, int steps) {
  auto p = torch::full({1}, p0, torch::kFloat64).requires_grad_(true);
  Optimizer opt({p}, train, lr);
  for (int t = 0; t < steps; ++t) {
    opt.zero_grad();
    (0.5 * a * p.square()).sum().backward();
    opt.step();
  }
  return p.item<double>();
}

TEST(Optimizer, AdamMatchesHandComputation) {
  config::TrainConfig train;
  train.optimizer = config::OptimizerKind::adam;
  const double lr = 0.1, a = 3.0, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  double p = 2.0, m = 0.0, v = 0.0;
  for (int t = 1; t <= 4; ++t) {
    const double g = a * p;
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    const double mhat = m / (1 - std::pow(b1, t)), vhat = v / (1 - std::pow(b2, t));
    p -= lr * mhat / (std::sqrt(vhat) + eps);
  }
  // The first step moves by lr (times the gradient's sign): 2 -> 1.9.
  EXPECT_NEAR(scalar_run(train, lr, a, 2.0, 1), 1.9, 1e-9);
  EXPECT_NEAR(scalar_run(train, lr, a, 2.0, 4), p, 1e-12);
}

TEST(Optimizer, StepwiseDecayDividesTheRateDownToItsFloor) {
  config::TrainConfig train;
  train.lr_decay = {10.0, 3, 1e-3};
  Optimizer opt({torch::zeros({1})}, train, 1.0);
  const std::vector<double> want{1, 1, 1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3};
  for (std::size_t t = 0; t < want.size(); ++t) EXPECT_DOUBLE_EQ(opt.rate(static_cast<std::int64_t>(t)), want[t]) << t;
  EXPECT_FALSE(opt.fixed_step());
  // A floor above the base rate never raises it.
  train.lr_decay.floor = 5.0;
  EXPECT_EQ(Optimizer({torch::zeros({1})}, train, 1.0).rate(7), 1.0);
  // SGD on a p^2 / 2: p_{t+1} = p_t (1 - rate(t)), by hand.
  train.lr_decay = {2.0, 2, 0.0};
  double p = 1.0;
  for (std::int64_t t = 0; t < 5; ++t) p *= 1.0 - 0.5 / std::pow(2.0, static_cast<double>(t / 2));
  EXPECT_DOUBLE_EQ(scalar_run(train, 0.5, 1.0, 1.0, 5), p);
  // Without decay the rate stays put, and lr() is the next step's rate.
  Optimizer plain({torch::zeros({1})}, 0.3, 0.0);
  EXPECT_EQ(plain.rate(1000000), 0.3);
  EXPECT_TRUE(plain.fixed_step());
}

TEST(Trainer, TrainsWithAdamAndADecayingRate) {
  auto job = gaussian_job(config::LossKind::mse, config::DType::float64, 40);
  job.train.optimizer = config::OptimizerKind::adam;
  job.train.lr_decay = {2.0, 10, 1e-4};
  const Dataset data = data_for(job);
  Trainer trainer(job, {0, 0.01, 8, 6, 0}, data, torch::kCPU);
  const double before = trainer.evaluate(data.x_train, data.y_train).loss;
  for (int i = 0; i < 40; ++i) trainer.step();
  EXPECT_LT(trainer.evaluate(data.x_train, data.y_train).loss, before);
  EXPECT_EQ(trainer.optimizer().kind(), config::OptimizerKind::adam);
  EXPECT_DOUBLE_EQ(trainer.optimizer().lr(), 0.01 / 16);
  EXPECT_EQ(trainer.optimizer().second_moments().size(), trainer.model()->parameters().size());
}

TEST(Trainer, TrainsInFloat64WhenAsked) {
  const auto job = gaussian_job(config::LossKind::cross_entropy, config::DType::float64, 3);
  const Dataset data = data_for(job);
  Trainer trainer(job, {0, 0.1, 4, 4, 0}, data, torch::kCPU);
  for (const auto& p : trainer.model()->parameters()) EXPECT_EQ(p.scalar_type(), torch::kFloat64);
}

TEST(Trainer, OrthogonalInitGivesOrthogonalWeights) {
  auto job = gaussian_job(config::LossKind::mse, config::DType::float64, 1);
  job.model.init = config::InitKind::orthogonal;
  const Dataset data = data_for(job);
  Trainer trainer(job, {0, 0.1, 4, 6, 0}, data, torch::kCPU);
  const auto w = trainer.model()->parameters()[2].detach();  // second hidden layer, 6 x 6
  EXPECT_TRUE(torch::allclose(w.mm(w.t()), torch::eye(6, torch::kFloat64), 1e-6, 1e-6));
  EXPECT_EQ(trainer.model()->parameters()[1].abs().sum().item<double>(), 0.0);
}

TEST(Trainer, RejectsABatchLargerThanTheTrainingSet) {
  const auto job = gaussian_job(config::LossKind::mse, config::DType::float32, 1);
  const Dataset data = data_for(job);
  EXPECT_THROW(Trainer(job, {0, 0.1, 41, 4, 0}, data, torch::kCPU), TrainingError);
}

TEST(ResolveDevice, PicksTheCpuAndRefusesMissingGpus) {
  EXPECT_EQ(resolve_device(config::DeviceKind::cpu, 0), torch::Device(torch::kCPU));
  if (!torch::cuda::is_available()) {
    EXPECT_EQ(resolve_device(config::DeviceKind::automatic, 0), torch::Device(torch::kCPU));
    EXPECT_THROW(resolve_device(config::DeviceKind::cuda, 0), TrainingError);
  }
}

TEST(Trainer, NeverCapturesAGraphOnTheCpu) {
  auto job = gaussian_job(config::LossKind::mse, config::DType::float32, 10);
  job.train.cuda_graphs = true;
  const Dataset data = data_for(job);
  Trainer t(job, {0, 0.1, 8, 16, 1}, data, torch::kCPU);
  for (int s = 0; s < 6; ++s) t.step();
  EXPECT_FALSE(t.graph_active());
  EXPECT_EQ(t.graph_fallback(), "");
}

// GPU only (skipped elsewhere): scripts/gpu-check.sh runs these on a GPU machine.
TEST(TrainerCuda, GraphReplaysGiveTheEagerBitsAndCpuAgreesToRounding) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  for (const auto loss : {config::LossKind::cross_entropy, config::LossKind::mse}) {
    for (const std::int64_t batch : {8, 40}) {  // minibatch (the graph reads its indices) and full batch
      auto job = gaussian_job(loss, config::DType::float64, 50);
      job.data.binary = false;  // 10 classes, so that mse builds its one-hot target on the device
      job.train.momentum = 0.9;
      const Dataset data = ten_class_data();
      const config::GridPoint point{0, 0.05, batch, 16, 3};
      job.train.cuda_graphs = true;
      Trainer graphed(job, point, data, torch::Device(torch::kCUDA, 0));
      const PointRecord g = graphed.run();
      EXPECT_TRUE(graphed.graph_active()) << graphed.graph_fallback();
      job.train.cuda_graphs = false;
      Trainer eager_trainer(job, point, data, torch::Device(torch::kCUDA, 0));
      const PointRecord e = eager_trainer.run();
      EXPECT_FALSE(eager_trainer.graph_active());
      expect_same_record(g, e);
      const PointRecord c = Trainer(job, point, data, torch::kCPU).run();
      EXPECT_NEAR(final_train_loss(c), final_train_loss(g), 1e-9 * std::abs(final_train_loss(c)));
    }
  }
}

// Adam with a decaying rate and weight decay on the GPU: eager (its step
// changes every step, and the trainer says so), the CPU's result to rounding,
// every step counted. SGD with weight decay under a graph: the CPU's result to
// rounding, the replays counted as steps and the capture not.
TEST(TrainerCuda, AdamWithADecayTrainsEagerlyAndCpuAgreesToRounding) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  auto job = gaussian_job(config::LossKind::cross_entropy, config::DType::float64, 60);
  job.data.binary = false;
  job.train.optimizer = config::OptimizerKind::adam;
  job.train.momentum = 0.0;
  job.train.weight_decay = 1e-3;
  job.train.lr_decay = config::LrDecay{2.0, 20, 1e-4};
  job.train.cuda_graphs = true;
  const Dataset data = ten_class_data();
  const config::GridPoint point{0, 0.01, 8, 16, 5};
  Trainer gpu(job, point, data, torch::Device(torch::kCUDA, 0));
  const PointRecord g = gpu.run();
  EXPECT_FALSE(gpu.graph_active());
  EXPECT_NE(gpu.graph_fallback().find("Adam"), std::string::npos) << gpu.graph_fallback();
  EXPECT_EQ(gpu.optimizer().steps(), 60);
  EXPECT_DOUBLE_EQ(gpu.optimizer().lr(), 0.01 / 8.0);
  const PointRecord c = Trainer(job, point, data, torch::kCPU).run();
  EXPECT_NEAR(final_train_loss(c), final_train_loss(g), 1e-9 * std::abs(final_train_loss(c)));

  job.train.optimizer = config::OptimizerKind::sgd;
  job.train.momentum = 0.9;
  job.train.lr_decay = config::LrDecay{};
  Trainer graphed(job, point, data, torch::Device(torch::kCUDA, 0));
  const PointRecord gs = graphed.run();
  EXPECT_TRUE(graphed.graph_active()) << graphed.graph_fallback();
  EXPECT_EQ(graphed.optimizer().steps(), 60);
  const PointRecord cs = Trainer(job, point, data, torch::kCPU).run();
  EXPECT_NEAR(final_train_loss(cs), final_train_loss(gs), 1e-9 * std::abs(final_train_loss(cs)));
}

TEST(TrainerCuda, AnOutOfMemoryErrorIsAnExceptionWithCudasMessage) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  auto job = gaussian_job(config::LossKind::mse, config::DType::float32, 2);
  job.model.depth = 1;
  job.data.train_size = 60000;
  const Dataset data = data_for(job);
  // The model fits (8 x 2^20 parameters); a full-batch forward pass needs
  // 60000 x 2^20 activations (240 GiB).
  try {
    Trainer(job, {0, 0.1, 60000, std::int64_t{1} << 20, 0}, data, torch::Device(torch::kCUDA, 0)).run();
    ADD_FAILURE() << "expected an out-of-memory error";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("out of memory"), std::string::npos) << e.what();
  }
  // The device is usable afterwards.
  EXPECT_EQ(torch::ones({4}, torch::Device(torch::kCUDA, 0)).sum().item<double>(), 4.0);
}

TEST(MlpParameterCount, MatchesTheBuiltModel) {
  auto net = make_mlp(5, 7, 3, 2, config::InitKind::pytorch);
  std::int64_t n = 0;
  for (const auto& p : net->parameters()) n += p.numel();
  EXPECT_EQ(mlp_parameter_count(5, 7, 3, 2), n);
}

}  // namespace
}  // namespace lsweep::training
