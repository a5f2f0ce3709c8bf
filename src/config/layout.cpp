#include "lsweep/config/layout.hpp"

#include <algorithm>
#include <memory>
#include <set>

#include "lsweep/common/error.hpp"
#include "lsweep/common/results.hpp"
#include "lsweep/config/grid.hpp"

namespace lsweep::config::layout {
namespace {

std::int64_t checkpoint_count(const JobConfig& job) {
  return static_cast<std::int64_t>(checkpoint_steps(job.train.steps, job.train.checkpoints).size());
}

DatasetSpec spec(std::string path, ElementType type, std::vector<Dim> dims, double fill, Role role, std::string units,
                 std::string meaning, std::string csv = "") {
  DatasetSpec s;
  s.path = std::move(path);
  s.type = type;
  s.dims = std::move(dims);
  s.fill = fill;
  s.role = role;
  s.units = std::move(units);
  s.meaning = std::move(meaning);
  s.csv_column = std::move(csv);
  return s;
}

// A grid coordinate: written at creation from the expanded grid. The content
// owns a copy of the job, so a layout may outlive the job it was made from.
template <typename Get>
DatasetSpec grid_column(const char* path, ElementType type, const std::shared_ptr<const JobConfig>& job, Get get,
                        std::string units, std::string meaning, std::string csv) {
  const Dim n{Axis::points, grid_size(job->grid)};
  DatasetSpec s = spec(path, type, {n}, type == ElementType::float64 ? kNaN : 0.0, Role::job, std::move(units),
                       std::move(meaning), std::move(csv));
  s.content = [job, get] {
    std::vector<double> out;
    for (const auto& p : expand_grid(*job)) out.push_back(static_cast<double>(get(p)));
    return out;
  };
  return s;
}

Layout base_layout(const JobConfig& the_job, int version) {
  JobConfig grid_only;  // what the grid's content needs, without the job text or probes
  grid_only.grid = the_job.grid;
  grid_only.data = the_job.data;
  grid_only.train = the_job.train;
  const auto job = std::make_shared<const JobConfig>(std::move(grid_only));
  const Dim n{Axis::points, grid_size(job->grid)};
  const Dim k{Axis::checkpoints, checkpoint_count(*job)};
  const auto f64 = ElementType::float64;
  Layout l;
  l.push_back(grid_column(
      kLr, f64, job, [](const GridPoint& p) { return p.lr; }, "1", "Learning rate of the point.", "lr"));
  l.push_back(grid_column(
      kBatch, ElementType::int64, job, [](const GridPoint& p) { return p.batch; }, "samples",
      "Minibatch size; \"full\" is stored as P (data.train_size).", "batch"));
  l.push_back(grid_column(
      kWidth, ElementType::int64, job, [](const GridPoint& p) { return p.width; }, "units", "Hidden units per layer.",
      "width"));
  l.push_back(grid_column(
      kSeed, ElementType::int64, job, [](const GridPoint& p) { return p.seed; }, "1",
      "Seed of initialisation and minibatch order.", "seed"));
  l.push_back(spec(kStatus, ElementType::status, {n}, 0.0, Role::status, "",
                   "Life cycle state: pending, running, done, failed, diverged, timed_out.", "status"));
  l.push_back(spec(kFinalTrainLoss, f64, {n}, kNaN, Role::result, "loss",
                   "Loss over the whole training set after the last step taken.", "final_train_loss"));
  l.push_back(spec(kFinalTestLoss, f64, {n}, kNaN, Role::result, "loss",
                   "Loss over the whole test set after the last step taken; NaN without a test set.",
                   "final_test_loss"));
  l.push_back(spec(kTrainAccuracy, f64, {n}, kNaN, Role::result, "1",
                   "Accuracy on the whole training set after the last step taken, in [0, 1].", "train_accuracy"));
  l.push_back(spec(kTestAccuracy, f64, {n}, kNaN, Role::result, "1",
                   "Accuracy on the whole test set after the last step taken, in [0, 1]; NaN without a test set.",
                   "test_accuracy"));
  l.push_back(spec(kSteps, ElementType::int64, {n}, -1.0, Role::summary, "steps", "Optimizer steps taken.", "steps"));
  l.push_back(spec(kWallSeconds, f64, {n}, kNaN, Role::summary, "s",
                   "Wall-clock time of training, probes and evaluation of the point.", "wall_seconds"));
  l.push_back(
      spec(kStartedAt, f64, {n}, kNaN, Role::started, "s since 1970-01-01 UTC", "When a worker last took the point."));
  l.push_back(spec(kFinishedAt, f64, {n}, kNaN, Role::summary, "s since 1970-01-01 UTC",
                   "When the point's results were written."));
  DatasetSpec steps = spec(kSeriesStep, ElementType::int64, {k}, 0.0, Role::job, "steps",
                           "The checkpoint steps: 0, then log-spaced steps up to train.steps.");
  steps.content = [job] {
    const auto s = checkpoint_steps(job->train.steps, job->train.checkpoints);
    return std::vector<double>(s.begin(), s.end());
  };
  l.push_back(std::move(steps));
  l.push_back(spec(kSeriesTrainLoss, f64, {n, k}, kNaN, Role::result, "loss",
                   "Loss over the whole training set at each checkpoint step; NaN at checkpoints not reached."));
  l.push_back(spec(kSeriesTrainAccuracy, f64, {n, k}, kNaN, Role::result, "1",
                   "Accuracy on the whole training set at each checkpoint step."));
  if (job->train.importance_sampling()) {
    l.push_back(spec(kSeriesSamplingEss, f64, {n, k}, kNaN, Role::result, "samples",
                     "Kish's effective sample size (sum w)^2 / sum w^2 of the importance-sampling weights "
                     "w_i = exp(-(l_i - min l) / U) the next step draws from, at each checkpoint step; NaN for "
                     "full-batch points, which train on every sample."));
  }
  DatasetSpec error = spec(kError, ElementType::text, {n}, 0.0, Role::summary, "",
                           "Why the point stopped: empty for done; the message for failed, diverged, timed_out "
                           "and interrupted points.",
                           "error");
  error.text_bytes = kErrorBytes;
  l.push_back(std::move(error));
  if (version >= 2) {
    l.push_back(spec(kChecksum, ElementType::uint64, {n}, 0.0, Role::checksum, "",
                     "Checksum over the point's result and summary values, written just before its final status; "
                     "a finished row whose values do not match it was torn by a crash and runs again."));
  }
  return l;
}

DatasetSpec float_spec(std::string path, std::vector<Dim> dims, std::string units, std::string meaning) {
  return spec(std::move(path), ElementType::float64, std::move(dims), kNaN, Role::result, std::move(units),
              std::move(meaning));
}

}  // namespace

Layout store_layout(const JobConfig& job, int version) {
  if (version < kOldestVersion || version > kVersion) {
    throw ConfigError("store schema version " + std::to_string(version) + ": allowed " +
                      std::to_string(kOldestVersion) + " to " + std::to_string(kVersion));
  }
  Layout l = base_layout(job, version);
  if (version < 2) return l;  // version 1 had no probes
  for (const auto& probe : job.probes) {
    const std::string prefix = "/probes/" + probe.name() + "/";
    for (auto& s : probe.spec->datasets(job, *probe.options)) {
      if (s.path.rfind(prefix, 0) != 0) {
        throw ConfigError("probe '" + probe.name() + "' declares dataset " + s.path + " outside " + prefix);
      }
      l.push_back(std::move(s));
    }
  }
  return l;
}

std::vector<std::string> groups_of(const Layout& layout) {
  std::set<std::string> groups;
  for (const auto& s : layout) {
    for (auto pos = s.path.find('/', 1); pos != std::string::npos; pos = s.path.find('/', pos + 1)) {
      groups.insert(s.path.substr(0, pos));
    }
  }
  return {groups.begin(), groups.end()};  // sorted: a parent sorts before its children
}

std::int64_t estimate_bytes(const Layout& layout, std::size_t job_text_bytes) {
  constexpr std::int64_t kMetadata = 24 * 1024;  // superblock, groups, root attributes
  constexpr std::int64_t kPerDataset = 600;      // object header, units and meaning attributes
  std::int64_t bytes = kMetadata + static_cast<std::int64_t>(job_text_bytes);
  for (const auto& s : layout) {
    bytes += kPerDataset + static_cast<std::int64_t>(s.meaning.size()) +
             s.total_size() * static_cast<std::int64_t>(s.element_bytes());
  }
  return bytes;
}

DatasetSpec point_scalar(std::string path, std::string units, std::string meaning, std::string csv_column,
                         const JobConfig& job) {
  DatasetSpec s =
      float_spec(std::move(path), {{Axis::points, grid_size(job.grid)}}, std::move(units), std::move(meaning));
  s.csv_column = std::move(csv_column);
  return s;
}

DatasetSpec point_series(std::string path, std::string units, std::string meaning, const JobConfig& job) {
  return float_spec(std::move(path), {{Axis::points, grid_size(job.grid)}, {Axis::checkpoints, checkpoint_count(job)}},
                    std::move(units), std::move(meaning));
}

DatasetSpec point_series_of(std::string path, std::int64_t m, std::string units, std::string meaning,
                            const JobConfig& job) {
  return float_spec(std::move(path),
                    {{Axis::points, grid_size(job.grid)}, {Axis::checkpoints, checkpoint_count(job)}, {Axis::fixed, m}},
                    std::move(units), std::move(meaning));
}

DatasetSpec point_row_of(std::string path, std::int64_t m, std::string units, std::string meaning,
                         const JobConfig& job) {
  return float_spec(std::move(path), {{Axis::points, grid_size(job.grid)}, {Axis::fixed, m}}, std::move(units),
                    std::move(meaning));
}

}  // namespace lsweep::config::layout
