#pragma once
/// \file
/// The `jamming` probe: can the network fit its training set? (Geiger,
/// Spigler et al. 2019; ../shared/SCIENCE.md section 3.) For binary labels
/// y = +-1 and the model output f, each training sample is a constraint
/// with gap Delta_mu = 1 - y_mu f(x_mu) (margin 1): unsatisfied when
/// Delta_mu > 0, correctly classified points inside the margin included.
/// At every checkpoint and at the end: N_Delta (Delta > 0), the count above
/// a tolerance (which decides "fitted": under SGD, fitted runs keep points
/// at Delta ~ 1e-12 and rarely reach exactly 0), the quadratic hinge loss
/// and the classification errors. At the end: N_Delta / P and N_Delta / N
/// with N the weight count without biases, the histograms of the gaps on
/// log bins, the dead hidden units of each layer on the whole training set,
/// and whether the output no longer depends on the input (a dead network is
/// not a jammed one). Optionally the point stops once fitted, or once the
/// hinge loss has stopped decreasing, and records why it stopped.
///
/// Job file:  [probes.jamming]  tolerance = 1e-6  check_every = 0
///            stop_when_fitted = true  plateau_checks = 0  plateau_rel = 1e-3
///            bins = 34  log10_min = -15  log10_max = 2

#include <cstdint>
#include <vector>

#include <torch/types.h>

#include "lsweep/probes/probe.hpp"

namespace lsweep::probes {

struct JammingOptions : config::ProbeOptions {
  double tolerance = 1e-6;       ///< Delta above this counts as unsatisfied for "fitted"
  std::int64_t check_every = 0;  ///< extra checks every this many steps (0: checkpoints only)
  bool stop_when_fitted = true;  ///< stop the point at the first check that finds it fitted
  std::int64_t plateau_checks =
      0;  ///< stop when the hinge loss fell less than plateau_rel over this many checks (0: off)
  double plateau_rel = 1e-3;
  std::int64_t bins = 34;  ///< gap histogram bins, log-spaced in |Delta|
  double log10_min = -15.0, log10_max = 2.0;
};

/// What one look at the training set gives.
struct Gaps {
  std::int64_t n_delta = 0;                    ///< Delta > 0
  std::int64_t n_delta_tol = 0;                ///< Delta > tolerance
  std::int64_t errors = 0;                     ///< y f <= 0 (f = 0 counts as wrong)
  double hinge_loss = 0.0;                     ///< (1/2P) sum max(0, Delta)^2
  std::vector<double> satisfied, unsatisfied;  ///< counts per bin of -Delta (Delta <= 0) and of Delta (> 0)
};

/// The gaps of outputs `f` [P] (or [P, 1]) for labels `y` (+-1): counts, loss
/// and histograms on `bins` log-spaced bins of log10 |Delta| in [lo, hi]
/// (values outside go to the end bins; Delta = 0 to the first satisfied bin).
Gaps measure_gaps(const torch::Tensor& f, const torch::Tensor& y, double tolerance, std::int64_t bins, double lo,
                  double hi);

/// For each hidden layer of a make_mlp network, the units whose ReLU output
/// is 0 on every row of `x`; and whether the output is the same for every
/// row (the network no longer depends on its input).
struct DeadUnits {
  std::vector<std::int64_t> per_layer;
  bool constant_output = false;
};
DeadUnits dead_units(torch::nn::Sequential& model, const torch::Tensor& x);

/// Whether the last of `losses` (one per check) fell by less than a fraction
/// `rel` of the loss `window` checks before it (false with fewer checks).
bool plateaued(const std::vector<double>& losses, std::int64_t window, double rel);

/// N as in Geiger et al.: weights only, biases excluded (d h + (L-1) h^2 + h out).
std::int64_t weight_count(std::int64_t in, std::int64_t width, std::int64_t depth, std::int64_t out);

class JammingProbe : public Probe {
 public:
#define LSWEEP_JAMMING(name) "/probes/jamming/" name
  static constexpr const char* kWeightCount = LSWEEP_JAMMING("weight_count");
  static constexpr const char* kParamCount = LSWEEP_JAMMING("param_count");
  static constexpr const char* kHistEdges = LSWEEP_JAMMING("hist_edges");
  static constexpr const char* kNDelta = LSWEEP_JAMMING("n_delta");
  static constexpr const char* kNDeltaTol = LSWEEP_JAMMING("n_delta_tol");
  static constexpr const char* kHingeLoss = LSWEEP_JAMMING("hinge_loss");
  static constexpr const char* kErrors = LSWEEP_JAMMING("errors");
  static constexpr const char* kFinalNDelta = LSWEEP_JAMMING("final_n_delta");
  static constexpr const char* kFinalNDeltaTol = LSWEEP_JAMMING("final_n_delta_tol");
  static constexpr const char* kNDeltaOverP = LSWEEP_JAMMING("n_delta_over_p");
  static constexpr const char* kNDeltaOverN = LSWEEP_JAMMING("n_delta_over_n");
  static constexpr const char* kFinalErrors = LSWEEP_JAMMING("final_errors");
  static constexpr const char* kFinalHingeLoss = LSWEEP_JAMMING("final_hinge_loss");
  static constexpr const char* kFitted = LSWEEP_JAMMING("fitted");
  static constexpr const char* kFitStep = LSWEEP_JAMMING("fit_step");
  static constexpr const char* kStopReason = LSWEEP_JAMMING("stop_reason");
  static constexpr const char* kDeadUnits = LSWEEP_JAMMING("dead_units");
  static constexpr const char* kDeadNetwork = LSWEEP_JAMMING("dead_network");
  static constexpr const char* kGapsSatisfied = LSWEEP_JAMMING("gaps_satisfied");
  static constexpr const char* kGapsUnsatisfied = LSWEEP_JAMMING("gaps_unsatisfied");
#undef LSWEEP_JAMMING
  /// stop_reason values.
  static constexpr double kBudget = 0.0, kConverged = 1.0, kStuck = 2.0;

  std::string name() const override { return "jamming"; }
  std::shared_ptr<const config::ProbeOptions> parse(config::OptionTable& table,
                                                    const config::JobConfig& job) const override;
  std::vector<config::ProbeField> fields(const config::ProbeOptions& options) const override;
  Layout datasets(const config::JobConfig& job, const config::ProbeOptions& options) const override;
  std::unique_ptr<training::PointObserver> observe(const config::JobConfig& job, const config::ProbeOptions& options,
                                                   const config::GridPoint& point) const override;
};

}  // namespace lsweep::probes
