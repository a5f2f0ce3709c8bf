// The diffusion probe against processes with known answers, fed through the
// same tracker that training feeds: Brownian motion (c = 1, amplitude sigma^2,
// no aging, Y = 3), constant drift on a known fraction of the coordinates
// (c = 2, Y = 1 / fraction exactly), an Ornstein-Uhlenbeck process (Delta
// saturates at twice the stationary variance); the scratch-file path against
// the in-memory one (same bits); and the probe on a real training run
// against the parameters taken step by step from a twin trainer.

#include "lsweep/probes/diffusion.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "lsweep/common/error.hpp"
#include "lsweep/common/fit.hpp"
#include "lsweep/config/grid.hpp"
#include "lsweep/config/layout.hpp"
#include "lsweep/training/pack.hpp"

namespace lsweep::probes {
namespace {

using P = DiffusionProbe;
namespace fs = std::filesystem;

DiffusionOptions options(std::int64_t waiting_times, std::int64_t tw_min, std::int64_t tw_max, std::int64_t lags) {
  DiffusionOptions o;
  o.waiting_times = waiting_times;
  o.tw_min = tw_min;
  o.tw_max = tw_max;
  o.lags = lags;
  return o;
}

// Runs `advance(x, step)` for every step of `tracker`'s schedule from x(0) =
// `x`, feeding the tracker each step it asks for.
template <class Advance>
void drive(DiffusionTracker& tracker, torch::Tensor x, Advance advance) {
  tracker.observe(0, x);
  for (std::int64_t s = 1; s <= tracker.schedule().steps; ++s) {
    advance(x, s);
    if (tracker.next_step() == s) tracker.observe(s, x);
  }
  EXPECT_EQ(tracker.next_step(), -1);
}

double cell(const DiffusionTracker& t, std::size_t tw, std::size_t lag) {
  return t.delta()[tw * t.schedule().lags.size() + lag];
}

std::vector<double> lags_of(const DiffusionTracker& t) { return {t.schedule().lags.begin(), t.schedule().lags.end()}; }

std::vector<double> tw_row(const std::vector<double>& values, const DiffusionTracker& t, std::size_t tw) {
  const auto n = t.schedule().lags.size();
  return {values.begin() + static_cast<std::ptrdiff_t>(tw * n),
          values.begin() + static_cast<std::ptrdiff_t>((tw + 1) * n)};
}

bool reached(const DiffusionTracker& t, std::size_t tw, std::size_t lag) {
  return t.schedule().waiting_times[tw] + t.schedule().lags[lag] <= t.schedule().steps;
}

TEST(DiffusionSchedule, IsDistinctLogSpacedStepsInRange) {
  const auto s = diffusion_schedule(20000, DiffusionOptions{});
  EXPECT_EQ(s.waiting_times.front(), 10);
  EXPECT_EQ(s.waiting_times.back(), 10000);  // steps / 2 by default
  EXPECT_EQ(s.waiting_times.size(), 20u);
  EXPECT_EQ(s.lags.front(), 1);
  EXPECT_EQ(s.lags.back(), 20000);
  for (std::size_t i = 1; i < s.lags.size(); ++i) EXPECT_LT(s.lags[i - 1], s.lags[i]);
  // Few steps: rounding merges duplicates.
  const auto small = diffusion_schedule(8, options(20, 1, 4, 30));
  EXPECT_EQ(small.waiting_times, (std::vector<std::int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(small.lags, (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST(DiffusionTracker, BrownianMotionHasExponentOneTheRightAmplitudeAndNoAging) {
  const std::int64_t n = 20000;
  const double sigma = 0.1;
  DiffusionTracker t(diffusion_schedule(2000, options(8, 10, 1000, 20)), n, torch::kFloat64, 1e9, "");
  torch::manual_seed(3);
  drive(t, torch::zeros({n}, torch::kFloat64),
        [&](torch::Tensor& x, std::int64_t) { x.add_(torch::randn({n}, torch::kFloat64), sigma); });
  const auto lags = lags_of(t);
  const std::size_t n_tw = t.schedule().waiting_times.size();
  for (std::size_t i = 0; i < n_tw; ++i) {
    const PowerLawFit f = fit_power_law(lags, tw_row(t.delta(), t, i), 1.0 / 3.0);
    EXPECT_NEAR(f.exponent, 1.0, 0.02) << "tw " << t.schedule().waiting_times[i];
    EXPECT_GT(f.exponent_err, 0.0);
    EXPECT_NEAR(std::exp(f.intercept), sigma * sigma, 0.05 * sigma * sigma);
  }
  const PowerLawFit m = fit_power_law(lags, t.msd(), 1.0 / 3.0);
  EXPECT_NEAR(m.exponent, 1.0, 0.02);
  // No aging: at each lag every waiting time gives sigma^2 t to sampling noise.
  for (std::size_t j = 0; j < lags.size(); ++j) {
    for (std::size_t i = 0; i < n_tw; ++i) {
      if (!reached(t, i, j)) {
        EXPECT_TRUE(std::isnan(cell(t, i, j)));
        continue;
      }
      EXPECT_NEAR(cell(t, i, j) / (sigma * sigma * lags[j]), 1.0, 0.06) << i << " " << j;
      // Gaussian increments: Y = E[d^4] / E[d^2]^2 = 3.
      EXPECT_NEAR(t.fourth_moment_ratio()[i * lags.size() + j], 3.0, 0.15) << i << " " << j;
    }
  }
}

TEST(DiffusionTracker, ConstantDriftOnAFractionHasExponentTwoAndExactRatio) {
  const std::int64_t n = 1000, moving = 250;  // a quarter of the coordinates move
  const double v = 0.01;
  DiffusionTracker t(diffusion_schedule(500, options(5, 10, 250, 12)), n, torch::kFloat64, 1e9, "");
  drive(t, torch::linspace(-1.0, 1.0, n, torch::kFloat64),
        [&](torch::Tensor& x, std::int64_t) { x.narrow(0, 0, moving).add_(v); });
  const auto lags = lags_of(t);
  const double f = static_cast<double>(moving) / static_cast<double>(n);
  for (std::size_t i = 0; i < t.schedule().waiting_times.size(); ++i) {
    for (std::size_t j = 0; j < lags.size(); ++j) {
      if (!reached(t, i, j)) continue;
      EXPECT_NEAR(cell(t, i, j), f * v * v * lags[j] * lags[j], 1e-9 * f * v * v * lags[j] * lags[j]);
      EXPECT_NEAR(t.fourth_moment_ratio()[i * lags.size() + j], 1.0 / f, 1e-6);
    }
    const PowerLawFit fit = fit_power_law(lags, tw_row(t.delta(), t, i), 1.0 / 3.0);
    EXPECT_NEAR(fit.exponent, 2.0, 1e-6);
    EXPECT_NEAR(fit.intercept, std::log(f * v * v), 1e-6);
  }
}

TEST(DiffusionTracker, AnOrnsteinUhlenbeckProcessSaturatesAtTwiceItsStationaryVariance) {
  const std::int64_t n = 20000;
  const double k = 0.05, sigma = 0.2;
  const double a = 1.0 - k, variance = sigma * sigma / (1.0 - a * a);
  DiffusionTracker t(diffusion_schedule(1500, options(6, 10, 750, 16)), n, torch::kFloat64, 1e9, "");
  torch::manual_seed(5);
  drive(t, torch::randn({n}, torch::kFloat64) * std::sqrt(variance),
        [&](torch::Tensor& x, std::int64_t) { x.mul_(a).add_(torch::randn({n}, torch::kFloat64), sigma); });
  const auto lags = lags_of(t);
  for (std::size_t i = 0; i < t.schedule().waiting_times.size(); ++i) {
    for (std::size_t j = 0; j < lags.size(); ++j) {
      if (!reached(t, i, j)) continue;
      const double exact = 2.0 * variance * (1.0 - std::pow(a, lags[j]));
      EXPECT_NEAR(cell(t, i, j) / exact, 1.0, 0.05) << i << " " << j;
    }
    // The longest lags reached sit on the plateau.
    EXPECT_NEAR(cell(t, i, lags.size() - 3) / (2.0 * variance), 1.0, 0.05);
  }
}

// A scratch folder of its own, removed at the end.
struct ScratchFolder {
  fs::path path;
  ScratchFolder() {
    std::string name = (fs::temp_directory_path() / "lsweep-diffusion-test-XXXXXX").string();
    path = ::mkdtemp(name.data());
  }
  ~ScratchFolder() { fs::remove_all(path); }
  bool empty() const { return fs::is_empty(path); }
};

TEST(DiffusionTracker, SpilledSnapshotsGiveTheInMemoryBitsAndLeaveNoFile) {
  const std::int64_t n = 3000;
  const auto schedule = diffusion_schedule(400, options(10, 5, 200, 15));
  ScratchFolder scratch;
  DiffusionTracker memory(schedule, n, torch::kFloat32, 1e9, scratch.path.string());
  DiffusionTracker spilled(schedule, n, torch::kFloat32, 0.0, scratch.path.string());
  EXPECT_FALSE(memory.spilled());
  EXPECT_TRUE(spilled.spilled());
  EXPECT_TRUE(scratch.empty()) << "the scratch file is unlinked as soon as it is open";
  torch::manual_seed(9);
  auto x = torch::zeros({n}, torch::kFloat32);
  memory.observe(0, x);
  spilled.observe(0, x);
  for (std::int64_t s = 1; s <= schedule.steps; ++s) {
    x.add_(torch::randn({n}, torch::kFloat32), 0.01);
    if (memory.next_step() == s) {
      memory.observe(s, x);
      spilled.observe(s, x);
    }
  }
  for (const auto& [a, b] : {std::pair{&memory.delta(), &spilled.delta()},
                             {&memory.fourth_moment_ratio(), &spilled.fourth_moment_ratio()},
                             {&memory.msd(), &spilled.msd()}}) {
    ASSERT_EQ(a->size(), b->size());
    EXPECT_EQ(std::memcmp(a->data(), b->data(), a->size() * sizeof(double)), 0);
  }
  EXPECT_TRUE(scratch.empty());
}

TEST(DiffusionTracker, AnUnwritableScratchFolderIsAnErrorNamingTheField) {
  const auto schedule = diffusion_schedule(100, options(5, 5, 50, 10));
  try {
    DiffusionTracker t(schedule, 10, torch::kFloat32, 0.0, "/nonexistent/lsweep-scratch");
    FAIL() << "no error";
  } catch (const TrainingError& e) {
    EXPECT_NE(std::string(e.what()).find("probes.diffusion.scratch = \"/nonexistent/lsweep-scratch\""),
              std::string::npos)
        << e.what();
  }
}

TEST(DiffusionTracker, RefusesAStepItDidNotAskFor) {
  DiffusionTracker t(diffusion_schedule(100, options(5, 5, 50, 10)), 4, torch::kFloat64, 1e9, "");
  EXPECT_THROW(t.observe(3, torch::zeros({4}, torch::kFloat64)), std::logic_error);
}

std::string job_text(const std::string& train_extra, const std::string& probe_table) {
  return "[grid]\nlr = [0.05, 0.2]\nbatch = [8]\nwidth = [5]\nseed = [4]\n"
         "[data]\nkind = \"gaussian\"\ntrain_size = 24\ntest_size = 6\ndim = 4\n"
         "[train]\nloss = \"mse\"\nsteps = 300\ncheckpoints = 4\ndtype = \"float64\"\n" +
         train_extra + "[probes.diffusion]\n" + probe_table;
}

config::JobConfig job_of(const std::string& text) { return config::parse_job(text, "diffusion.toml", builtin()); }

// Delta(tw, tw + t) from parameters taken at every step of a twin trainer.
std::vector<double> delta_by_hand(const config::JobConfig& job, const config::GridPoint& point,
                                  const training::Dataset& data, const DiffusionSchedule& s) {
  training::Trainer twin(job, point, data, torch::kCPU);
  std::vector<torch::Tensor> theta{flatten_to_cpu(twin.model()->parameters(), torch::kFloat64)};
  for (std::int64_t step = 1; step <= s.steps; ++step) {
    twin.step();
    theta.push_back(flatten_to_cpu(twin.model()->parameters(), torch::kFloat64));
  }
  std::vector<double> out;
  for (auto tw : s.waiting_times) {
    for (auto lag : s.lags) {
      if (tw + lag > s.steps) {
        out.push_back(kNaN);
        continue;
      }
      const auto d = theta[static_cast<std::size_t>(tw + lag)] - theta[static_cast<std::size_t>(tw)];
      out.push_back(d.square().sum().item<double>() / static_cast<double>(d.numel()));
    }
  }
  return out;
}

void expect_rows_near(const std::vector<double>& a, const std::vector<double>& b, double rel) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i]) || std::isnan(b[i])) {
      EXPECT_TRUE(std::isnan(a[i]) && std::isnan(b[i])) << i;
    } else {
      EXPECT_NEAR(a[i], b[i], rel * std::abs(b[i])) << i;
    }
  }
}

TEST(DiffusionProbe, OnATrainingRunEqualsTheDisplacementOfATwinTrainer) {
  for (const std::string extra : {"", "momentum = 0.5\nweight_decay = 0.01\n"}) {
    const auto job = job_of(job_text(extra, "waiting_times = 6\ntw_min = 5\nlags = 12\n"));
    const auto data = training::load_dataset(job.data, torch::kFloat64);
    const auto point = config::expand_grid(job)[1];
    training::Trainer trainer(job, point, data, torch::kCPU);
    const auto rec = run_with_probes(trainer, job, point, config::layout::store_layout(job));
    const auto& o = dynamic_cast<const DiffusionOptions&>(*job.probe("diffusion")->options);
    const auto s = diffusion_schedule(job.train.steps, o);
    expect_rows_near(*rec.rows.find(P::kDelta), delta_by_hand(job, point, data, s), 1e-12);
    const auto& ratio = *rec.rows.find(P::kRatio);
    for (double y : ratio) {
      if (!std::isnan(y)) {
        EXPECT_GE(y, 1.0);  // Y >= 1 always (Cauchy-Schwarz)
      }
    }
    EXPECT_TRUE(std::isfinite(rec.summary.scalar(P::kFinalExponent)));
    EXPECT_GT(rec.summary.scalar(P::kFinalExponentErr), 0.0);
    EXPECT_TRUE(std::isfinite(rec.summary.scalar(P::kMsdExponent)));
    EXPECT_EQ(rec.summary.scalar(P::kSpilled), 0.0);
    EXPECT_EQ(rec.rows.find(P::kVelocityNorm) != nullptr, !extra.empty());
    // The stored exponent is the fit of the stored row, over the last two thirds of the lags reached.
    const std::vector<double> lags(s.lags.begin(), s.lags.end());
    const auto tw = static_cast<std::int64_t>(rec.summary.scalar(P::kFinalWaitingTime));
    const auto at = std::find(s.waiting_times.begin(), s.waiting_times.end(), tw);
    ASSERT_NE(at, s.waiting_times.end()) << tw;
    const auto last = static_cast<std::size_t>(at - s.waiting_times.begin());
    const auto& delta = *rec.rows.find(P::kDelta);
    const std::vector<double> row(delta.begin() + static_cast<std::ptrdiff_t>(last * lags.size()),
                                  delta.begin() + static_cast<std::ptrdiff_t>((last + 1) * lags.size()));
    const PowerLawFit f = fit_power_law(lags, row, 1.0 / 3.0);
    EXPECT_EQ(rec.summary.scalar(P::kFinalExponent), f.exponent);
    EXPECT_EQ(rec.summary.scalar(P::kFinalIntercept), f.intercept);
  }
}

TEST(DiffusionProbe, InAPackEqualsTheOnePointRun) {
  const auto job = job_of(job_text("momentum = 0.5\n", "waiting_times = 5\ntw_min = 5\nlags = 10\n"));
  const auto data = training::load_dataset(job.data, torch::kFloat64);
  const auto points = config::expand_grid(job);
  const auto layout = config::layout::store_layout(job);
  training::PackTrainer pack(job, points, data, torch::kCPU);
  const auto packed = run_pack_with_probes(pack, job, layout);
  for (std::size_t k = 0; k < points.size(); ++k) {
    training::Trainer alone(job, points[k], data, torch::kCPU);
    const auto ref = run_with_probes(alone, job, points[k], layout);
    for (const char* path : {P::kDelta, P::kRatio, P::kMsd, P::kExponent, P::kParamNorm, P::kVelocityNorm}) {
      SCOPED_TRACE(path);
      expect_rows_near(*packed[k].rows.find(path), *ref.rows.find(path), 1e-8);
    }
  }
}

TEST(DiffusionProbe, DeclaresFixedShapesFromTheJob) {
  const auto job = job_of(job_text("momentum = 0.5\n", "waiting_times = 6\ntw_min = 5\nlags = 12\n"));
  const auto layout = config::layout::store_layout(job);
  const auto& o = dynamic_cast<const DiffusionOptions&>(*job.probe("diffusion")->options);
  const auto s = diffusion_schedule(300, o);
  const auto* delta = find_spec(layout, P::kDelta);
  ASSERT_NE(delta, nullptr);
  EXPECT_EQ(delta->shape_text(),
            "[N, " + std::to_string(s.waiting_times.size()) + ", " + std::to_string(s.lags.size()) + "]");
  EXPECT_EQ(find_spec(layout, P::kFinalExponent)->csv_column, "diffusion_exponent");
  EXPECT_EQ(find_spec(layout, P::kMsdExponentErr)->csv_column, "msd_exponent_err");
  EXPECT_NE(find_spec(layout, P::kVelocityNorm), nullptr);
  EXPECT_EQ(find_spec(config::layout::store_layout(job_of(job_text("", ""))), P::kVelocityNorm), nullptr)
      << "no momentum, no velocity";
}

TEST(DiffusionProbe, ValidatesItsTable) {
  const auto refused = [](const std::string& table, const std::string& needle) {
    try {
      job_of(job_text("", table));
      ADD_FAILURE() << "accepted: " << table;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  refused("tw_min = 10\ntw_max = 5\n", "probes.diffusion.tw_max = 5");
  refused("tw_min = 300\n", "probes.diffusion.tw_min = 300");
  refused("fit_from = 0.95\n", "probes.diffusion.fit_from = 0.95");
  refused("lags = 2\n", "probes.diffusion.lags = 2");
  refused("memory_mb = -1\n", "probes.diffusion.memory_mb = -1");
  refused("wait = 3\n", "probes.diffusion.wait");
  try {
    config::parse_job(
        "[grid]\nlr = [0.05]\nbatch = [8]\nwidth = [5]\nseed = [4]\n"
        "[data]\nkind = \"gaussian\"\ntrain_size = 24\ntest_size = 6\ndim = 4\n"
        "[train]\nloss = \"mse\"\nsteps = 1\n[probes.diffusion]\n",
        "one.toml", builtin());
    ADD_FAILURE() << "accepted steps = 1";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("train.steps >= 2"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace lsweep::probes
