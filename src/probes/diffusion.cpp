#include "lsweep/probes/diffusion.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <torch/torch.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <stdexcept>
#include <utility>

#include "lsweep/common/error.hpp"
#include "lsweep/common/fit.hpp"
#include "lsweep/common/format.hpp"
#include "lsweep/config/grid.hpp"
#include "lsweep/config/layout.hpp"

namespace lsweep::probes {
namespace {

namespace L = config::layout;
using P = DiffusionProbe;

std::string scratch_folder(const std::string& configured) {
  if (!configured.empty()) return configured;
  const char* tmp = std::getenv("TMPDIR");
  return tmp && *tmp ? tmp : "/tmp";
}

// sum (a_i - b_i)^2 and sum (a_i - b_i)^4, in float64, in one pass. Four
// interleaved partial sums (a fixed order, so the same bits every time) keep
// the additions from waiting on each other: about 4x faster than one sum.
template <class T>
std::pair<double, double> moments(const T* a, const T* b, std::int64_t n) {
  constexpr int kWays = 4;
  double s2[kWays] = {}, s4[kWays] = {};
  std::int64_t i = 0;
  for (; i + kWays <= n; i += kWays) {
    for (int k = 0; k < kWays; ++k) {
      const double d = static_cast<double>(a[i + k]) - static_cast<double>(b[i + k]);
      const double d2 = d * d;
      s2[k] += d2;
      s4[k] += d2 * d2;
    }
  }
  for (; i < n; ++i) {
    const double d = static_cast<double>(a[i]) - static_cast<double>(b[i]);
    const double d2 = d * d;
    s2[0] += d2;
    s4[0] += d2 * d2;
  }
  return {(s2[0] + s2[1]) + (s2[2] + s2[3]), (s4[0] + s4[1]) + (s4[2] + s4[3])};
}

std::pair<double, double> moments(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.scalar_type() == torch::kFloat64) return moments(a.data_ptr<double>(), b.data_ptr<double>(), a.numel());
  if (a.scalar_type() == torch::kFloat32) return moments(a.data_ptr<float>(), b.data_ptr<float>(), a.numel());
  return moments(a.to(torch::kFloat64), b.to(torch::kFloat64));
}

[[noreturn]] void scratch_error(const std::string& folder, const std::string& what, int err) {
  throw TrainingError("probes.diffusion.scratch = \"" + folder + "\": " + what + ": " + std::strerror(err) +
                      "; allowed: a writable folder with room for the spilled snapshots (or a larger memory_mb)");
}

}  // namespace

DiffusionSchedule diffusion_schedule(std::int64_t steps, const DiffusionOptions& o) {
  DiffusionSchedule s;
  s.steps = steps;
  const std::int64_t tw_max = o.tw_max > 0 ? o.tw_max : std::max(o.tw_min, steps / 2);
  s.waiting_times = config::log_spaced_steps(o.tw_min, tw_max, o.waiting_times);
  s.lags = config::log_spaced_steps(1, steps, o.lags);
  return s;
}

// ---- SnapshotStore ----

SnapshotStore::SnapshotStore(std::int64_t slots, std::int64_t n, torch::ScalarType dtype, double memory_bytes,
                             const std::string& folder)
    : n_(n), dtype_(dtype), folder_(folder) {
  if (static_cast<double>(slots) * static_cast<double>(snapshot_bytes()) <= memory_bytes) {
    memory_.resize(static_cast<std::size_t>(slots));
    return;
  }
  std::string name = folder_ + "/lsweep-diffusion-XXXXXX";
  fd_ = ::mkstemp(name.data());
  if (fd_ < 0) scratch_error(folder_, "cannot create a scratch file there", errno);
  ::unlink(name.c_str());  // gone from the folder now; the space is freed when fd_ closes
}

SnapshotStore::~SnapshotStore() {
  if (fd_ >= 0) ::close(fd_);
}

// Moves one snapshot's bytes between `p` and the file at slot `slot` with
// pwrite or pread (`io`), whole, retrying short and interrupted transfers.
template <class Io, class Ptr>
void SnapshotStore::transfer(Io io, Ptr p, std::int64_t slot, int error_at_eof, const char* what) const {
  std::int64_t left = snapshot_bytes();
  auto offset = static_cast<off_t>(slot * snapshot_bytes());
  while (left > 0) {
    const ssize_t n = io(fd_, p, static_cast<std::size_t>(left), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) scratch_error(folder_, what, n < 0 ? errno : error_at_eof);
    p += n;
    left -= n;
    offset += n;
  }
}

void SnapshotStore::put(std::int64_t slot, const torch::Tensor& v) {
  if (v.numel() != n_ || v.scalar_type() != dtype_ || !v.device().is_cpu()) {
    throw std::logic_error("SnapshotStore::put: a snapshot of another size, dtype or device");
  }
  if (fd_ < 0) {
    memory_.at(static_cast<std::size_t>(slot)) = v.clone();
    return;
  }
  const auto c = v.contiguous();
  transfer(::pwrite, static_cast<const char*>(c.data_ptr()), slot, ENOSPC, "writing a snapshot");
}

torch::Tensor SnapshotStore::get(std::int64_t slot) const {
  if (fd_ < 0) return memory_.at(static_cast<std::size_t>(slot));
  auto out = torch::empty({n_}, torch::TensorOptions().dtype(dtype_));
  transfer(::pread, static_cast<char*>(out.data_ptr()), slot, EIO, "reading a snapshot back");
  return out;
}

void SnapshotStore::release(std::int64_t slot) {
  if (fd_ < 0) memory_.at(static_cast<std::size_t>(slot)) = torch::Tensor();
}

// ---- DiffusionTracker ----

DiffusionTracker::DiffusionTracker(DiffusionSchedule schedule, std::int64_t n, torch::ScalarType dtype,
                                   double memory_bytes, const std::string& scratch)
    : schedule_(std::move(schedule)),
      n_(n),
      dtype_(dtype),
      store_(static_cast<std::int64_t>(schedule_.waiting_times.size()) + 1, n, dtype, memory_bytes, scratch) {
  origins_.push_back(0);
  origins_.insert(origins_.end(), schedule_.waiting_times.begin(), schedule_.waiting_times.end());
  std::map<std::int64_t, std::vector<Event>> by_step;
  last_use_.assign(origins_.size(), 0);
  for (std::size_t o = 0; o < origins_.size(); ++o) {
    by_step[origins_[o]];  // observed to take the snapshot
    for (std::size_t j = 0; j < schedule_.lags.size(); ++j) {
      const std::int64_t at = origins_[o] + schedule_.lags[j];
      if (at > schedule_.steps) break;
      by_step[at].push_back({o, j});
      last_use_[o] = at;
    }
  }
  for (auto& [step, events] : by_step) {
    wanted_.push_back(step);
    events_.push_back(std::move(events));
  }
  const std::size_t cells = schedule_.waiting_times.size() * schedule_.lags.size();
  delta_.assign(cells, kNaN);
  ratio_.assign(cells, kNaN);
  msd_.assign(schedule_.lags.size(), kNaN);
}

void DiffusionTracker::observe(std::int64_t step, const torch::Tensor& theta) {
  if (step != next_step()) {
    throw std::logic_error("DiffusionTracker: observed step " + std::to_string(step) + ", expected " +
                           std::to_string(next_step()));
  }
  if (theta.numel() != n_) throw std::logic_error("DiffusionTracker: a parameter vector of another length");
  torch::NoGradGuard no_grad;
  const auto here = theta.detach().reshape({-1}).to(torch::kCPU, dtype_).contiguous();
  const double n = static_cast<double>(n_);
  for (const Event& e : events_[next_]) {
    const auto [s2, s4] = moments(here, store_.get(static_cast<std::int64_t>(e.origin)).contiguous());
    const double delta = s2 / n;
    if (e.origin == 0) {
      msd_[e.lag] = delta;
      continue;
    }
    const std::size_t cell = (e.origin - 1) * schedule_.lags.size() + e.lag;
    delta_[cell] = delta;
    ratio_[cell] = (s4 / n) / (delta * delta);
  }
  for (std::size_t o = 0; o < origins_.size(); ++o) {
    const auto slot = static_cast<std::int64_t>(o);
    if (origins_[o] == step && last_use_[o] > step) store_.put(slot, here);
    if (last_use_[o] == step) store_.release(slot);
  }
  ++next_;
}

// ---- the probe ----

namespace {

class DiffusionObserver : public training::PointObserver {
 public:
  DiffusionObserver(const config::JobConfig& job, const DiffusionOptions& o)
      : options_(o), schedule_(diffusion_schedule(job.train.steps, o)), momentum_(job.train.momentum > 0) {}

  bool wants_steps() const override { return true; }

  void start(const training::PointState& s) override {
    const auto began = std::chrono::steady_clock::now();
    const auto theta = flatten_to_cpu(s.model->parameters(), dtype(s));
    tracker_ =
        std::make_unique<DiffusionTracker>(schedule_, theta.numel(), theta.scalar_type(),
                                           options_.memory_mb * 1024.0 * 1024.0, scratch_folder(options_.scratch));
    param_norm_.assign(schedule_.waiting_times.size(), kNaN);
    velocity_norm_.assign(schedule_.waiting_times.size(), kNaN);
    tracker_->observe(0, theta);
    add_time(began);
  }

  void step(const training::PointState& s) override {
    if (s.step != tracker_->next_step()) return;
    const auto began = std::chrono::steady_clock::now();
    const auto theta = flatten_to_cpu(s.model->parameters(), dtype(s));
    tracker_->observe(s.step, theta);
    const auto& tw = schedule_.waiting_times;
    const auto it = std::lower_bound(tw.begin(), tw.end(), s.step);
    if (it != tw.end() && *it == s.step) {
      const auto i = static_cast<std::size_t>(it - tw.begin());
      param_norm_[i] = theta.to(torch::kFloat64).norm().item<double>();
      if (momentum_) {
        velocity_norm_[i] = flatten_to_cpu(s.optimizer.momentum_buffers(), torch::kFloat64).norm().item<double>();
      }
    }
    add_time(began);
  }

  void finish(const training::PointState& /*s*/, Rows& rows) override {
    const auto began = std::chrono::steady_clock::now();
    const std::size_t n_tw = schedule_.waiting_times.size(), n_lag = schedule_.lags.size();
    const std::vector<double> lags(schedule_.lags.begin(), schedule_.lags.end());
    rows[P::kDelta] = tracker_->delta();
    rows[P::kRatio] = tracker_->fourth_moment_ratio();
    rows[P::kMsd] = tracker_->msd();
    rows[P::kParamNorm] = param_norm_;
    if (momentum_) rows[P::kVelocityNorm] = velocity_norm_;
    auto& exponent = rows[P::kExponent];
    auto& err = rows[P::kExponentErr];
    auto& intercept = rows[P::kIntercept];
    auto& points = rows[P::kFitPoints];
    std::int64_t last = -1;  // the largest waiting time with a fit
    for (std::size_t i = 0; i < n_tw; ++i) {
      const auto first = tracker_->delta().begin() + static_cast<std::ptrdiff_t>(i * n_lag);
      const PowerLawFit f = fit_power_law(lags, std::vector<double>(first, first + static_cast<std::ptrdiff_t>(n_lag)),
                                          options_.fit_from);
      exponent[i] = f.exponent;
      err[i] = f.exponent_err;
      intercept[i] = f.intercept;
      points[i] = static_cast<double>(f.points);
      if (std::isfinite(f.exponent_err)) last = static_cast<std::int64_t>(i);
    }
    if (last >= 0) {
      const auto i = static_cast<std::size_t>(last);
      rows[P::kFinalExponent] = {exponent[i]};
      rows[P::kFinalExponentErr] = {err[i]};
      rows[P::kFinalIntercept] = {intercept[i]};
      rows[P::kFinalWaitingTime] = {static_cast<double>(schedule_.waiting_times[i])};
    }
    const PowerLawFit m = fit_power_law(lags, tracker_->msd(), options_.fit_from);
    rows[P::kMsdExponent] = {m.exponent};
    rows[P::kMsdExponentErr] = {m.exponent_err};
    rows[P::kMsdIntercept] = {m.intercept};
    rows[P::kSpilled] = {tracker_->spilled() ? 1.0 : 0.0};
    add_time(began);
    rows[P::kSeconds] = {seconds_};
    tracker_.reset();  // frees the snapshots (and closes the scratch file) now
  }

 private:
  static torch::ScalarType dtype(const training::PointState& s) {
    return s.job.train.dtype == config::DType::float64 ? torch::kFloat64 : torch::kFloat32;
  }
  void add_time(std::chrono::steady_clock::time_point began) {
    seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  }

  DiffusionOptions options_;
  DiffusionSchedule schedule_;
  bool momentum_;
  std::unique_ptr<DiffusionTracker> tracker_;
  std::vector<double> param_norm_, velocity_norm_;
  double seconds_ = 0.0;
};

DatasetSpec schedule_column(const char* path, std::vector<std::int64_t> values, std::string meaning) {
  DatasetSpec s;
  s.path = path;
  s.type = ElementType::int64;
  s.dims = {{Axis::fixed, static_cast<std::int64_t>(values.size())}};
  s.units = "steps";
  s.meaning = std::move(meaning);
  s.role = Role::job;
  s.content = [values] { return std::vector<double>(values.begin(), values.end()); };
  return s;
}

DatasetSpec two_time(const char* path, std::size_t n_tw, std::size_t n_lag, std::string units, std::string meaning,
                     const config::JobConfig& job) {
  DatasetSpec s = L::point_row_of(path, static_cast<std::int64_t>(n_tw), std::move(units), std::move(meaning), job);
  s.dims.push_back({Axis::fixed, static_cast<std::int64_t>(n_lag)});
  return s;
}

}  // namespace

std::shared_ptr<const config::ProbeOptions> DiffusionProbe::parse(config::OptionTable& table,
                                                                  const config::JobConfig& job) const {
  const std::int64_t steps = job.train.steps;
  if (steps < 2) {
    throw ConfigError("probes.diffusion: needs train.steps >= 2 (a waiting time and a lag); train.steps = " +
                      std::to_string(steps));
  }
  auto o = std::make_shared<DiffusionOptions>();
  o->waiting_times = table.integer("waiting_times", 1, 10000).value_or(o->waiting_times);
  o->tw_min = table.integer("tw_min", 1, steps - 1).value_or(std::min(o->tw_min, steps - 1));
  o->tw_max = table.integer("tw_max", 1, steps - 1).value_or(0);
  if (o->tw_max > 0 && o->tw_max < o->tw_min) {
    table.fail("tw_max", "allowed: at least tw_min (" + std::to_string(o->tw_min) + ") and below train.steps");
  }
  o->lags = table.integer("lags", 3, 10000).value_or(o->lags);
  o->fit_from = table.number("fit_from", 0.0, 0.9).value_or(o->fit_from);
  o->memory_mb = table.number("memory_mb", 0.0, 1e9).value_or(o->memory_mb);
  o->scratch = table.string("scratch").value_or("");
  return o;
}

std::vector<config::ProbeField> DiffusionProbe::fields(const config::ProbeOptions& options) const {
  // memory_mb and scratch change where snapshots live, not the results.
  const auto& o = dynamic_cast<const DiffusionOptions&>(options);
  return {{"waiting_times", std::to_string(o.waiting_times)},
          {"tw_min", std::to_string(o.tw_min)},
          {"tw_max", std::to_string(o.tw_max)},
          {"lags", std::to_string(o.lags)},
          {"fit_from", shortest_double(o.fit_from)}};
}

Layout DiffusionProbe::datasets(const config::JobConfig& job, const config::ProbeOptions& options) const {
  const auto& o = dynamic_cast<const DiffusionOptions&>(options);
  const DiffusionSchedule s = diffusion_schedule(job.train.steps, o);
  const std::size_t n_tw = s.waiting_times.size(), n_lag = s.lags.size();
  const auto tw = static_cast<std::int64_t>(n_tw);
  Layout l;
  l.push_back(schedule_column(kWaitingTime, s.waiting_times,
                              "The waiting times tw: distinct log-spaced steps in [tw_min, tw_max]."));
  l.push_back(schedule_column(kLag, s.lags, "The lags t: distinct log-spaced steps in [1, train.steps]."));
  l.push_back(two_time(kDelta, n_tw, n_lag, "1",
                       "Delta(tw, tw + t) = ||theta(tw + t) - theta(tw)||^2 / N [point, tw, t]; NaN where tw + t "
                       "was not reached.",
                       job));
  l.push_back(two_time(kRatio, n_tw, n_lag, "1",
                       "Y = D / Delta^2, D = sum_i (theta_i(tw + t) - theta_i(tw))^4 / N [point, tw, t].", job));
  l.push_back(L::point_row_of(kMsd, static_cast<std::int64_t>(n_lag), "1",
                              "Delta(0, t) = ||theta(t) - theta(0)||^2 / N at each lag: the distance from "
                              "initialisation.",
                              job));
  l.push_back(L::point_row_of(kExponent, tw, "1", "Exponent c of Delta(tw, tw + t) ~ t^c for each tw.", job));
  l.push_back(L::point_row_of(kExponentErr, tw, "1", "Standard error of the exponent for each tw.", job));
  l.push_back(L::point_row_of(kIntercept, tw, "1", "Intercept of the fit: ln Delta at t = 1 on the fitted line.", job));
  l.push_back(L::point_row_of(kFitPoints, tw, "1", "Lags in each tw's fit (values are NaN below 3).", job));
  l.push_back(L::point_row_of(kParamNorm, tw, "1", "||theta(tw)|| at each waiting time.", job));
  if (job.train.momentum > 0) {
    l.push_back(L::point_row_of(kVelocityNorm, tw, "1", "Norm of the momentum buffer at each waiting time.", job));
  }
  l.push_back(L::point_scalar(kFinalExponent, "1", "The exponent at the largest waiting time with a fit.",
                              "diffusion_exponent", job));
  l.push_back(L::point_scalar(kFinalExponentErr, "1", "Its standard error.", "diffusion_exponent_err", job));
  l.push_back(L::point_scalar(kFinalIntercept, "1", "Its intercept (ln Delta at t = 1 on the fitted line).",
                              "diffusion_intercept", job));
  l.push_back(
      L::point_scalar(kFinalWaitingTime, "steps", "The waiting time of diffusion_exponent.", "diffusion_tw", job));
  l.push_back(L::point_scalar(kMsdExponent, "1", "Exponent of the distance from initialisation, Delta(0, t) ~ t^c.",
                              "msd_exponent", job));
  l.push_back(L::point_scalar(kMsdExponentErr, "1", "Its standard error.", "msd_exponent_err", job));
  l.push_back(L::point_scalar(kMsdIntercept, "1", "Its intercept (ln Delta(0, t) at t = 1 on the fitted line).",
                              "msd_intercept", job));
  l.push_back(L::point_scalar(kSpilled, "1", "1 if the snapshots were spilled to the scratch file, else 0.", "", job));
  l.push_back(L::point_scalar(kSeconds, "s", "Wall time the probe took (snapshots, differences, fits).", "", job));
  return l;
}

std::unique_ptr<training::PointObserver> DiffusionProbe::observe(const config::JobConfig& job,
                                                                 const config::ProbeOptions& options,
                                                                 const config::GridPoint& /*point*/) const {
  return std::make_unique<DiffusionObserver>(job, dynamic_cast<const DiffusionOptions&>(options));
}

}  // namespace lsweep::probes
