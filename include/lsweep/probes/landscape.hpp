#pragma once
/// \file
/// The `landscape` probe: the loss surface around a trained network, as
/// tomgoldstein/loss-landscape draws it (Li et al. 2018), at the end of each
/// point's training, and optionally also at chosen checkpoints (the same
/// slices around the network of that step, with the line from theta_0 to it,
/// into checkpoint_* datasets with a checkpoint axis). The training loss and accuracy (and the test set's,
/// when the job has one) along
///   * the line theta(alpha) = (1 - alpha) theta_0 + alpha theta_final, from
///     the initialisation (alpha = 0) to the trained network (alpha = 1),
///     extended on both sides: alpha = (k - line_extend) / line_steps;
///   * one random direction d1 through the trained network, theta_final + t d1;
///   * the plane theta_final + s d1 + t d2 (optional),
/// with s, t on plane_points values in [-plane_extent, plane_extent] (odd, so
/// 0 is one of them). The directions are filter-normalised: drawn Gaussian
/// from the probe's seed and the point id (so the same on every rank count
/// and device), then each neuron's incoming weight row scaled to the norm of
/// the same row of the trained weights; biases get no direction (their
/// entries are 0, as loss-landscape's "ignore biases"). Every value is the
/// trainer's own chunked evaluation, so alpha = 0 and alpha = 1 give the
/// initial and final losses bit for bit. The parameters are put back, bit for
/// bit, before the next probe looks.
///
/// Job file:  [probes.landscape]  line_steps = 20  line_extend = 10
///            plane_points = 21  plane_extent = 1.0  plane = true  seed = 0
///            checkpoint_steps = []  (steps of train's checkpoint schedule)

#include <cstdint>
#include <vector>

#include <torch/types.h>

#include "lsweep/probes/probe.hpp"

namespace lsweep::probes {

struct LandscapeOptions : config::ProbeOptions {
  std::int64_t line_steps = 20;    ///< intervals between theta_0 (alpha 0) and theta_final (alpha 1)
  std::int64_t line_extend = 10;   ///< intervals beyond each end
  std::int64_t plane_points = 21;  ///< values per direction, odd (0 in the middle)
  double plane_extent = 1.0;       ///< the directions' coefficients run over [-extent, extent]
  bool plane = true;               ///< also the 2-D slice (plane_points^2 evaluations)
  std::uint64_t seed = 0;          ///< of the random directions (with the point id)
  /// Steps of the job's checkpoint schedule (/series/step) at which the
  /// slices are also taken, increasing; empty: at the end only.
  std::vector<std::int64_t> checkpoint_steps;
};

/// The line's alpha values: (k - extend) / steps, k = 0 .. steps + 2 extend.
std::vector<double> line_alphas(std::int64_t steps, std::int64_t extend);
/// The directions' coefficients: `points` values from -extent to extent, 0 exactly in the middle.
std::vector<double> plane_coordinates(std::int64_t points, double extent);

/// A filter-normalised random direction for `params` (parameters() order):
/// Gaussian entries from `seed`, each row of a weight matrix [out, in] scaled
/// to the norm of the same row of `params`, zero for biases (1-D tensors).
std::vector<torch::Tensor> filter_normalized_direction(const std::vector<torch::Tensor>& params, std::uint64_t seed);

class LandscapeProbe : public Probe {
 public:
  static constexpr const char* kLineAlpha = "/probes/landscape/line_alpha";
  static constexpr const char* kLineTrainLoss = "/probes/landscape/line_train_loss";
  static constexpr const char* kLineTrainAccuracy = "/probes/landscape/line_train_accuracy";
  static constexpr const char* kLineTestLoss = "/probes/landscape/line_test_loss";
  static constexpr const char* kLineTestAccuracy = "/probes/landscape/line_test_accuracy";
  static constexpr const char* kLineBarrier = "/probes/landscape/line_barrier";
  static constexpr const char* kCoordinate = "/probes/landscape/coordinate";
  static constexpr const char* kDirTrainLoss = "/probes/landscape/dir_train_loss";
  static constexpr const char* kDirTrainAccuracy = "/probes/landscape/dir_train_accuracy";
  static constexpr const char* kDirTestLoss = "/probes/landscape/dir_test_loss";
  static constexpr const char* kDirTestAccuracy = "/probes/landscape/dir_test_accuracy";
  static constexpr const char* kPlaneTrainLoss = "/probes/landscape/plane_train_loss";
  static constexpr const char* kPlaneTrainAccuracy = "/probes/landscape/plane_train_accuracy";
  static constexpr const char* kPlaneTestLoss = "/probes/landscape/plane_test_loss";
  static constexpr const char* kPlaneTestAccuracy = "/probes/landscape/plane_test_accuracy";
  static constexpr const char* kCheckpointStep = "/probes/landscape/checkpoint_step";
  static constexpr const char* kCkptLineTrainLoss = "/probes/landscape/checkpoint_line_train_loss";
  static constexpr const char* kCkptLineTrainAccuracy = "/probes/landscape/checkpoint_line_train_accuracy";
  static constexpr const char* kCkptLineTestLoss = "/probes/landscape/checkpoint_line_test_loss";
  static constexpr const char* kCkptLineTestAccuracy = "/probes/landscape/checkpoint_line_test_accuracy";
  static constexpr const char* kCkptDirTrainLoss = "/probes/landscape/checkpoint_dir_train_loss";
  static constexpr const char* kCkptDirTrainAccuracy = "/probes/landscape/checkpoint_dir_train_accuracy";
  static constexpr const char* kCkptDirTestLoss = "/probes/landscape/checkpoint_dir_test_loss";
  static constexpr const char* kCkptDirTestAccuracy = "/probes/landscape/checkpoint_dir_test_accuracy";
  static constexpr const char* kCkptPlaneTrainLoss = "/probes/landscape/checkpoint_plane_train_loss";
  static constexpr const char* kCkptPlaneTrainAccuracy = "/probes/landscape/checkpoint_plane_train_accuracy";
  static constexpr const char* kCkptPlaneTestLoss = "/probes/landscape/checkpoint_plane_test_loss";
  static constexpr const char* kCkptPlaneTestAccuracy = "/probes/landscape/checkpoint_plane_test_accuracy";
  static constexpr const char* kSeconds = "/probes/landscape/seconds";

  std::string name() const override { return "landscape"; }
  std::shared_ptr<const config::ProbeOptions> parse(config::OptionTable& table,
                                                    const config::JobConfig& job) const override;
  std::vector<config::ProbeField> fields(const config::ProbeOptions& options) const override;
  Layout datasets(const config::JobConfig& job, const config::ProbeOptions& options) const override;
  std::unique_ptr<training::PointObserver> observe(const config::JobConfig& job, const config::ProbeOptions& options,
                                                   const config::GridPoint& point) const override;
};

}  // namespace lsweep::probes
