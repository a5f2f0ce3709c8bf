#include "lsweep/probes/weights.hpp"

#include <torch/torch.h>

#include <cmath>

#include "lsweep/config/grid.hpp"
#include "lsweep/config/layout.hpp"
#include "lsweep/training/host.hpp"
#include "lsweep/training/model.hpp"

namespace lsweep::probes {
namespace {

namespace L = config::layout;
using P = WeightsProbe;

// Every parameter, flattened in parameters() order, as one float64 vector.
torch::Tensor flat(const std::vector<torch::Tensor>& tensors) { return flatten_to_cpu(tensors, torch::kFloat64); }

double l2(const torch::Tensor& v) { return std::sqrt(v.square().sum().item<double>()); }

// Parameters of each point's network: the packed rows' lengths.
std::vector<std::int64_t> parameter_counts(const config::JobConfig& job) {
  std::vector<std::int64_t> out;
  for (const auto& p : config::expand_grid(job)) out.push_back(training::parameter_count(job, p.width));
  return out;
}

DatasetSpec packed_params(const char* path, const PackedOffsets& offsets, std::string meaning) {
  DatasetSpec s;
  s.path = path;
  s.dims = {{Axis::packed, offsets->back()}};
  s.fill = kNaN;
  s.units = "1";
  s.meaning = std::move(meaning);
  s.packed = offsets;
  return s;
}

class WeightsObserver : public training::PointObserver {
 public:
  WeightsObserver(bool momentum, const WeightsOptions& o)
      : momentum_(momentum), grad_norm_(o.grad_norm), store_params_(o.store_params) {}

  bool wants_full_gradient() const override { return grad_norm_; }

  void start(const training::PointState& s) override { theta0_ = flat(s.model->parameters()); }

  void checkpoint(const training::PointState& s, std::size_t k, Rows& rows) override {
    const Values v = measure(s);
    rows[P::kParamNorm][k] = v.param_norm;
    rows[P::kDistanceSq][k] = v.distance_sq;
    if (grad_norm_) rows[P::kGradNorm][k] = v.grad_norm;
    if (momentum_) rows[P::kMomentumNorm][k] = l2(flat(s.optimizer.momentum_buffers()));
  }

  void finish(const training::PointState& s, Rows& rows) override {
    const Values v = measure(s);
    rows[P::kFinalParamNorm] = {v.param_norm};
    rows[P::kFinalDistanceSq] = {v.distance_sq};
    if (grad_norm_) rows[P::kFinalGradNorm] = {v.grad_norm};
    if (store_params_) {
      rows[P::kInitialParams] = training::host_doubles(theta0_);
      rows[P::kFinalParams] = training::host_doubles(v.theta);
    }
  }

 private:
  struct Values {
    torch::Tensor theta;
    double param_norm, distance_sq, grad_norm;
  };

  Values measure(const training::PointState& s) const {
    Values v;
    v.theta = flat(s.model->parameters());
    v.param_norm = l2(v.theta);
    v.distance_sq = (v.theta - theta0_).square().sum().item<double>();
    v.grad_norm = grad_norm_ ? l2(flat(s.full_gradient)) : kNaN;
    return v;
  }

  bool momentum_, grad_norm_, store_params_;
  torch::Tensor theta0_;
};

}  // namespace

std::shared_ptr<const config::ProbeOptions> WeightsProbe::parse(config::OptionTable& table,
                                                                const config::JobConfig& /*job*/) const {
  auto options = std::make_shared<WeightsOptions>();
  options->grad_norm = table.boolean("grad_norm").value_or(true);
  options->store_params = table.boolean("store_params").value_or(false);
  return options;
}

std::vector<config::ProbeField> WeightsProbe::fields(const config::ProbeOptions& options) const {
  const auto& o = dynamic_cast<const WeightsOptions&>(options);
  return {{"grad_norm", o.grad_norm ? "true" : "false"}, {"store_params", o.store_params ? "true" : "false"}};
}

Layout WeightsProbe::datasets(const config::JobConfig& job, const config::ProbeOptions& options) const {
  const auto& o = dynamic_cast<const WeightsOptions&>(options);
  Layout l;
  l.push_back(L::point_series(kParamNorm, "1", "||theta|| (all weights and biases) at each checkpoint step.", job));
  l.push_back(L::point_series(kDistanceSq, "1", "||theta_t - theta_0||^2: squared distance from initialisation.", job));
  if (o.grad_norm) {
    l.push_back(L::point_series(
        kGradNorm, "loss", "Norm of the gradient of the whole training set's mean loss at each checkpoint step.", job));
  }
  if (job.train.momentum > 0) {
    l.push_back(L::point_series(kMomentumNorm, "1",
                                "Norm of the momentum buffer at each checkpoint step (0 before the first step).", job));
  }
  l.push_back(L::point_scalar(kFinalParamNorm, "1", "||theta|| after the last step taken.", "weights_param_norm", job));
  l.push_back(L::point_scalar(kFinalDistanceSq, "1", "||theta - theta_0||^2 after the last step taken.",
                              "weights_distance_sq", job));
  if (o.grad_norm) {
    l.push_back(L::point_scalar(kFinalGradNorm, "loss",
                                "Norm of the whole training set's gradient after the last step.", "weights_grad_norm",
                                job));
  }
  if (!o.store_params) return l;
  const auto counts = parameter_counts(job);
  auto offsets = std::make_shared<std::vector<std::int64_t>>(1, 0);
  for (auto c : counts) offsets->push_back(offsets->back() + c);
  const auto count_values = std::make_shared<const std::vector<double>>(counts.begin(), counts.end());
  const auto offset_values = std::make_shared<const std::vector<double>>(offsets->begin(), offsets->end() - 1);
  l.push_back(
      job_column(kParamCount, count_values, "parameters", "Parameters of the point's network (its row length).", job));
  l.push_back(job_column(kParamOffset, offset_values, "parameters",
                         "Where the point's row starts in initial_params and final_params.", job));
  l.push_back(packed_params(kInitialParams, offsets,
                            "Every point's initial parameters, flattened in parameters() order, rows packed end to "
                            "end: point i is [param_offset[i], param_offset[i] + param_count[i])."));
  l.push_back(packed_params(kFinalParams, offsets, "Every point's parameters after its last step, as initial_params."));
  return l;
}

std::unique_ptr<training::PointObserver> WeightsProbe::observe(const config::JobConfig& job,
                                                               const config::ProbeOptions& options,
                                                               const config::GridPoint& /*point*/) const {
  return std::make_unique<WeightsObserver>(job.train.momentum > 0, dynamic_cast<const WeightsOptions&>(options));
}

}  // namespace lsweep::probes
