#pragma once
/// \file
/// The `weights` probe: how far and how fast the parameters move. At every
/// checkpoint (and at the end): ||theta||, ||theta_t - theta_0||^2, the norm
/// of the whole training set's loss gradient, and the norm of the momentum
/// buffer (when train.momentum > 0). With store_params = true, each point's
/// initial and final parameter vectors too, flattened in the order of
/// LibTorch's parameters() and packed end to end (docs/store.md says how to
/// rebuild the model from them). All values float64.
///
/// Job file:  [probes.weights]   grad_norm = true   store_params = false
/// grad_norm = false skips the gradient norm, whose backward pass over the
/// whole training set is nearly all of the probe's cost.

#include "lsweep/probes/probe.hpp"

namespace lsweep::probes {

struct WeightsOptions : config::ProbeOptions {
  bool grad_norm = true;
  bool store_params = false;
};

class WeightsProbe : public Probe {
 public:
  static constexpr const char* kParamNorm = "/probes/weights/param_norm";
  static constexpr const char* kDistanceSq = "/probes/weights/distance_sq";
  static constexpr const char* kGradNorm = "/probes/weights/grad_norm";
  static constexpr const char* kMomentumNorm = "/probes/weights/momentum_norm";
  static constexpr const char* kFinalParamNorm = "/probes/weights/final_param_norm";
  static constexpr const char* kFinalDistanceSq = "/probes/weights/final_distance_sq";
  static constexpr const char* kFinalGradNorm = "/probes/weights/final_grad_norm";
  static constexpr const char* kParamCount = "/probes/weights/param_count";
  static constexpr const char* kParamOffset = "/probes/weights/param_offset";
  static constexpr const char* kInitialParams = "/probes/weights/initial_params";
  static constexpr const char* kFinalParams = "/probes/weights/final_params";

  std::string name() const override { return "weights"; }
  std::shared_ptr<const config::ProbeOptions> parse(config::OptionTable& table,
                                                    const config::JobConfig& job) const override;
  std::vector<config::ProbeField> fields(const config::ProbeOptions& options) const override;
  Layout datasets(const config::JobConfig& job, const config::ProbeOptions& options) const override;
  std::string example_table() const override { return "store_params = true\n"; }
  std::unique_ptr<training::PointObserver> observe(const config::JobConfig& job, const config::ProbeOptions& options,
                                                   const config::GridPoint& point) const override;
};

}  // namespace lsweep::probes
