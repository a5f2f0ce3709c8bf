#include "lsweep/probes/jamming.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>

#include "lsweep/common/error.hpp"
#include "lsweep/common/format.hpp"
#include "lsweep/config/grid.hpp"
#include "lsweep/config/layout.hpp"
#include "lsweep/training/model.hpp"

namespace lsweep::probes {
namespace {

namespace L = config::layout;
using P = JammingProbe;

std::size_t bin_of(double magnitude, std::int64_t bins, double lo, double hi) {
  if (!(magnitude > 0)) return 0;
  const double x = (std::log10(magnitude) - lo) / (hi - lo) * static_cast<double>(bins);
  return static_cast<std::size_t>(std::clamp(std::floor(x), 0.0, static_cast<double>(bins - 1)));
}

}  // namespace

bool plateaued(const std::vector<double>& losses, std::int64_t window, double rel) {
  const auto w = static_cast<std::size_t>(window);
  return w > 0 && losses.size() > w && !(losses.back() < (1.0 - rel) * losses[losses.size() - 1 - w]);
}

std::int64_t weight_count(std::int64_t in, std::int64_t width, std::int64_t depth, std::int64_t out) {
  return in * width + (depth - 1) * width * width + width * out;
}

Gaps measure_gaps(const torch::Tensor& f, const torch::Tensor& y, double tolerance, std::int64_t bins, double lo,
                  double hi) {
  const auto delta = (1.0 - y.reshape({-1}).to(torch::kCPU, torch::kFloat64) *
                                f.detach().reshape({-1}).to(torch::kCPU, torch::kFloat64))
                         .contiguous();
  Gaps g;
  g.satisfied.assign(static_cast<std::size_t>(bins), 0.0);
  g.unsatisfied.assign(static_cast<std::size_t>(bins), 0.0);
  const double* d = delta.data_ptr<double>();
  double sum_sq = 0.0;
  for (std::int64_t i = 0; i < delta.numel(); ++i) {
    // A non-finite gap (a diverged network) is unsatisfied and an error: its
    // histogram bin is the last.
    const bool finite = std::isfinite(d[i]);
    if (d[i] > 0 || !finite) {
      ++g.n_delta;
      sum_sq += d[i] * d[i];
      g.unsatisfied[finite ? bin_of(d[i], bins, lo, hi) : static_cast<std::size_t>(bins - 1)] += 1.0;
    } else {
      g.satisfied[bin_of(-d[i], bins, lo, hi)] += 1.0;
    }
    if (d[i] > tolerance || !finite) ++g.n_delta_tol;
    if (d[i] >= 1.0 || !finite) ++g.errors;  // y f <= 0
  }
  g.hinge_loss = delta.numel() > 0 ? 0.5 * sum_sq / static_cast<double>(delta.numel()) : 0.0;
  return g;
}

DeadUnits dead_units(torch::nn::Sequential& model, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  DeadUnits out;
  torch::Tensor h = x;
  for (std::size_t i = 0; i < model->size(); ++i) {
    if (auto* linear = model[i]->as<torch::nn::Linear>()) {
      h = linear->forward(h);
    } else {  // make_mlp's other layers are ReLUs
      h = torch::relu(h);
      out.per_layer.push_back((h > 0).any(0).logical_not().sum().item<std::int64_t>());
    }
  }
  out.constant_output = h.size(0) == 0 || (h - h[0]).abs().max().item<double>() == 0.0;
  return out;
}

namespace {

// What a point's observer and its stop criterion share: the model and data
// (from start()), the last look at the training set, and the stop's reason.
struct JammingState {
  const JammingOptions* options = nullptr;
  torch::nn::Sequential* model = nullptr;
  const torch::Tensor* x = nullptr;
  const torch::Tensor* y = nullptr;
  std::int64_t measured_at = -1;
  Gaps last;
  std::optional<std::int64_t> fit_step;
  std::vector<double> losses;  // the hinge loss at every check, in order
  double stop_reason = P::kBudget;

  const Gaps& at(std::int64_t step) {
    if (step != measured_at) {
      torch::NoGradGuard no_grad;
      last = measure_gaps((*model)->forward(*x), *y, options->tolerance, options->bins, options->log10_min,
                          options->log10_max);
      measured_at = step;
      if (last.n_delta_tol == 0 && !fit_step) fit_step = step;
    }
    return last;
  }
};

class JammingStop : public training::StopCriterion {
 public:
  JammingStop(std::shared_ptr<JammingState> state, std::vector<std::int64_t> checkpoints)
      : state_(std::move(state)), checkpoints_(std::move(checkpoints)) {}

  std::optional<training::StopReason> check(const training::StepReport& r) override {
    const auto& o = *state_->options;
    const bool at_checkpoint = std::binary_search(checkpoints_.begin(), checkpoints_.end(), r.step);
    if (!(at_checkpoint || (o.check_every > 0 && r.step % o.check_every == 0)) || !state_->model) return std::nullopt;
    const Gaps& g = state_->at(r.step);
    auto& losses = state_->losses;
    losses.push_back(g.hinge_loss);
    if (o.stop_when_fitted && g.n_delta_tol == 0) {
      state_->stop_reason = P::kConverged;
      return training::StopReason{PointStatus::done, ""};
    }
    if (plateaued(losses, o.plateau_checks, o.plateau_rel)) {
      state_->stop_reason = P::kStuck;
      return training::StopReason{PointStatus::done, ""};
    }
    return std::nullopt;
  }

 private:
  std::shared_ptr<JammingState> state_;
  std::vector<std::int64_t> checkpoints_;
};

class JammingObserver : public training::PointObserver {
 public:
  JammingObserver(const config::JobConfig& job, const JammingOptions& o, std::int64_t width)
      : options_(o),
        checkpoints_(config::checkpoint_steps(job.train.steps, job.train.checkpoints)),
        weights_(static_cast<double>(weight_count(config::input_dim(job.data), width, job.model.depth, 1))),
        params_(
            static_cast<double>(training::mlp_parameter_count(config::input_dim(job.data), width, job.model.depth, 1))),
        bisected_(job.grid.bisect > 0),
        state_(std::make_shared<JammingState>()) {
    state_->options = &options_;
  }

  void start(const training::PointState& s) override {
    state_->model = &s.model;
    state_->x = &s.x_train;
    state_->y = &s.y_train;
  }

  std::unique_ptr<training::StopCriterion> stop_criterion() override {
    return std::make_unique<JammingStop>(state_, checkpoints_);
  }

  void checkpoint(const training::PointState& s, std::size_t k, Rows& rows) override {
    const Gaps& g = state_->at(s.step);
    rows[P::kNDelta][k] = static_cast<double>(g.n_delta);
    rows[P::kNDeltaTol][k] = static_cast<double>(g.n_delta_tol);
    rows[P::kHingeLoss][k] = g.hinge_loss;
    rows[P::kErrors][k] = static_cast<double>(g.errors);
  }

  void finish(const training::PointState& s, Rows& rows) override {
    const Gaps g = state_->at(s.step);
    const double p = static_cast<double>(s.x_train.size(0));
    if (bisected_) {  // results, not job columns (see datasets())
      rows[P::kWeightCount] = {weights_};
      rows[P::kParamCount] = {params_};
    }
    rows[P::kFinalNDelta] = {static_cast<double>(g.n_delta)};
    rows[P::kFinalNDeltaTol] = {static_cast<double>(g.n_delta_tol)};
    rows[P::kNDeltaOverP] = {static_cast<double>(g.n_delta) / p};
    rows[P::kNDeltaOverN] = {static_cast<double>(g.n_delta) / weights_};
    rows[P::kFinalErrors] = {static_cast<double>(g.errors)};
    rows[P::kFinalHingeLoss] = {g.hinge_loss};
    rows[P::kFitted] = {g.n_delta_tol == 0 ? 1.0 : 0.0};
    rows[P::kFitStep] = {state_->fit_step ? static_cast<double>(*state_->fit_step) : kNaN};
    rows[P::kStopReason] = {state_->stop_reason};
    rows[P::kGapsSatisfied] = g.satisfied;
    rows[P::kGapsUnsatisfied] = g.unsatisfied;
    const DeadUnits dead = dead_units(s.model, s.x_train);
    rows[P::kDeadUnits] = std::vector<double>(dead.per_layer.begin(), dead.per_layer.end());
    rows[P::kDeadNetwork] = {dead.constant_output ? 1.0 : 0.0};
  }

 private:
  JammingOptions options_;
  std::vector<std::int64_t> checkpoints_;
  double weights_, params_;
  bool bisected_;
  std::shared_ptr<JammingState> state_;
};

std::shared_ptr<const std::vector<double>> counts(const config::JobConfig& job, bool biases) {
  auto out = std::make_shared<std::vector<double>>();
  const auto in = config::input_dim(job.data);
  for (const auto& p : config::expand_grid(job)) {
    out->push_back(static_cast<double>(biases ? training::mlp_parameter_count(in, p.width, job.model.depth, 1)
                                              : weight_count(in, p.width, job.model.depth, 1)));
  }
  return out;
}

}  // namespace

std::shared_ptr<const config::ProbeOptions> JammingProbe::parse(config::OptionTable& table,
                                                                const config::JobConfig& job) const {
  if (job.model.kind != config::ModelKind::mlp || job.data.kind == config::DataKind::tanh_teacher) {
    throw ConfigError(
        "probes.jamming: needs an MLP (model.kind = \"mlp\") on +-1 labels; this job has model.kind = \"" +
        std::string(config::to_string(job.model.kind)) + "\" and data.kind = \"" + config::to_string(job.data.kind) +
        "\"");
  }
  if (config::output_dim(job.data) != 1) {
    throw ConfigError(
        "probes.jamming: needs binary labels (+-1, one output): data.binary = true, or data.kind = \"gaussian\"; "
        "this job has 10 classes");
  }
  auto o = std::make_shared<JammingOptions>();
  o->tolerance = table.number("tolerance", 0.0, 1.0).value_or(o->tolerance);
  o->check_every = table.integer("check_every", 0, job.train.steps).value_or(0);
  o->stop_when_fitted = table.boolean("stop_when_fitted").value_or(true);
  o->plateau_checks = table.integer("plateau_checks", 0, 1000000).value_or(0);
  o->plateau_rel = table.number("plateau_rel", 0.0, 1.0).value_or(o->plateau_rel);
  o->bins = table.integer("bins", 1, 10000).value_or(o->bins);
  o->log10_min = table.number("log10_min", -300.0, 300.0).value_or(o->log10_min);
  o->log10_max = table.number("log10_max", -300.0, 300.0).value_or(o->log10_max);
  if (!(o->log10_max > o->log10_min)) {
    table.fail(table.number("log10_max", -300.0, 300.0) ? "log10_max" : "log10_min",
               "allowed: log10_max > log10_min (" + shortest_double(o->log10_min) + ")");
  }
  return o;
}

std::vector<config::ProbeField> JammingProbe::fields(const config::ProbeOptions& options) const {
  const auto& o = dynamic_cast<const JammingOptions&>(options);
  return {{"tolerance", shortest_double(o.tolerance)},
          {"check_every", std::to_string(o.check_every)},
          {"stop_when_fitted", o.stop_when_fitted ? "true" : "false"},
          {"plateau_checks", std::to_string(o.plateau_checks)},
          {"plateau_rel", shortest_double(o.plateau_rel)},
          {"bins", std::to_string(o.bins)},
          {"log10_min", shortest_double(o.log10_min)},
          {"log10_max", shortest_double(o.log10_max)}};
}

Layout JammingProbe::datasets(const config::JobConfig& job, const config::ProbeOptions& options) const {
  const auto& o = dynamic_cast<const JammingOptions&>(options);
  Layout l;
  // Job columns (int64, at creation); with grid.bisect results (float64,
  // with the row): a bisected width is known only when its point runs.
  const char* weights = "N: the network's weights without biases, d h + (L - 1) h^2 + h (Geiger et al.).";
  const char* params = "The network's weights and biases.";
  if (job.grid.bisect == 0) {
    l.push_back(job_column(kWeightCount, counts(job, false), "weights", weights, job));
    l.push_back(job_column(kParamCount, counts(job, true), "parameters", params, job));
  } else {
    l.push_back(L::point_scalar(kWeightCount, "weights", weights, "", job));
    l.push_back(L::point_scalar(kParamCount, "parameters", params, "", job));
  }
  DatasetSpec edges;
  edges.path = kHistEdges;
  edges.dims = {{Axis::fixed, o.bins + 1}};
  edges.units = "1";
  edges.meaning = "log10 |Delta| at the edges of the gap histograms' bins.";
  edges.role = Role::job;
  edges.content = [o] {
    std::vector<double> v;
    for (std::int64_t i = 0; i <= o.bins; ++i) {
      v.push_back(o.log10_min + (o.log10_max - o.log10_min) * static_cast<double>(i) / static_cast<double>(o.bins));
    }
    return v;
  };
  l.push_back(std::move(edges));
  l.push_back(
      L::point_series(kNDelta, "1", "N_Delta: training samples with Delta = 1 - y f > 0, at each checkpoint.", job));
  l.push_back(L::point_series(kNDeltaTol, "1", "Training samples with Delta > tolerance, at each checkpoint.", job));
  l.push_back(L::point_series(kHingeLoss, "loss", "(1/2P) sum max(0, Delta)^2 at each checkpoint.", job));
  l.push_back(L::point_series(kErrors, "1", "Misclassified training samples (y f <= 0) at each checkpoint.", job));
  l.push_back(L::point_scalar(kFinalNDelta, "1", "N_Delta after the last step.", "n_delta", job));
  l.push_back(
      L::point_scalar(kFinalNDeltaTol, "1", "Samples with Delta > tolerance after the last step.", "n_delta_tol", job));
  l.push_back(L::point_scalar(kNDeltaOverP, "1", "N_Delta / P.", "n_delta_over_p", job));
  l.push_back(L::point_scalar(kNDeltaOverN, "1", "N_Delta / N (N: weight_count).", "n_delta_over_n", job));
  l.push_back(
      L::point_scalar(kFinalErrors, "1", "Misclassified training samples after the last step.", "train_errors", job));
  l.push_back(
      L::point_scalar(kFinalHingeLoss, "loss", "The quadratic hinge loss after the last step.", "hinge_loss", job));
  l.push_back(L::point_scalar(kFitted, "1", "1 if no sample has Delta > tolerance after the last step, else 0.",
                              "fitted", job));
  l.push_back(L::point_scalar(kFitStep, "steps", "The first checked step with no Delta > tolerance; NaN if none.",
                              "fit_step", job));
  l.push_back(L::point_scalar(kStopReason, "1", "0: step budget (or the trainer's own stop); 1: fitted; 2: stuck.",
                              "stop_reason", job));
  l.push_back(L::point_row_of(kDeadUnits, job.model.depth, "1",
                              "Hidden units of each layer whose ReLU output is 0 on every training sample, at the end.",
                              job));
  l.push_back(L::point_scalar(kDeadNetwork, "1",
                              "1 if the output is the same for every training sample at the end (dead network).",
                              "dead_network", job));
  l.push_back(L::point_row_of(kGapsSatisfied, o.bins, "1",
                              "Histogram of -Delta over the satisfied samples (Delta <= 0) on the hist_edges bins.",
                              job));
  l.push_back(L::point_row_of(kGapsUnsatisfied, o.bins, "1",
                              "Histogram of Delta over the unsatisfied samples (Delta > 0) on the hist_edges bins.",
                              job));
  return l;
}

std::unique_ptr<training::PointObserver> JammingProbe::observe(const config::JobConfig& job,
                                                               const config::ProbeOptions& options,
                                                               const config::GridPoint& point) const {
  return std::make_unique<JammingObserver>(job, dynamic_cast<const JammingOptions&>(options), point.width);
}

}  // namespace lsweep::probes
