#pragma once
/// \file
/// The `noise_split` probe (seed 004): on a tanh_teacher job, where
/// y_i = h*(x_i) + eps_i with eps_i ~ N(0, sigma^2), the residual of the
/// model h is e_i = y_i - h(x_i) = Delta_i + eps_i with Delta_i = h*(x_i) -
/// h(x_i), and the per-sample gradient of the mse loss 1/2 (h(x_i) - y_i)^2
/// is g_i = -e_i grad h(x_i). So the per-sample second moment of the
/// gradient noise, M = mean_i g_i g_i^T, splits as
///   E_eps[M] = sigma^2 mean_i grad h_i grad h_i^T      (intrinsic)
///            + mean_i Delta_i^2 grad h_i grad h_i^T    (exploration)
/// at a fixed model. At every checkpoint the probe stores the traces of
/// both terms, the realised total tr M from per-sample gradients of the
/// job's loss, the realised intrinsic term (eps_i^2 for sigma^2) and the
/// cross term 2 mean eps_i Delta_i ||grad h_i||^2, which add up to tr M
/// exactly; and the centred total tr Sigma = mean ||g_i - mean g||^2 (the
/// curvature probe's Sigma). At the end, the fitted function on a grid of
/// x. Gradients are with respect to the trained parameters (w and alpha,
/// or w alone under model.variable_projection), on all P training samples,
/// in float64 on a copy of the model.
///
/// Job file:  [probes.noise_split]   grid_points = 201
/// Needs data.kind = "tanh_teacher" (any model.kind).

#include "lsweep/curvature/hessian.hpp"
#include "lsweep/probes/probe.hpp"

namespace lsweep::probes {

struct NoiseSplitOptions : config::ProbeOptions {
  std::int64_t grid_points = 201;  ///< G: points of the fitted function's grid over [x_min, x_max]
};

/// The traces of one measurement (float64), each a mean over the samples.
struct NoiseSplit {
  double intrinsic = 0.0;           ///< sigma^2 mean ||grad h_i||^2
  double exploration = 0.0;         ///< mean Delta_i^2 ||grad h_i||^2
  double realised_intrinsic = 0.0;  ///< mean eps_i^2 ||grad h_i||^2
  double cross = 0.0;               ///< 2 mean eps_i Delta_i ||grad h_i||^2
  double total = 0.0;               ///< mean ||g_i||^2, g_i from per-sample gradients of `loss`
  double centred_total = 0.0;       ///< mean ||g_i - mean g||^2
  double teacher_mse = 0.0;         ///< mean Delta_i^2
  /// intrinsic / (intrinsic + exploration): NaN when both are 0.
  double intrinsic_share() const;
};

/// The split for `model` (one output) on samples x [P, 1], targets y [P],
/// the teacher's values h*(x) [P] and noise level `sigma`, with `loss` the
/// job's loss (mse: 1/2 (h - y)^2, for which total = realised_intrinsic +
/// exploration + cross). Uses the model's dtype; leaves the model alone.
NoiseSplit noise_split(torch::nn::Sequential& model, const torch::Tensor& x, const torch::Tensor& y,
                       const torch::Tensor& teacher, double sigma, const curvature::LossFn& loss);

class NoiseSplitProbe : public Probe {
 public:
#define LSWEEP_NOISE_SPLIT(name) "/probes/noise_split/" name
  static constexpr const char* kIntrinsic = LSWEEP_NOISE_SPLIT("intrinsic");
  static constexpr const char* kExploration = LSWEEP_NOISE_SPLIT("exploration");
  static constexpr const char* kRealisedIntrinsic = LSWEEP_NOISE_SPLIT("realised_intrinsic");
  static constexpr const char* kCross = LSWEEP_NOISE_SPLIT("cross");
  static constexpr const char* kTotal = LSWEEP_NOISE_SPLIT("total");
  static constexpr const char* kCentredTotal = LSWEEP_NOISE_SPLIT("centred_total");
  static constexpr const char* kIntrinsicShare = LSWEEP_NOISE_SPLIT("intrinsic_share");
  static constexpr const char* kTeacherMse = LSWEEP_NOISE_SPLIT("teacher_mse");
  static constexpr const char* kFinalIntrinsic = LSWEEP_NOISE_SPLIT("final_intrinsic");
  static constexpr const char* kFinalExploration = LSWEEP_NOISE_SPLIT("final_exploration");
  static constexpr const char* kFinalIntrinsicShare = LSWEEP_NOISE_SPLIT("final_intrinsic_share");
  static constexpr const char* kFinalTeacherMse = LSWEEP_NOISE_SPLIT("final_teacher_mse");
  static constexpr const char* kGridX = LSWEEP_NOISE_SPLIT("grid_x");
  static constexpr const char* kTeacher = LSWEEP_NOISE_SPLIT("teacher");
  static constexpr const char* kFit = LSWEEP_NOISE_SPLIT("fit");
#undef LSWEEP_NOISE_SPLIT

  std::string name() const override { return "noise_split"; }
  std::shared_ptr<const config::ProbeOptions> parse(config::OptionTable& table,
                                                    const config::JobConfig& job) const override;
  std::vector<config::ProbeField> fields(const config::ProbeOptions& options) const override;
  Layout datasets(const config::JobConfig& job, const config::ProbeOptions& options) const override;
  std::unique_ptr<training::PointObserver> observe(const config::JobConfig& job, const config::ProbeOptions& options,
                                                   const config::GridPoint& point) const override;
};

}  // namespace lsweep::probes
