#include "lsweep/probes/escape.hpp"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <limits>

#include "lsweep/common/error.hpp"
#include "lsweep/common/format.hpp"
#include "lsweep/config/grid.hpp"
#include "lsweep/config/layout.hpp"
#include "lsweep/curvature/hessian.hpp"
#include "lsweep/curvature/lanczos.hpp"
#include "lsweep/curvature/noise.hpp"
#include "lsweep/escape/first_passage.hpp"
#include "lsweep/training/host.hpp"
#include "lsweep/training/loss.hpp"
#include "lsweep/training/pack.hpp"

namespace lsweep::probes {
namespace {

namespace C = curvature;
namespace L = config::layout;
using P = EscapeProbe;

// What each random stream of a point is for (curvature::measurement_seed's purpose).
enum Purpose : std::uint64_t { kLanczosStart = 1, kMinibatchOrder = 2, kWhiteNoise = 3 };

// R copies of one network, stacked per parameter ([R, ...]) and trained
// together: plain steps theta <- theta - lr (gradient + noise), each copy on
// its own loss.
class Replicas {
 public:
  Replicas(const std::vector<torch::Tensor>& theta, std::int64_t count, const training::PointState& s)
      : count_(count),
        x_(s.x_train),
        y_(s.y_train),
        loss_(s.job.train.loss),
        binary_(config::output_dim(s.job.data) == 1) {
    for (const auto& t : theta) {
      std::vector<std::int64_t> reps(static_cast<std::size_t>(t.dim()) + 1, 1);
      reps[0] = count;
      params_.push_back(t.detach().unsqueeze(0).repeat(reps).requires_grad_(true));
      size_ += t.numel();
    }
  }

  std::int64_t size() const { return size_; }  // parameters of one copy
  const std::vector<torch::Tensor>& params() const { return params_; }

  // Each copy's mean loss [R] on its own samples (x [R, B, d], y [R, B]) or,
  // undefined x, on the whole training set.
  torch::Tensor losses(const torch::Tensor& x = {}, const torch::Tensor& y = {}) const {
    if (x.defined()) return training::compute_pack_losses(loss_, training::packed_mlp_forward(params_, x), y, binary_);
    const auto all_y = y_.unsqueeze(0).expand({count_, y_.size(0)});
    return training::compute_pack_losses(loss_, training::packed_mlp_forward(params_, x_), all_y, binary_);
  }

  // The whole training set's loss of each copy.
  std::vector<double> observe() const {
    torch::NoGradGuard no_grad;
    return training::host_doubles(losses());
  }

  // The gradient of each copy's loss (`losses` from losses()), per parameter [R, ...].
  std::vector<torch::Tensor> gradient(const torch::Tensor& losses) const {
    return torch::autograd::grad({losses.sum()}, params_);
  }

  // ||gradient|| of each copy.
  std::vector<double> norms(const std::vector<torch::Tensor>& grads) const {
    auto sq = torch::zeros({count_}, grads[0].options());
    for (const auto& g : grads) sq += g.detach().reshape({count_, -1}).square().sum(1);
    return training::host_doubles(sq.sqrt());
  }

  // theta <- theta - lr (gradient + noise); `noise` [R, D] flat per copy, or undefined.
  void apply(const std::vector<torch::Tensor>& grads, double lr, const torch::Tensor& noise = {}) {
    torch::NoGradGuard no_grad;
    std::int64_t at = 0;
    for (std::size_t i = 0; i < params_.size(); ++i) {
      torch::Tensor d = grads[i];
      const std::int64_t n = d[0].numel();
      if (noise.defined()) d = d + noise.slice(1, at, at + n).view_as(d);
      at += n;
      params_[i].sub_(d, lr);
    }
  }

 private:
  std::int64_t count_, size_ = 0;
  torch::Tensor x_, y_;
  config::LossKind loss_;
  bool binary_;
  std::vector<torch::Tensor> params_;
};

// The minimum found from theta0.
struct Minimum {
  std::vector<torch::Tensor> theta;  // one copy's parameters (parameters() shapes)
  double loss = kNaN, grad_norm = kNaN;
  std::int64_t steps = 0;
};

// What is measured there.
struct Curvature {
  C::Spectrum spectrum;
  double noise_trace = kNaN;
};

class EscapeObserver : public training::PointObserver {
 public:
  EscapeObserver(const EscapeOptions& o, const config::GridPoint& point) : o_(o), point_(point) {}

  void start(const training::PointState& s) override {
    for (const auto& p : s.model->parameters()) theta0_.push_back(p.detach().clone());
  }

  void finish(const training::PointState& s, Rows& rows) override {
    const auto started = std::chrono::steady_clock::now();
    const Minimum m = descend(s);
    rows[P::kMinimumLoss] = {m.loss};
    rows[P::kMinimumGradNorm] = {m.grad_norm};
    rows[P::kDescentSteps] = {static_cast<double>(m.steps)};
    if (std::isfinite(m.loss)) {
      const Curvature measured = measure(s, m);
      rows[P::kLambdaMax] = {measured.spectrum.top[0]};
      rows[P::kLambdaMin] = {measured.spectrum.bottom};
      rows[P::kTopEigenvalues] = measured.spectrum.top;
      rows[P::kNoiseTrace] = {measured.noise_trace};
      std::int64_t parameters = 0;
      for (const auto& t : m.theta) parameters += t.numel();
      const double white_std = std::sqrt(measured.noise_trace / static_cast<double>(parameters));
      rows[P::kWhiteNoiseStd] = {white_std};
      const double level = m.loss + o_.barrier;
      write(rows, P::kDynamics[0], escape::first_passages(o_.replicas, sgd(s, m), level, o_.budget, o_.check_every));
      write(rows, P::kDynamics[1],
            escape::first_passages(o_.replicas, white(s, m, white_std), level, o_.budget, o_.check_every));
    }
    rows[P::kSeconds] = {std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()};
  }

 private:
  std::uint64_t seed(std::int64_t stream, Purpose purpose) const {
    return C::measurement_seed(static_cast<std::uint64_t>(o_.seed), point_.id, stream, purpose);
  }

  // Full-batch GD at descent_lr from the point's initial parameters.
  Minimum descend(const training::PointState& s) const {
    Replicas gd(theta0_, 1, s);
    Minimum m;
    for (;; ++m.steps) {
      const auto loss = gd.losses();
      const auto grads = gd.gradient(loss);
      const double norm = gd.norms(grads)[0];
      if (!std::isfinite(norm) || norm <= o_.gradient_tolerance || m.steps == o_.descent_steps) {
        m.loss = loss.item<double>();
        m.grad_norm = norm;
        break;
      }
      gd.apply(grads, o_.descent_lr);
    }
    if (!std::isfinite(m.loss) || !std::isfinite(m.grad_norm)) m.loss = m.grad_norm = kNaN;
    for (const auto& p : gd.params()) m.theta.push_back(p.detach()[0].clone());
    return m;
  }

  // The Hessian's extreme eigenvalues and SGD's noise trace at the minimum, in float64.
  Curvature measure(const training::PointState& s, const Minimum& m) const {
    auto net = C::float64_copy(s.model);
    {
      torch::NoGradGuard no_grad;
      auto params = net->parameters();
      for (std::size_t i = 0; i < params.size(); ++i) params[i].copy_(m.theta[i]);
    }
    auto x = s.x_train.to(torch::kFloat64), y = s.y_train;
    if (y.is_floating_point()) y = y.to(torch::kFloat64);
    const C::LossFn loss = [&s](const torch::Tensor& out, const torch::Tensor& labels) { return s.loss(out, labels); };
    const std::int64_t n = x.size(0);
    C::HessianOperator h(net, x, y, loss, n);
    Curvature out;
    out.spectrum = C::extreme_eigenvalues(h, o_.top_k, std::min(o_.lanczos_steps, h.size()), seed(0, kLanczosStart));
    const auto g = C::per_sample_gradients(net, x, y, loss, n);
    const auto c = g - g.mean(0, true);
    out.noise_trace =
        C::minibatch_factor(point_.batch, n) * c.square().sum().item<double>() / static_cast<double>(n - 1);
    return out;
  }

  // SGD replicas: plain steps at the point's lr and batch, each replica its own minibatch order.
  escape::Advance sgd(const training::PointState& s, const Minimum& m) {
    auto replicas = std::make_shared<Replicas>(m.theta, o_.replicas, s);
    auto samplers = std::make_shared<std::vector<training::BatchSampler>>();
    const std::int64_t n = s.x_train.size(0), batch = point_.batch, d = s.x_train.size(1);
    for (std::int64_t r = 0; r < o_.replicas; ++r) samplers->emplace_back(n, batch, seed(r, kMinibatchOrder));
    const double lr = point_.lr;
    const auto x_all = s.x_train, y_all = s.y_train;
    const std::int64_t count = o_.replicas;
    return [=](std::int64_t steps, std::vector<double>& observed) {
      auto idx = torch::empty({count, batch}, torch::kInt64);
      for (std::int64_t t = 0; t < steps; ++t) {
        auto* out = idx.data_ptr<std::int64_t>();
        for (auto& sampler : *samplers) {
          sampler.next_into(out);
          out += batch;
        }
        const auto flat = idx.reshape({-1}).to(x_all.device());
        const auto x = x_all.index_select(0, flat).view({count, batch, d});
        const auto y = y_all.index_select(0, flat).view({count, batch});
        replicas->apply(replicas->gradient(replicas->losses(x, y)), lr);
      }
      observed = replicas->observe();
    };
  }

  // Full-batch GD plus isotropic Gaussian noise of standard deviation `std` per coordinate.
  escape::Advance white(const training::PointState& s, const Minimum& m, double std) {
    auto replicas = std::make_shared<Replicas>(m.theta, o_.replicas, s);
    auto rng = std::make_shared<C::VectorRng>(seed(0, kWhiteNoise));
    const double lr = point_.lr;
    const std::int64_t count = o_.replicas;
    const auto options = replicas->params()[0].options();
    return [=](std::int64_t steps, std::vector<double>& observed) {
      const std::int64_t size = replicas->size();
      for (std::int64_t t = 0; t < steps; ++t) {
        const auto noise = (rng->gaussian(count * size, options.dtype(torch::kFloat64)) * std).view({count, size});
        replicas->apply(replicas->gradient(replicas->losses()), lr, noise.to(options.dtype()));
      }
      observed = replicas->observe();
    };
  }

  void write(Rows& rows, const char* dynamics, const std::vector<escape::Passage>& passages) const {
    auto& times = rows[P::path(dynamics, "time")];
    auto& escaped = rows[P::path(dynamics, "escaped")];
    for (std::size_t r = 0; r < passages.size(); ++r) {
      times[r] = passages[r].time;
      escaped[r] = passages[r].escaped ? 1.0 : 0.0;
    }
    const auto e = escape::censored_mean(passages, o_.confidence);
    rows[P::path(dynamics, "tau")] = {e.tau};
    rows[P::path(dynamics, "tau_lower")] = {e.lower};
    rows[P::path(dynamics, "tau_upper")] = {e.upper};
    rows[P::path(dynamics, "escapes")] = {static_cast<double>(e.escaped)};
  }

  EscapeOptions o_;
  config::GridPoint point_;
  std::vector<torch::Tensor> theta0_;
};

}  // namespace

std::string EscapeProbe::path(const char* dynamics, const char* what) {
  return std::string("/probes/escape/") + dynamics + "_" + what;
}

std::shared_ptr<const config::ProbeOptions> EscapeProbe::parse(config::OptionTable& table,
                                                               const config::JobConfig& job) const {
  const auto& t = job.train;
  const auto refuse = [](const std::string& field, const std::string& value, const std::string& allowed) {
    throw ConfigError("probes.escape: its replicas are plain SGD on an MLP; this job has " + field + " = " + value +
                      "; allowed with it: " + allowed);
  };
  if (job.model.kind != config::ModelKind::mlp) {
    refuse("model.kind", "\"" + std::string(config::to_string(job.model.kind)) + "\"", "\"mlp\"");
  }
  if (t.optimizer != config::OptimizerKind::sgd) refuse("train.optimizer", "\"adam\"", "\"sgd\"");
  if (t.momentum != 0.0) refuse("train.momentum", shortest_double(t.momentum), "0 or absent");
  if (t.weight_decay != 0.0) refuse("train.weight_decay", shortest_double(t.weight_decay), "0 or absent");
  if (t.lr_decay.active()) refuse("train.lr_decay.factor", shortest_double(t.lr_decay.factor), "absent");
  auto o = std::make_shared<EscapeOptions>();
  const auto barrier = table.number("barrier", 0.0, 1e300, true);
  if (!barrier) table.fail("barrier", "allowed: a number > 0, the loss above the minimum's that counts as escaped");
  o->barrier = *barrier;
  const auto descent_lr = table.number("descent_lr", 0.0, 1e6, true);
  if (!descent_lr) table.fail("descent_lr", "allowed: a number > 0, the rate of the descent to the minimum");
  o->descent_lr = *descent_lr;
  o->descent_steps = table.integer("descent_steps", 0, 1000000000).value_or(o->descent_steps);
  o->gradient_tolerance = table.number("gradient_tolerance", 0.0, 1e300, false).value_or(o->gradient_tolerance);
  o->replicas = table.integer("replicas", 1, 4096).value_or(o->replicas);
  o->budget = table.integer("budget", 1, 1000000000).value_or(o->budget);
  o->check_every = table.integer("check_every", 1, o->budget).value_or(o->check_every);
  o->top_k = table.integer("top_k", 1, 64).value_or(o->top_k);
  o->lanczos_steps = table.integer("lanczos_steps", o->top_k, 10000).value_or(std::max(o->lanczos_steps, o->top_k));
  o->seed = table.integer("seed", 0, std::numeric_limits<std::int64_t>::max()).value_or(0);
  o->confidence = table.number("confidence", 0.0, 0.999999, true).value_or(o->confidence);
  return o;
}

std::vector<config::ProbeField> EscapeProbe::fields(const config::ProbeOptions& options) const {
  const auto& o = dynamic_cast<const EscapeOptions&>(options);
  return {{"barrier", shortest_double(o.barrier)},
          {"descent_lr", shortest_double(o.descent_lr)},
          {"descent_steps", std::to_string(o.descent_steps)},
          {"gradient_tolerance", shortest_double(o.gradient_tolerance)},
          {"replicas", std::to_string(o.replicas)},
          {"budget", std::to_string(o.budget)},
          {"check_every", std::to_string(o.check_every)},
          {"top_k", std::to_string(o.top_k)},
          {"lanczos_steps", std::to_string(o.lanczos_steps)},
          {"seed", std::to_string(o.seed)},
          {"confidence", shortest_double(o.confidence)}};
}

Layout EscapeProbe::datasets(const config::JobConfig& job, const config::ProbeOptions& options) const {
  const auto& o = dynamic_cast<const EscapeOptions&>(options);
  Layout l;
  const auto scalar = [&](const std::string& path, const char* units, const std::string& meaning) {
    l.push_back(
        L::point_scalar(path, units, meaning, "escape_" + path.substr(std::string("/probes/escape/").size()), job));
  };
  scalar(kMinimumLoss, "loss",
         "L*: the whole training set's loss at the minimum (full-batch GD at descent_lr from the point's initial "
         "parameters); NaN if the descent diverged.");
  scalar(kMinimumGradNorm, "loss", "Norm of the whole training set's gradient at the minimum.");
  scalar(kDescentSteps, "steps", "GD steps the descent took (descent_steps: it stopped before the tolerance).");
  scalar(kLambdaMax, "loss", "Largest Hessian eigenvalue at the minimum (Lanczos Ritz value, float64).");
  scalar(kLambdaMin, "loss", "Smallest Ritz value of the same Lanczos run (>= 0 up to rounding at a minimum).");
  l.push_back(L::point_row_of(kTopEigenvalues, o.top_k, "loss",
                              "The top_k largest Hessian eigenvalues at the minimum, descending.", job));
  scalar(kNoiseTrace, "loss^2",
         "tr C: trace of the covariance of a minibatch gradient at the point's batch at the minimum, "
         "(P - B) / (P B) sum_i ||g_i - g||^2 / (P - 1) over all P per-sample gradients.");
  scalar(kWhiteNoiseStd, "loss",
         "s = sqrt(tr C / D): the white-noise replicas' standard deviation per coordinate of the gradient noise.");
  for (const char* d : kDynamics) {
    const std::string who = std::string(d) == "sgd" ? "SGD replica" : "white-noise replica";
    l.push_back(L::point_row_of(path(d, "time"), o.replicas, "steps",
                                "Each " + who +
                                    "'s first-passage time: the first check (every check_every steps) at "
                                    "which its loss exceeded minimum_loss + barrier; the budget if it never did.",
                                job));
    l.push_back(L::point_row_of(path(d, "escaped"), o.replicas, "1",
                                "1 where the " + who + " escaped, 0 where it was censored at the budget.", job));
    scalar(path(d, "tau"), "steps",
           "Mean escape time of the " + who +
               "s: total time / escapes (censored maximum likelihood); +inf "
               "without escapes.");
    scalar(path(d, "tau_lower"), "steps", "Lower end of tau's confidence interval (chi-squared, censored).");
    scalar(path(d, "tau_upper"), "steps", "Upper end of tau's confidence interval; +inf without escapes.");
    scalar(path(d, "escapes"), "1", "How many " + who + "s escaped within the budget.");
  }
  scalar(kSeconds, "s", "Wall-clock time of the escape experiment of the point (descent, Hessian, replicas).");
  return l;
}

std::unique_ptr<training::PointObserver> EscapeProbe::observe(const config::JobConfig& /*job*/,
                                                              const config::ProbeOptions& options,
                                                              const config::GridPoint& point) const {
  return std::make_unique<EscapeObserver>(dynamic_cast<const EscapeOptions&>(options), point);
}

}  // namespace lsweep::probes
