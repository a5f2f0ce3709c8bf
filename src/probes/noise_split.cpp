#include "lsweep/probes/noise_split.hpp"

#include <torch/torch.h>

#include <cmath>

#include "lsweep/common/error.hpp"
#include "lsweep/config/grid.hpp"
#include "lsweep/config/layout.hpp"
#include "lsweep/training/dataset.hpp"
#include "lsweep/training/host.hpp"

namespace lsweep::probes {
namespace {

namespace L = config::layout;
namespace C = curvature;
using P = NoiseSplitProbe;

double mean_of(const torch::Tensor& t) { return t.mean().item<double>(); }

// The grid of the fitted function: G points from x_min to x_max, ends exact.
std::vector<double> grid_of(const config::JobConfig& job, const NoiseSplitOptions& o) {
  return config::spaced_values(job.data.x_min, job.data.x_max, o.grid_points, false);
}

torch::Tensor column(const std::vector<double>& values) { return torch::tensor(values, torch::kFloat64).unsqueeze(1); }

class NoiseSplitObserver : public training::PointObserver {
 public:
  NoiseSplitObserver(const config::JobConfig& job, const NoiseSplitOptions& o)
      : sigma_(job.data.noise), grid_(column(grid_of(job, o))) {}

  void start(const training::PointState& s) override {
    x_ = s.x_train.to(torch::kCPU, torch::kFloat64);
    y_ = s.y_train.to(torch::kCPU, torch::kFloat64);
    teacher_ = training::teacher_values(s.job.data, x_);
  }

  void checkpoint(const training::PointState& s, std::size_t k, Rows& rows) override {
    last_ = measure(s);
    last_step_ = s.step;
    rows[P::kIntrinsic][k] = last_.intrinsic;
    rows[P::kExploration][k] = last_.exploration;
    rows[P::kRealisedIntrinsic][k] = last_.realised_intrinsic;
    rows[P::kCross][k] = last_.cross;
    rows[P::kTotal][k] = last_.total;
    rows[P::kCentredTotal][k] = last_.centred_total;
    rows[P::kIntrinsicShare][k] = last_.intrinsic_share();
    rows[P::kTeacherMse][k] = last_.teacher_mse;
  }

  void finish(const training::PointState& s, Rows& rows) override {
    if (last_step_ != s.step) last_ = measure(s);
    rows[P::kFinalIntrinsic] = {last_.intrinsic};
    rows[P::kFinalExploration] = {last_.exploration};
    rows[P::kFinalIntrinsicShare] = {last_.intrinsic_share()};
    rows[P::kFinalTeacherMse] = {last_.teacher_mse};
    auto model = C::float64_copy(s.model);
    torch::NoGradGuard no_grad;
    rows[P::kFit] = training::host_doubles(model->forward(grid_));
  }

 private:
  NoiseSplit measure(const training::PointState& s) const {
    auto model = C::float64_copy(s.model);
    return noise_split(model, x_, y_, teacher_, sigma_,
                       [&s](const torch::Tensor& out, const torch::Tensor& y) { return s.loss(out, y); });
  }

  double sigma_;
  torch::Tensor grid_, x_, y_, teacher_;
  NoiseSplit last_;
  std::int64_t last_step_ = -1;
};

}  // namespace

double NoiseSplit::intrinsic_share() const {
  const double sum = intrinsic + exploration;
  return sum > 0.0 ? intrinsic / sum : kNaN;
}

NoiseSplit noise_split(torch::nn::Sequential& model, const torch::Tensor& x, const torch::Tensor& y,
                       const torch::Tensor& teacher, double sigma, const C::LossFn& loss) {
  const std::int64_t n = x.size(0);
  const auto output = [](const torch::Tensor& out, const torch::Tensor& /*y*/) { return out.sum(); };
  const auto grad_h = C::per_sample_gradients(model, x, y, output, n);  // rows grad h(x_i)
  const auto g = C::per_sample_gradients(model, x, y, loss, n);         // rows grad l_i
  torch::Tensor h;
  {
    torch::NoGradGuard no_grad;
    h = model->forward(x).reshape({-1}).to(torch::kFloat64);
  }
  const auto q = grad_h.square().sum(1);  // ||grad h_i||^2
  const auto delta = teacher.to(torch::kFloat64) - h, eps = y.to(torch::kFloat64) - teacher.to(torch::kFloat64);
  NoiseSplit out;
  out.intrinsic = sigma * sigma * mean_of(q);
  out.exploration = mean_of(delta.square() * q);
  out.realised_intrinsic = mean_of(eps.square() * q);
  out.cross = 2.0 * mean_of(eps * delta * q);
  out.total = mean_of(g.square().sum(1));
  out.centred_total = mean_of((g - g.mean(0)).square().sum(1));
  out.teacher_mse = mean_of(delta.square());
  return out;
}

std::shared_ptr<const config::ProbeOptions> NoiseSplitProbe::parse(config::OptionTable& table,
                                                                   const config::JobConfig& job) const {
  if (job.data.kind != config::DataKind::tanh_teacher) {
    throw ConfigError(std::string("probes.noise_split: needs data.kind = \"tanh_teacher\" (the teacher and the noise "
                                  "level split the gradient noise); this job has data.kind = \"") +
                      config::to_string(job.data.kind) + "\"");
  }
  auto o = std::make_shared<NoiseSplitOptions>();
  o->grid_points = table.integer("grid_points", 2, 100000).value_or(o->grid_points);
  return o;
}

std::vector<config::ProbeField> NoiseSplitProbe::fields(const config::ProbeOptions& options) const {
  return {{"grid_points", std::to_string(dynamic_cast<const NoiseSplitOptions&>(options).grid_points)}};
}

Layout NoiseSplitProbe::datasets(const config::JobConfig& job, const config::ProbeOptions& options) const {
  const auto& o = dynamic_cast<const NoiseSplitOptions&>(options);
  const auto grid = grid_of(job, o);
  const std::string per_sample = " of the per-sample gradient noise at each checkpoint step (mean over the P samples)";
  Layout l;
  l.push_back(L::point_series(kIntrinsic, "loss^2",
                              "sigma^2 mean_i ||grad h(x_i)||^2: trace of the intrinsic term" + per_sample + ".", job));
  l.push_back(L::point_series(kExploration, "loss^2",
                              "mean_i Delta_i^2 ||grad h(x_i)||^2, Delta = teacher - h: trace of the exploration "
                              "term" +
                                  per_sample + ".",
                              job));
  l.push_back(L::point_series(kRealisedIntrinsic, "loss^2",
                              "mean_i eps_i^2 ||grad h(x_i)||^2: the intrinsic term with the drawn noise eps_i = y_i - "
                              "teacher(x_i) for sigma^2.",
                              job));
  l.push_back(L::point_series(kCross, "loss^2",
                              "2 mean_i eps_i Delta_i ||grad h(x_i)||^2: total = realised_intrinsic + exploration + "
                              "cross.",
                              job));
  l.push_back(L::point_series(kTotal, "loss^2",
                              "mean_i ||g_i||^2 from per-sample gradients g_i of the loss: the trace of the uncentred "
                              "per-sample covariance.",
                              job));
  l.push_back(L::point_series(kCentredTotal, "loss^2",
                              "mean_i ||g_i - mean g||^2: the trace of the per-sample covariance Sigma.", job));
  l.push_back(L::point_series(kIntrinsicShare, "1", "intrinsic / (intrinsic + exploration).", job));
  l.push_back(L::point_series(kTeacherMse, "y^2",
                              "mean_i Delta_i^2: squared distance from the teacher on the "
                              "training inputs.",
                              job));
  l.push_back(
      L::point_scalar(kFinalIntrinsic, "loss^2", "intrinsic after the last step taken.", "noise_intrinsic", job));
  l.push_back(
      L::point_scalar(kFinalExploration, "loss^2", "exploration after the last step taken.", "noise_exploration", job));
  l.push_back(L::point_scalar(kFinalIntrinsicShare, "1", "intrinsic_share after the last step taken.",
                              "noise_intrinsic_share", job));
  l.push_back(
      L::point_scalar(kFinalTeacherMse, "y^2", "teacher_mse after the last step taken.", "noise_teacher_mse", job));
  l.push_back(coordinate_column(kGridX, grid, "x", "The inputs of fit and teacher: grid_points from x_min to x_max."));
  l.push_back(coordinate_column(kTeacher, training::host_doubles(training::teacher_values(job.data, column(grid))), "y",
                                "The teacher h*(x) at grid_x."));
  l.push_back(
      L::point_row_of(kFit, o.grid_points, "y", "The fitted function h(x) at grid_x after the last step taken.", job));
  return l;
}

std::unique_ptr<training::PointObserver> NoiseSplitProbe::observe(const config::JobConfig& job,
                                                                  const config::ProbeOptions& options,
                                                                  const config::GridPoint& /*point*/) const {
  return std::make_unique<NoiseSplitObserver>(job, dynamic_cast<const NoiseSplitOptions&>(options));
}

}  // namespace lsweep::probes
