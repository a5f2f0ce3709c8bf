#pragma once
/// \file
/// The `diffusion` probe: how the weights keep moving after the loss has
/// converged (anomalous diffusion and aging; Baity-Jesi et al. 2018, Kunin
/// et al. 2023). The flattened parameters are snapshotted at log-spaced
/// waiting times tw, and as the run passes tw + t (log-spaced lags t; no
/// second pass) the probe records the two-time displacement
///   Delta(tw, tw + t) = (1/N) ||theta(tw + t) - theta(tw)||^2
/// and the fourth-moment ratio Y = D / Delta^2 with
///   D = (1/N) sum_i (theta_i(tw + t) - theta_i(tw))^4
/// (Y ~ 1 / (fraction of coordinates that carry the motion)); the same from
/// initialisation (tw = 0: the mean squared distance, Kunin's
/// ||theta_t - theta_0||^2 divided by N). At the end, for each tw and for
/// tw = 0, the exponent c of Delta ~ t^c by a log-log least-squares fit
/// over the last lags that run reached, with its standard error and the
/// intercept (natural log of the prefactor).
///
/// Snapshots are kept in the parameters' dtype (lossless); differences are
/// taken in float64. They live in memory when all of them fit in
/// `memory_mb`; otherwise in a scratch file in `scratch` ($TMPDIR, else
/// /tmp), unlinked as soon as it is created, so that it disappears when the
/// point ends however it ends (also when the worker is killed). Both paths
/// give the same bits.
///
/// Job file:  [probes.diffusion]  waiting_times = 20  tw_min = 10  tw_max = steps/2
///            lags = 30  fit_from = 0.3333  memory_mb = 1024  scratch = ""

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <torch/types.h>

#include "lsweep/probes/probe.hpp"

namespace lsweep::probes {

struct DiffusionOptions : config::ProbeOptions {
  std::int64_t waiting_times = 20;  ///< before rounding to distinct steps
  std::int64_t tw_min = 10;
  std::int64_t tw_max = 0;  ///< the job's steps / 2 when absent
  std::int64_t lags = 30;   ///< log-spaced in [1, steps], before rounding
  double fit_from = 1.0 / 3.0;
  double memory_mb = 1024.0;  ///< snapshots beyond this go to the scratch file
  std::string scratch;        ///< "": $TMPDIR, else /tmp
};

/// The steps the probe looks at: distinct waiting times in [tw_min, tw_max]
/// and distinct lags in [1, steps], both log-spaced.
struct DiffusionSchedule {
  std::int64_t steps = 0;
  std::vector<std::int64_t> waiting_times;
  std::vector<std::int64_t> lags;
};
DiffusionSchedule diffusion_schedule(std::int64_t steps, const DiffusionOptions& options);

/// `slots` snapshots of `n` values of `dtype`, in memory when they take at
/// most `memory_bytes`, else in an unlinked scratch file in `folder`.
class SnapshotStore {
 public:
  SnapshotStore(std::int64_t slots, std::int64_t n, torch::ScalarType dtype, double memory_bytes,
                const std::string& folder);
  ~SnapshotStore();
  SnapshotStore(const SnapshotStore&) = delete;
  SnapshotStore& operator=(const SnapshotStore&) = delete;

  bool spilled() const { return fd_ >= 0; }
  /// Stores `v` (n values, CPU, `dtype`) as snapshot `slot`.
  void put(std::int64_t slot, const torch::Tensor& v);
  /// Snapshot `slot` (CPU, `dtype`).
  torch::Tensor get(std::int64_t slot) const;
  /// Frees the memory of snapshot `slot` (no-op when spilled).
  void release(std::int64_t slot);
  /// Bytes of one snapshot.
  std::int64_t snapshot_bytes() const { return n_ * static_cast<std::int64_t>(elementSize(dtype_)); }

 private:
  template <class Io, class Ptr>
  void transfer(Io io, Ptr p, std::int64_t slot, int error_at_eof, const char* what) const;
  std::int64_t n_;
  torch::ScalarType dtype_;
  std::vector<torch::Tensor> memory_;
  int fd_ = -1;
  std::string folder_;
};

/// The two-time measurements of one trajectory: feed it theta(0) and then
/// theta at every step next_step() asks for. Training and the tests use the
/// same code path.
class DiffusionTracker {
 public:
  DiffusionTracker(DiffusionSchedule schedule, std::int64_t n, torch::ScalarType dtype, double memory_bytes,
                   const std::string& scratch);
  /// The next step whose parameters are wanted; -1 when none is left.
  std::int64_t next_step() const { return next_ < wanted_.size() ? wanted_[next_] : -1; }
  /// theta (n values, any device) after `step` steps; `step` must be
  /// next_step() (0 first). Throws std::logic_error otherwise.
  void observe(std::int64_t step, const torch::Tensor& theta);

  const DiffusionSchedule& schedule() const { return schedule_; }
  bool spilled() const { return store_.spilled(); }
  /// Row-major [waiting times x lags]; NaN where tw + t was not reached.
  const std::vector<double>& delta() const { return delta_; }
  const std::vector<double>& fourth_moment_ratio() const { return ratio_; }
  /// Delta(0, t) over the lags.
  const std::vector<double>& msd() const { return msd_; }

 private:
  struct Event {
    std::size_t origin;  // 0: initialisation; o > 0: waiting time o - 1
    std::size_t lag;
  };
  DiffusionSchedule schedule_;
  std::int64_t n_;
  torch::ScalarType dtype_;
  SnapshotStore store_;
  std::vector<std::int64_t> origins_;       // 0, then the waiting times
  std::vector<std::int64_t> last_use_;      // per origin: the last step that reads it
  std::vector<std::int64_t> wanted_;        // every step observed, sorted
  std::vector<std::vector<Event>> events_;  // per wanted step
  std::size_t next_ = 0;
  std::vector<double> delta_, ratio_, msd_;
};

class DiffusionProbe : public Probe {
 public:
#define LSWEEP_DIFFUSION(name) "/probes/diffusion/" name
  static constexpr const char* kWaitingTime = LSWEEP_DIFFUSION("waiting_time");
  static constexpr const char* kLag = LSWEEP_DIFFUSION("lag");
  static constexpr const char* kDelta = LSWEEP_DIFFUSION("delta");
  static constexpr const char* kRatio = LSWEEP_DIFFUSION("fourth_moment_ratio");
  static constexpr const char* kMsd = LSWEEP_DIFFUSION("msd");
  static constexpr const char* kExponent = LSWEEP_DIFFUSION("exponent");
  static constexpr const char* kExponentErr = LSWEEP_DIFFUSION("exponent_err");
  static constexpr const char* kIntercept = LSWEEP_DIFFUSION("intercept");
  static constexpr const char* kFitPoints = LSWEEP_DIFFUSION("fit_points");
  static constexpr const char* kParamNorm = LSWEEP_DIFFUSION("param_norm");
  static constexpr const char* kVelocityNorm = LSWEEP_DIFFUSION("velocity_norm");
  static constexpr const char* kFinalExponent = LSWEEP_DIFFUSION("final_exponent");
  static constexpr const char* kFinalExponentErr = LSWEEP_DIFFUSION("final_exponent_err");
  static constexpr const char* kFinalIntercept = LSWEEP_DIFFUSION("final_intercept");
  static constexpr const char* kFinalWaitingTime = LSWEEP_DIFFUSION("final_waiting_time");
  static constexpr const char* kMsdExponent = LSWEEP_DIFFUSION("msd_exponent");
  static constexpr const char* kMsdExponentErr = LSWEEP_DIFFUSION("msd_exponent_err");
  static constexpr const char* kMsdIntercept = LSWEEP_DIFFUSION("msd_intercept");
  static constexpr const char* kSpilled = LSWEEP_DIFFUSION("spilled");
  static constexpr const char* kSeconds = LSWEEP_DIFFUSION("seconds");
#undef LSWEEP_DIFFUSION

  std::string name() const override { return "diffusion"; }
  std::shared_ptr<const config::ProbeOptions> parse(config::OptionTable& table,
                                                    const config::JobConfig& job) const override;
  std::vector<config::ProbeField> fields(const config::ProbeOptions& options) const override;
  Layout datasets(const config::JobConfig& job, const config::ProbeOptions& options) const override;
  std::unique_ptr<training::PointObserver> observe(const config::JobConfig& job, const config::ProbeOptions& options,
                                                   const config::GridPoint& point) const override;
};

}  // namespace lsweep::probes
