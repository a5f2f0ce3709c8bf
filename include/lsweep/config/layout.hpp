#pragma once
/// \file
/// The store's layout for a job, as data (see common/dataset_spec.hpp): the
/// base datasets of every store, then each enabled probe's datasets under
/// /probes/NAME/. Pure. Documented in docs/store.md (a test checks every
/// path is there).

#include <cstdint>

#include "lsweep/common/dataset_spec.hpp"
#include "lsweep/config/job_config.hpp"

namespace lsweep::config::layout {

/// Schema versions: 1 (lsweep 0.1.0) has no /points/checksum, no probes and
/// no units/meaning attributes; 2 is written now. Both are read and resumed.
inline constexpr int kVersion = 2;
inline constexpr int kOldestVersion = 1;
inline constexpr std::size_t kErrorBytes = 512;  ///< fixed length of /points/error rows

// Grid coordinates [N], written at creation.
inline constexpr const char* kLr = "/grid/lr";
inline constexpr const char* kBatch = "/grid/batch";
inline constexpr const char* kWidth = "/grid/width";
inline constexpr const char* kSeed = "/grid/seed";
// Per-point state [N].
inline constexpr const char* kStatus = "/points/status";
inline constexpr const char* kError = "/points/error";
inline constexpr const char* kChecksum = "/points/checksum";
// Scalar results [N].
inline constexpr const char* kFinalTrainLoss = "/results/final_train_loss";
inline constexpr const char* kFinalTestLoss = "/results/final_test_loss";
inline constexpr const char* kTrainAccuracy = "/results/train_accuracy";
inline constexpr const char* kTestAccuracy = "/results/test_accuracy";
inline constexpr const char* kSteps = "/results/steps";
inline constexpr const char* kWallSeconds = "/results/wall_seconds";
inline constexpr const char* kStartedAt = "/results/started_at";
inline constexpr const char* kFinishedAt = "/results/finished_at";
// Time series: /series/step [K], the others [N, K].
inline constexpr const char* kSeriesStep = "/series/step";
inline constexpr const char* kSeriesTrainLoss = "/series/train_loss";
inline constexpr const char* kSeriesTrainAccuracy = "/series/train_accuracy";
/// [N, K], only with train.importance_temperature.
inline constexpr const char* kSeriesSamplingEss = "/series/sampling_ess";

/// Every dataset of a store of `job` at schema `version`, base first, then
/// the job's probes in name order. Throws ConfigError for a version this
/// lsweep cannot write.
Layout store_layout(const JobConfig& job, int version = kVersion);

/// The groups holding the layout's datasets, parents first ("/grid", "/probes", "/probes/weights").
std::vector<std::string> groups_of(const Layout& layout);

/// Bytes a store of this layout takes: raw data plus HDF5 metadata plus the
/// job text. An upper bound (by up to about 25 KiB, the metadata allowance):
/// creation checks the free space against it and reserves it.
std::int64_t estimate_bytes(const Layout& layout, std::size_t job_text_bytes);

/// Spec builders for probes: a per-point scalar [N], a series [N, K] and a
/// series of `m` values per checkpoint [N, K, m], float64 with NaN fill.
DatasetSpec point_scalar(std::string path, std::string units, std::string meaning, std::string csv_column,
                         const JobConfig& job);
DatasetSpec point_series(std::string path, std::string units, std::string meaning, const JobConfig& job);
DatasetSpec point_series_of(std::string path, std::int64_t m, std::string units, std::string meaning,
                            const JobConfig& job);
/// `m` values per point [N, m] (float64, NaN fill).
DatasetSpec point_row_of(std::string path, std::int64_t m, std::string units, std::string meaning,
                         const JobConfig& job);

}  // namespace lsweep::config::layout
