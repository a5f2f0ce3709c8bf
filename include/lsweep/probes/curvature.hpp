#pragma once
/// \file
/// The `curvature` probe: the Hessian of the training loss at every
/// checkpoint of every point. Lanczos (full reorthogonalisation) gives the
/// top-k eigenvalues with their residuals and the most negative one; its
/// Krylov basis deflates the trace (Hutch++ with the Lanczos space as the
/// sketch, paid for by the eigenvalues): the trace with its standard error
/// and ||H||_F; lambda_max * lr / (2 + 2
/// momentum) is the edge-of-stability ratio (1 at the edge); per-sample
/// gradients give the minibatch gradient noise and its alignment with H;
/// stochastic Lanczos quadrature the spectral density at the end (or at
/// every checkpoint). Hessian-vector products by double backpropagation on
/// the first `samples` training samples, in the training dtype or in
/// float64 on a copy of the model. Every random vector comes from `seed`,
/// the point and the checkpoint: measurements are deterministic given the
/// point. docs/job-file.md lists the keys, docs/store.md the datasets.

#include "lsweep/probes/probe.hpp"

namespace lsweep::probes {

struct CurvatureOptions : config::ProbeOptions {
  std::int64_t samples = 0;  ///< Hessian on the first `samples` training samples; 0: all
  bool float64 = false;      ///< measure on a float64 copy of the model
  std::int64_t chunk = 4096;
  std::int64_t top_k = 5;
  std::int64_t lanczos_steps = 40;
  bool lambda_min = true;
  std::uint64_t seed = 0;
  std::int64_t trace_products = 30;  ///< 0: no trace
  std::int64_t noise_samples = 0;    ///< 0: no gradient noise
  bool density = true;
  bool density_every_checkpoint = false;
  std::int64_t density_vectors = 10;
  std::int64_t density_steps = 80;
  std::int64_t density_points = 1000;
  double density_sigma = 0.002;  ///< kernel width as a fraction of the node range
};

class CurvatureProbe : public Probe {
 public:
#define LSWEEP_CURVATURE(name) "/probes/curvature/" name
  static constexpr const char* kLambdaMax = LSWEEP_CURVATURE("lambda_max");
  static constexpr const char* kLambdaMaxResidual = LSWEEP_CURVATURE("lambda_max_residual");
  static constexpr const char* kTopEigenvalues = LSWEEP_CURVATURE("top_eigenvalues");
  static constexpr const char* kTopResiduals = LSWEEP_CURVATURE("top_residuals");
  static constexpr const char* kLambdaMin = LSWEEP_CURVATURE("lambda_min");
  static constexpr const char* kLambdaMinResidual = LSWEEP_CURVATURE("lambda_min_residual");
  static constexpr const char* kEosRatio = LSWEEP_CURVATURE("eos_ratio");
  static constexpr const char* kTrace = LSWEEP_CURVATURE("hessian_trace");
  static constexpr const char* kTraceErr = LSWEEP_CURVATURE("hessian_trace_err");
  static constexpr const char* kFrobenius = LSWEEP_CURVATURE("hessian_frobenius");
  static constexpr const char* kNoiseTrace = LSWEEP_CURVATURE("grad_noise_trace");
  static constexpr const char* kNoiseFrobenius = LSWEEP_CURVATURE("grad_noise_frobenius");
  static constexpr const char* kNoiseTraceCH = LSWEEP_CURVATURE("noise_trace_ch");
  static constexpr const char* kNoiseAlignment = LSWEEP_CURVATURE("noise_alignment");
  static constexpr const char* kNoiseTopShare = LSWEEP_CURVATURE("noise_top_share");
  static constexpr const char* kProducts = LSWEEP_CURVATURE("hvps");
  static constexpr const char* kSeconds = LSWEEP_CURVATURE("seconds");
  static constexpr const char* kDensity = LSWEEP_CURVATURE("density");
  static constexpr const char* kDensityLo = LSWEEP_CURVATURE("density_lo");
  static constexpr const char* kDensityHi = LSWEEP_CURVATURE("density_hi");
  static constexpr const char* kDensitySigma = LSWEEP_CURVATURE("density_sigma");
  static constexpr const char* kSlqNodes = LSWEEP_CURVATURE("slq_nodes");
  static constexpr const char* kSlqWeights = LSWEEP_CURVATURE("slq_weights");
  // At the end of the run (the last checkpoint when it ran every step): report columns.
  static constexpr const char* kFinalLambdaMax = LSWEEP_CURVATURE("final_lambda_max");
  static constexpr const char* kFinalLambdaMaxResidual = LSWEEP_CURVATURE("final_lambda_max_residual");
  static constexpr const char* kFinalLambdaMin = LSWEEP_CURVATURE("final_lambda_min");
  static constexpr const char* kFinalTrace = LSWEEP_CURVATURE("final_hessian_trace");
  static constexpr const char* kFinalTraceErr = LSWEEP_CURVATURE("final_hessian_trace_err");
  static constexpr const char* kFinalEosRatio = LSWEEP_CURVATURE("final_eos_ratio");
  static constexpr const char* kFinalNoiseTrace = LSWEEP_CURVATURE("final_grad_noise_trace");
  static constexpr const char* kFinalNoiseAlignment = LSWEEP_CURVATURE("final_noise_alignment");
#undef LSWEEP_CURVATURE

  std::string name() const override { return "curvature"; }
  std::shared_ptr<const config::ProbeOptions> parse(config::OptionTable& table,
                                                    const config::JobConfig& job) const override;
  std::vector<config::ProbeField> fields(const config::ProbeOptions& options) const override;
  Layout datasets(const config::JobConfig& job, const config::ProbeOptions& options) const override;
  std::string example_table() const override { return "noise_samples = 2\ndensity_every_checkpoint = true\n"; }
  std::unique_ptr<training::PointObserver> observe(const config::JobConfig& job, const config::ProbeOptions& options,
                                                   const config::GridPoint& point) const override;
};

}  // namespace lsweep::probes
