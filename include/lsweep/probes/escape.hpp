#pragma once
/// \file
/// The `escape` probe: escape times from a minimum (SCIENCE.md section 4;
/// seeds 000 and 002: Eyring-Kramers, and Xie et al. 2021's SGD against
/// white noise). After the point's own training, for each point:
///
///  1. the minimum: full-batch gradient descent at `descent_lr` from the
///     point's initial parameters (its seed; the same minimum for every lr
///     and batch of the grid), until the gradient norm of the whole training
///     set's loss is at most `gradient_tolerance` or `descent_steps` steps;
///     its loss L*, its gradient norm, the top `top_k` eigenvalues and the
///     smallest one of its Hessian (Lanczos, float64), and tr C, the trace of
///     the covariance of a minibatch gradient at the point's batch
///     (curvature/noise.hpp's convention, from all P per-sample gradients);
///  2. `replicas` replicas from the minimum under each of two dynamics,
///     plain steps at the point's lr: (a) SGD at the point's batch, each
///     replica its own minibatch order; (b) full-batch GD plus isotropic
///     Gaussian noise, theta <- theta - lr (grad L + s xi), xi ~ N(0, I),
///     s^2 = tr C / D (D parameters): the same trace of the noise covariance
///     as SGD's at the minimum, spread over every direction;
///  3. each replica's first passage out of the basin: the first check (every
///     `check_every` steps) at which its loss on the whole training set
///     exceeds L* + `barrier` (or is NaN), censored at `budget` steps
///     (escape/first_passage.hpp); per dynamics, the censored maximum-
///     likelihood mean escape time with its `confidence` interval.
///
/// Replicas run as one batched model (training/pack.hpp's forward), with
/// their own platform-independent random streams: the results depend only
/// on the job and the point. MLPs trained by plain SGD only (momentum,
/// weight decay, Adam and learning-rate decay are refused), and meant for
/// small training sets: each step of the white-noise replicas and each check
/// runs every replica on all P samples.
///
/// Job file:  [probes.escape]  barrier = 0.05  descent_lr = 0.1  (required)
///            replicas = 16  budget = 10000  check_every = 10
///            descent_steps = 100000  gradient_tolerance = 1e-6
///            top_k = 1  lanczos_steps = 30  seed = 0  confidence = 0.95

#include "lsweep/probes/probe.hpp"

namespace lsweep::probes {

struct EscapeOptions : config::ProbeOptions {
  double barrier = 0.0;
  double descent_lr = 0.0;
  std::int64_t descent_steps = 100000;
  double gradient_tolerance = 1e-6;
  std::int64_t replicas = 16;
  std::int64_t budget = 10000;
  std::int64_t check_every = 10;
  std::int64_t top_k = 1;
  std::int64_t lanczos_steps = 30;
  std::int64_t seed = 0;
  double confidence = 0.95;
};

class EscapeProbe : public Probe {
 public:
  static constexpr const char* kMinimumLoss = "/probes/escape/minimum_loss";
  static constexpr const char* kMinimumGradNorm = "/probes/escape/minimum_grad_norm";
  static constexpr const char* kDescentSteps = "/probes/escape/descent_steps";
  static constexpr const char* kLambdaMax = "/probes/escape/lambda_max";
  static constexpr const char* kLambdaMin = "/probes/escape/lambda_min";
  static constexpr const char* kTopEigenvalues = "/probes/escape/top_eigenvalues";
  static constexpr const char* kNoiseTrace = "/probes/escape/noise_trace";
  static constexpr const char* kWhiteNoiseStd = "/probes/escape/white_noise_std";
  static constexpr const char* kSeconds = "/probes/escape/seconds";
  /// Per dynamics ("sgd", "white"): /probes/escape/<dynamics>_<what>.
  static constexpr const char* kDynamics[2] = {"sgd", "white"};
  static std::string path(const char* dynamics, const char* what);

  std::string name() const override { return "escape"; }
  std::shared_ptr<const config::ProbeOptions> parse(config::OptionTable& table,
                                                    const config::JobConfig& job) const override;
  std::vector<config::ProbeField> fields(const config::ProbeOptions& options) const override;
  Layout datasets(const config::JobConfig& job, const config::ProbeOptions& options) const override;
  std::string example_table() const override { return "barrier = 0.05\ndescent_lr = 0.1\n"; }
  std::unique_ptr<training::PointObserver> observe(const config::JobConfig& job, const config::ProbeOptions& options,
                                                   const config::GridPoint& point) const override;
};

}  // namespace lsweep::probes
