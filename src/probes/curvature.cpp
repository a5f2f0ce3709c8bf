#include "lsweep/probes/curvature.hpp"

#include <torch/torch.h>

#include <chrono>
#include <cmath>

#include "lsweep/common/format.hpp"
#include "lsweep/config/grid.hpp"
#include "lsweep/config/layout.hpp"
#include "lsweep/curvature/hessian.hpp"
#include "lsweep/curvature/lanczos.hpp"
#include "lsweep/curvature/noise.hpp"
#include "lsweep/curvature/trace.hpp"

namespace lsweep::probes {
namespace {

namespace L = config::layout;
namespace C = curvature;
using P = CurvatureProbe;

// Purposes of the random vectors of one measurement (each its own stream).
enum Purpose : std::uint64_t { kLanczosStart = 1, kTraceVectors = 2, kDensityVectors = 3 };

struct Measurement {
  std::int64_t step = -1;
  C::Spectrum spectrum;
  C::TraceEstimate trace;
  C::GradientNoise noise;
  double eos_ratio = kNaN;
  double seconds = 0.0;
  std::int64_t products = 0;
};

bool finite_parameters(torch::nn::Sequential& model) {
  for (const auto& p : model->parameters()) {
    if (!torch::isfinite(p).all().item<bool>()) return false;
  }
  return true;
}

// What the Hessian is taken of: the model (or its float64 copy) and the first samples.
struct Subject {
  torch::nn::Sequential model;
  torch::Tensor x, y;
};

class CurvatureObserver : public training::PointObserver {
 public:
  CurvatureObserver(const CurvatureOptions& o, const config::JobConfig& job, const config::GridPoint& point)
      : o_(o),
        point_(point),
        momentum_(job.train.momentum),
        checkpoints_(
            static_cast<std::int64_t>(config::checkpoint_steps(job.train.steps, job.train.checkpoints).size())) {}

  void checkpoint(const training::PointState& s, std::size_t k, Rows& rows) override {
    last_ = measure(s, static_cast<std::int64_t>(k));
    write_series(last_, k, rows);
    if (o_.density && o_.density_every_checkpoint) write_density(s, static_cast<std::int64_t>(k), k, rows);
  }

  void finish(const training::PointState& s, Rows& rows) override {
    if (last_.step != s.step) last_ = measure(s, checkpoints_);
    const Measurement& m = last_;
    rows[P::kFinalLambdaMax] = {m.spectrum.top.empty() ? kNaN : m.spectrum.top[0]};
    rows[P::kFinalLambdaMaxResidual] = {m.spectrum.top_residuals.empty() ? kNaN : m.spectrum.top_residuals[0]};
    rows[P::kFinalEosRatio] = {m.eos_ratio};
    if (o_.lambda_min) rows[P::kFinalLambdaMin] = {m.spectrum.bottom};
    if (o_.trace_products > 0) {
      rows[P::kFinalTrace] = {m.trace.trace};
      rows[P::kFinalTraceErr] = {m.trace.error};
    }
    if (o_.noise_samples > 0) {
      rows[P::kFinalNoiseTrace] = {m.noise.trace};
      rows[P::kFinalNoiseAlignment] = {m.noise.alignment};
    }
    if (o_.density && !o_.density_every_checkpoint) write_density(s, checkpoints_, 0, rows);
  }

 private:
  Subject subject(const training::PointState& s) const {
    Subject out{o_.float64 ? C::float64_copy(s.model) : s.model, s.x_train, s.y_train};
    if (o_.samples > 0) {
      out.x = out.x.narrow(0, 0, o_.samples);
      out.y = out.y.narrow(0, 0, o_.samples);
    }
    if (o_.float64) {
      out.x = out.x.to(torch::kFloat64);
      if (out.y.is_floating_point()) out.y = out.y.to(torch::kFloat64);
    }
    return out;
  }

  C::LossFn loss(const training::PointState& s) const {
    return [&s](const torch::Tensor& out, const torch::Tensor& y) { return s.loss(out, y); };
  }

  std::uint64_t seed(std::int64_t checkpoint, Purpose purpose) const {
    return C::measurement_seed(o_.seed, point_.id, checkpoint, purpose);
  }

  Measurement measure(const training::PointState& s, std::int64_t checkpoint) const {
    const auto start = std::chrono::steady_clock::now();
    Measurement m;
    m.step = s.step;
    m.spectrum.top.assign(static_cast<std::size_t>(o_.top_k), kNaN);
    m.spectrum.top_residuals = m.spectrum.top;
    m.spectrum.bottom = m.spectrum.bottom_residual = kNaN;
    m.trace.trace = m.trace.error = m.trace.frobenius_sq = kNaN;
    m.noise.trace = m.noise.frobenius = m.noise.trace_ch = m.noise.alignment = m.noise.top_share = kNaN;
    if (!finite_parameters(s.model)) return m;  // diverged: nothing to measure
    Subject subj = subject(s);
    C::HessianOperator h(subj.model, subj.x, subj.y, loss(s), o_.chunk);
    C::Tridiagonal run;
    m.spectrum = C::extreme_eigenvalues(h, o_.top_k, o_.lanczos_steps, seed(checkpoint, kLanczosStart), &run);
    m.eos_ratio = m.spectrum.top[0] * s.optimizer.lr() / (2.0 + 2.0 * momentum_);  // the rate of the next step
    if (o_.trace_products > 0) {
      m.trace = C::lanczos_deflated_trace(h, run, o_.trace_products, seed(checkpoint, kTraceVectors));
    }
    if (o_.noise_samples > 0) {  // the first noise_samples of the whole training set
      auto x = s.x_train.narrow(0, 0, o_.noise_samples), y = s.y_train.narrow(0, 0, o_.noise_samples);
      if (o_.float64) {
        x = x.to(torch::kFloat64);
        if (y.is_floating_point()) y = y.to(torch::kFloat64);
      }
      const auto g = C::per_sample_gradients(subj.model, x, y, loss(s), o_.noise_samples);
      m.noise = C::gradient_noise(g, point_.batch, s.x_train.size(0), h, std::sqrt(m.trace.frobenius_sq),
                                  m.spectrum.top_vectors);
    }
    m.products = h.applications();
    m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return m;
  }

  void write_series(const Measurement& m, std::size_t k, Rows& rows) const {
    rows[P::kLambdaMax][k] = m.spectrum.top[0];
    rows[P::kLambdaMaxResidual][k] = m.spectrum.top_residuals[0];
    const auto top_k = static_cast<std::size_t>(o_.top_k);
    for (std::size_t i = 0; i < top_k; ++i) {
      rows[P::kTopEigenvalues][k * top_k + i] = m.spectrum.top[i];
      rows[P::kTopResiduals][k * top_k + i] = m.spectrum.top_residuals[i];
    }
    if (o_.lambda_min) {
      rows[P::kLambdaMin][k] = m.spectrum.bottom;
      rows[P::kLambdaMinResidual][k] = m.spectrum.bottom_residual;
    }
    rows[P::kEosRatio][k] = m.eos_ratio;
    if (o_.trace_products > 0) {
      rows[P::kTrace][k] = m.trace.trace;
      rows[P::kTraceErr][k] = m.trace.error;
      rows[P::kFrobenius][k] = std::sqrt(m.trace.frobenius_sq);
    }
    if (o_.noise_samples > 0) {
      rows[P::kNoiseTrace][k] = m.noise.trace;
      rows[P::kNoiseFrobenius][k] = m.noise.frobenius;
      rows[P::kNoiseTraceCH][k] = m.noise.trace_ch;
      rows[P::kNoiseAlignment][k] = m.noise.alignment;
      rows[P::kNoiseTopShare][k] = m.noise.top_share;
    }
    rows[P::kProducts][k] = static_cast<double>(m.products);
    rows[P::kSeconds][k] = m.seconds;
  }

  // The SLQ density of measurement `checkpoint` into row slot `at` (0 when stored once per point).
  void write_density(const training::PointState& s, std::int64_t checkpoint, std::size_t at, Rows& rows) const {
    if (!finite_parameters(s.model)) return;
    Subject subj = subject(s);
    C::HessianOperator h(subj.model, subj.x, subj.y, loss(s), o_.chunk);
    const C::Quadrature q =
        C::stochastic_lanczos_quadrature(h, o_.density_vectors, o_.density_steps, seed(checkpoint, kDensityVectors));
    if (q.vectors == 0) return;  // no finite products: the density stays NaN
    const double lo = q.lowest(), hi = q.highest();
    const double sigma = o_.density_sigma * std::max(hi - lo, 1e-12 * std::max(1.0, std::abs(hi)));
    const auto points = static_cast<std::size_t>(o_.density_points);
    std::vector<double> grid(points);
    for (std::size_t g = 0; g < points; ++g) {
      grid[g] = lo - 5 * sigma + (hi - lo + 10 * sigma) * static_cast<double>(g) / static_cast<double>(points - 1);
    }
    const auto rho = q.density(grid, sigma);
    std::copy(rho.begin(), rho.end(), rows[P::kDensity].begin() + static_cast<std::ptrdiff_t>(at * points));
    rows[P::kDensityLo][at] = grid.front();
    rows[P::kDensityHi][at] = grid.back();
    rows[P::kDensitySigma][at] = sigma;
    const auto width = q.nodes.size();
    std::copy(q.nodes.begin(), q.nodes.end(), rows[P::kSlqNodes].begin() + static_cast<std::ptrdiff_t>(at * width));
    std::copy(q.weights.begin(), q.weights.end(),
              rows[P::kSlqWeights].begin() + static_cast<std::ptrdiff_t>(at * width));
  }

  CurvatureOptions o_;
  config::GridPoint point_;
  double momentum_;
  std::int64_t checkpoints_;
  Measurement last_;
};

}  // namespace

std::shared_ptr<const config::ProbeOptions> CurvatureProbe::parse(config::OptionTable& table,
                                                                  const config::JobConfig& job) const {
  auto o = std::make_shared<CurvatureOptions>();
  const auto p = job.data.train_size;
  o->samples = table.integer("samples", 0, p).value_or(0);
  o->float64 = table.choice("dtype", {"train", "float64"}).value_or(0) == 1;
  o->chunk = table.integer("chunk", 1, 1 << 30).value_or(o->chunk);
  o->top_k = table.integer("top_k", 1, 100).value_or(o->top_k);
  o->lanczos_steps = table.integer("lanczos_steps", 1, 100000).value_or(o->lanczos_steps);
  if (o->lanczos_steps < o->top_k)
    table.fail("lanczos_steps", "allowed: at least top_k (" + std::to_string(o->top_k) + ")");
  o->lambda_min = table.boolean("lambda_min").value_or(true);
  o->seed = static_cast<std::uint64_t>(table.integer("seed", 0, std::int64_t{1} << 53).value_or(0));
  o->trace_products = table.integer("trace_products", 0, 1000000).value_or(o->trace_products);
  if (o->trace_products == 1) table.fail("trace_products", "allowed: 0 (no trace) or 2 or more (its error needs two)");
  o->noise_samples = table.integer("noise_samples", 0, p).value_or(0);
  if (o->noise_samples == 1) table.fail("noise_samples", "allowed: 0 (off) or 2 to " + std::to_string(p));
  if (o->noise_samples > 0 && o->trace_products == 0) {
    table.fail("noise_samples",
               "allowed: 0 when trace_products = 0 (the noise alignment needs ||H||_F from the trace products)");
  }
  o->density = table.boolean("density").value_or(true);
  o->density_every_checkpoint = table.boolean("density_every_checkpoint").value_or(false);
  o->density_vectors = table.integer("density_vectors", 1, 10000).value_or(o->density_vectors);
  o->density_steps = table.integer("density_steps", 1, 100000).value_or(o->density_steps);
  o->density_points = table.integer("density_points", 2, 1000000).value_or(o->density_points);
  o->density_sigma = table.number("density_sigma", 0.0, 1.0, true).value_or(o->density_sigma);
  return o;
}

std::vector<config::ProbeField> CurvatureProbe::fields(const config::ProbeOptions& options) const {
  const auto& o = dynamic_cast<const CurvatureOptions&>(options);
  const auto yes = [](bool b) -> std::string { return b ? "true" : "false"; };
  return {{"samples", std::to_string(o.samples)},
          {"dtype", o.float64 ? "float64" : "train"},
          {"chunk", std::to_string(o.chunk)},
          {"top_k", std::to_string(o.top_k)},
          {"lanczos_steps", std::to_string(o.lanczos_steps)},
          {"lambda_min", yes(o.lambda_min)},
          {"seed", std::to_string(o.seed)},
          {"trace_products", std::to_string(o.trace_products)},
          {"noise_samples", std::to_string(o.noise_samples)},
          {"density", yes(o.density)},
          {"density_every_checkpoint", yes(o.density_every_checkpoint)},
          {"density_vectors", std::to_string(o.density_vectors)},
          {"density_steps", std::to_string(o.density_steps)},
          {"density_points", std::to_string(o.density_points)},
          {"density_sigma", shortest_double(o.density_sigma)}};
}

Layout CurvatureProbe::datasets(const config::JobConfig& job, const config::ProbeOptions& options) const {
  const auto& o = dynamic_cast<const CurvatureOptions&>(options);
  Layout l;
  const auto series = [&](const char* path, const char* units, const char* meaning) {
    l.push_back(L::point_series(path, units, meaning, job));
  };
  const auto at_end = [&](const char* path, const char* units, const char* meaning, const char* column) {
    l.push_back(L::point_scalar(path, units, meaning, column, job));
  };
  series(kLambdaMax, "loss", "Largest Hessian eigenvalue (Lanczos Ritz value) at each checkpoint step.");
  series(kLambdaMaxResidual, "loss", "||H v - lambda_max v|| of its Ritz vector: a bound on lambda_max's error.");
  l.push_back(
      L::point_series_of(kTopEigenvalues, o.top_k, "loss", "The top_k largest Ritz values, largest first.", job));
  l.push_back(
      L::point_series_of(kTopResiduals, o.top_k, "loss", "||H v - lambda v|| of each top_eigenvalues entry.", job));
  if (o.lambda_min) {
    series(kLambdaMin, "loss", "Smallest (most negative) Ritz value of the same Lanczos run.");
    series(kLambdaMinResidual, "loss", "||H v - lambda v|| of lambda_min's Ritz vector.");
  }
  series(kEosRatio, "1",
         "lambda_max * lr / (2 + 2 momentum), lr the rate of the next step: 1 at the edge of stability (of SGD).");
  if (o.trace_products > 0) {
    series(kTrace, "loss",
           "Hessian trace: sum of the Lanczos run's alpha (its Krylov space, exact) plus Hutchinson with "
           "trace_products products on the rest.");
    series(kTraceErr, "loss", "Standard error of hessian_trace.");
    series(kFrobenius, "loss", "||H||_F estimated from the same products.");
  }
  if (o.noise_samples > 0) {
    series(kNoiseTrace, "loss^2",
           "tr C, C the covariance of a minibatch gradient at the point's batch (docs/store.md).");
    series(kNoiseFrobenius, "loss^2", "||C||_F, the Frobenius norm of the minibatch gradient covariance.");
    series(kNoiseTraceCH, "loss^3", "tr(C H), from c_i^T H c_i over the centred per-sample gradients.");
    series(kNoiseAlignment, "1", "tr(C H) / (||C||_F ||H||_F): 1 when C is proportional to H.");
    series(kNoiseTopShare, "1", "Share of tr C in the span of the top_k Ritz vectors.");
  }
  series(kProducts, "1", "Hessian-vector products the checkpoint's measurement took.");
  series(kSeconds, "s", "Wall time of the checkpoint's measurement.");
  at_end(kFinalLambdaMax, "loss", "lambda_max after the last step taken.", "lambda_max");
  at_end(kFinalLambdaMaxResidual, "loss", "Residual norm of final_lambda_max.", "lambda_max_residual");
  at_end(kFinalEosRatio, "1", "eos_ratio after the last step taken.", "eos_ratio");
  if (o.lambda_min) at_end(kFinalLambdaMin, "loss", "lambda_min after the last step taken.", "lambda_min");
  if (o.trace_products > 0) {
    at_end(kFinalTrace, "loss", "hessian_trace after the last step taken.", "hessian_trace");
    at_end(kFinalTraceErr, "loss", "Standard error of final_hessian_trace.", "hessian_trace_err");
  }
  if (o.noise_samples > 0) {
    at_end(kFinalNoiseTrace, "loss^2", "grad_noise_trace after the last step taken.", "grad_noise_trace");
    at_end(kFinalNoiseAlignment, "1", "noise_alignment after the last step taken.", "noise_alignment");
  }
  if (!o.density) return l;
  const std::int64_t nodes = o.density_vectors * o.density_steps;
  const auto row = [&](const char* path, std::int64_t m, const char* units, const char* meaning) {
    l.push_back(o.density_every_checkpoint ? L::point_series_of(path, m, units, meaning, job)
                                           : L::point_row_of(path, m, units, meaning, job));
  };
  const auto one = [&](const char* path, const char* units, const char* meaning) {
    l.push_back(o.density_every_checkpoint ? L::point_series(path, units, meaning, job)
                                           : L::point_scalar(path, units, meaning, "", job));
  };
  row(kDensity, o.density_points, "1/loss",
      "Spectral density (SLQ, Gaussian kernels) on density_points equally spaced values from density_lo to "
      "density_hi.");
  one(kDensityLo, "loss", "First value of the density's grid.");
  one(kDensityHi, "loss", "Last value of the density's grid.");
  one(kDensitySigma, "loss", "Standard deviation of each Gaussian kernel.");
  row(kSlqNodes, nodes, "loss", "SLQ nodes (Ritz values), density_steps per vector, vector after vector.");
  row(kSlqWeights, nodes, "1", "SLQ weights of the nodes; each vector's sum to 1.");
  return l;
}

std::unique_ptr<training::PointObserver> CurvatureProbe::observe(const config::JobConfig& job,
                                                                 const config::ProbeOptions& options,
                                                                 const config::GridPoint& point) const {
  return std::make_unique<CurvatureObserver>(dynamic_cast<const CurvatureOptions&>(options), job, point);
}

}  // namespace lsweep::probes
