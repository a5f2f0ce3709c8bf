#pragma once
/// \file
/// The validated content of a job file (TOML). Pure: no MPI, HDF5 or LibTorch.
/// The format is documented in docs/job-file.md.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lsweep/config/probe_spec.hpp"

namespace lsweep::config {

enum class DataKind { fashion_mnist, gaussian, tanh_teacher };
enum class LossKind { cross_entropy, mse, quadratic_hinge };
enum class DType { float32, float64 };
enum class InitKind { pytorch, orthogonal };
enum class ModelKind { mlp, tanh };
enum class DeviceKind { cpu, cuda, automatic };
enum class OptimizerKind { sgd, adam };

/// Batch size value meaning "the whole training set" (full-batch GD).
inline constexpr std::int64_t kFullBatch = 0;

struct GridConfig {
  std::vector<double> lr;
  std::vector<std::int64_t> batch;  ///< kFullBatch stands for P
  std::vector<std::int64_t> width;
  std::vector<std::int64_t> seed;
  /// Extra widths per (lr, batch) line chosen while the sweep runs by
  /// bisecting the jamming transition (grid.bisect); 0: the widths are fixed.
  std::int64_t bisect = 0;
};

/// The width stored for a row reserved for the bisection until it is chosen.
inline constexpr std::int64_t kReservedWidth = 0;

struct DataConfig {
  DataKind kind = DataKind::fashion_mnist;
  std::int64_t train_size = 0;  ///< P
  std::int64_t test_size = 0;   ///< 0: no test set
  bool binary = false;          ///< labels y = +-1 (always for gaussian)
  std::int64_t pca = 0;         ///< principal components kept; 0: off
  bool normalize = false;       ///< centre, then scale every x to ||x|| = sqrt(d)
  std::int64_t dim = 0;         ///< gaussian input dimension d
  std::int64_t seed = 0;        ///< gaussian and tanh_teacher sampling seed
  std::string path;             ///< folder with the Fashion-MNIST IDX files
  /// tanh_teacher: inputs uniform on [x_min, x_max], targets
  /// y = sum_j teacher_alpha_j tanh(teacher_w_j (x - teacher_b_j)) + N(0, noise^2).
  double x_min = -1.0, x_max = 1.0;
  double noise = 0.0;  ///< sigma, the standard deviation of the target noise
  std::vector<double> teacher_alpha, teacher_w, teacher_b;
};

struct ModelConfig {
  ModelKind kind = ModelKind::mlp;
  std::int64_t depth = 2;  ///< mlp: hidden layers
  InitKind init = InitKind::pytorch;
  /// tanh: alpha is not trained but set to its least-squares value over the
  /// whole training set for the current w (training/model.hpp).
  bool variable_projection = false;
};

/// Step-wise learning-rate decay: the rate is divided by `factor` every
/// `every` steps, never below `floor` (factor 1: no decay).
struct LrDecay {
  double factor = 1.0;
  std::int64_t every = 0;
  double floor = 0.0;
  bool active() const { return factor != 1.0; }
};

struct TrainConfig {
  LossKind loss = LossKind::cross_entropy;
  OptimizerKind optimizer = OptimizerKind::sgd;
  double momentum = 0.0;                          ///< sgd only
  double weight_decay = 0.0;                      ///< coupled L2 (torch.optim.SGD's and Adam's weight_decay)
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  ///< adam only
  LrDecay lr_decay;
  std::int64_t steps = 0;
  DType dtype = DType::float32;
  std::int64_t checkpoints = 20;  ///< log-spaced evaluation steps in [1, steps]
  std::int64_t threads = 1;       ///< LibTorch and OpenBLAS threads per worker
  DeviceKind device = DeviceKind::cpu;
  double point_time_limit = 0.0;  ///< wall seconds a point may train; 0: no limit
  bool cuda_graphs = true;        ///< on a GPU: capture the training step once, replay it
  std::int64_t pack = 1;          ///< models trained together as one batched model (see pack_ids)
  std::int64_t team = 1;          ///< ranks training one point together, data parallel
  /// Importance sampling (SCIENCE.md section 5): minibatch indices drawn with
  /// probability proportional to exp(-l_i / U) of the per-sample losses l_i,
  /// refreshed every importance_refresh steps. 0: off (the permutation sampler).
  double importance_temperature = 0.0;
  std::int64_t importance_refresh = 1;
  bool importance_sampling() const { return importance_temperature > 0.0; }
};

struct JobConfig {
  std::string name;
  GridConfig grid;
  DataConfig data;
  ModelConfig model;
  TrainConfig train;
  std::vector<EnabledProbe> probes;  ///< the [probes.NAME] tables, in name order
  std::string source_text;           ///< the job file verbatim, stored with the results

  /// The enabled probe named `name`, or nullptr.
  const EnabledProbe* probe(const std::string& name) const;
};

/// The default Fashion-MNIST folder (Debian package dataset-fashion-mnist).
inline constexpr const char* kDefaultFashionMnistPath = "/usr/share/datasets/fashion-mnist";
inline constexpr std::int64_t kFashionTrainCount = 60000;
inline constexpr std::int64_t kFashionTestCount = 10000;
inline constexpr std::int64_t kFashionPixels = 784;

/// Parses and validates a job file's text. `origin` (a path) prefixes messages.
/// Throws ConfigError naming the field, the bad value and what is allowed;
/// unknown keys are errors too, and so are probes `catalog` does not have.
JobConfig parse_job(std::string_view text, const std::string& origin, const ProbeCatalog& catalog = no_probes());

/// Reads `path` and calls parse_job. Throws ConfigError if it cannot be read.
JobConfig load_job(const std::string& path, const ProbeCatalog& catalog = no_probes());

/// A job file's text. Throws ConfigError naming the path when it is empty,
/// missing, unreadable, a folder, a FIFO, a device or any other non-regular
/// file, or longer than the 60000 bytes a job may have; never blocks on a FIFO
/// and never reads more than one byte past the limit.
std::string read_job_text(const std::string& path);

/// Input features seen by the model after preprocessing.
std::int64_t input_dim(const DataConfig& data);
/// Model outputs: 1 for binary tasks and tanh_teacher regression, 10 for Fashion-MNIST classes.
std::int64_t output_dim(const DataConfig& data);

const char* to_string(DataKind kind);
const char* to_string(LossKind kind);
const char* to_string(DType kind);
const char* to_string(InitKind kind);
const char* to_string(ModelKind kind);
const char* to_string(DeviceKind kind);
const char* to_string(OptimizerKind kind);

}  // namespace lsweep::config
