#pragma once
/// \file
/// The store's layout, in one place. Documented in docs/store.md; every
/// per-point dataset has the point id as its first index.

#include <cstdint>
#include <string>
#include <vector>

namespace lsweep::store::schema {

inline constexpr const char* kFormat = "lsweep-store";  ///< root attribute "format"
inline constexpr long long kVersion = 1;                ///< root attribute "schema_version"
inline constexpr std::size_t kErrorBytes = 512;         ///< fixed length of /points/error rows

// Grid coordinates [N], written once at creation.
inline constexpr const char* kLr = "/grid/lr";        ///< float64
inline constexpr const char* kBatch = "/grid/batch";  ///< int64, "full" resolved to P
inline constexpr const char* kWidth = "/grid/width";  ///< int64
inline constexpr const char* kSeed = "/grid/seed";    ///< int64

// Per-point outcome [N].
inline constexpr const char* kStatus = "/points/status";  ///< enum int8 (see PointStatus)
inline constexpr const char* kError = "/points/error";    ///< fixed string, kErrorBytes

// Scalar results [N]; NaN until written.
inline constexpr const char* kFinalTrainLoss = "/results/final_train_loss";
inline constexpr const char* kFinalTestLoss = "/results/final_test_loss";
inline constexpr const char* kTrainAccuracy = "/results/train_accuracy";
inline constexpr const char* kTestAccuracy = "/results/test_accuracy";
inline constexpr const char* kSteps = "/results/steps";  ///< int64, -1 until written
inline constexpr const char* kWallSeconds = "/results/wall_seconds";
inline constexpr const char* kStartedAt = "/results/started_at";    ///< unix seconds when a worker took the point
inline constexpr const char* kFinishedAt = "/results/finished_at";  ///< unix seconds when its row was written

// Time series at checkpoint steps: /series/step [K], the others [N, K].
inline constexpr const char* kSeriesStep = "/series/step";
inline constexpr const char* kSeriesTrainLoss = "/series/train_loss";
inline constexpr const char* kSeriesTrainAccuracy = "/series/train_accuracy";

/// Every dataset, for opening an existing store.
inline const std::vector<std::string>& datasets() {
  static const std::vector<std::string> d{kLr,
                                          kBatch,
                                          kWidth,
                                          kSeed,
                                          kStatus,
                                          kError,
                                          kFinalTrainLoss,
                                          kFinalTestLoss,
                                          kTrainAccuracy,
                                          kTestAccuracy,
                                          kSteps,
                                          kWallSeconds,
                                          kStartedAt,
                                          kFinishedAt,
                                          kSeriesStep,
                                          kSeriesTrainLoss,
                                          kSeriesTrainAccuracy};
  return d;
}

inline const std::vector<std::string>& groups() {
  static const std::vector<std::string> g{"/grid", "/points", "/results", "/series"};
  return g;
}

/// Root attributes (fixed-length strings unless noted).
inline constexpr const char* kAttrFormat = "format";
inline constexpr const char* kAttrSchemaVersion = "schema_version";  ///< int64
inline constexpr const char* kAttrJobName = "job_name";
inline constexpr const char* kAttrJobToml = "job_toml";
inline constexpr const char* kAttrLsweepVersion = "lsweep_version";
inline constexpr const char* kAttrGitCommit = "git_commit";
inline constexpr const char* kAttrLibtorchVersion = "libtorch_version";
inline constexpr const char* kAttrMpiVersion = "mpi_version";
inline constexpr const char* kAttrHdf5Version = "hdf5_version";
inline constexpr const char* kAttrHosts = "hosts";
inline constexpr const char* kAttrNumRanks = "num_ranks";  ///< int64
inline constexpr const char* kAttrStartTime = "start_time";
inline constexpr const char* kAttrEndTime = "end_time";  ///< "" until the sweep ends (pre-created, fixed size)
inline constexpr std::size_t kTimeBytes = 20;            ///< "2026-11-23T22:00:00Z"
/// The store's name + this suffix until its structure is on disk.
inline constexpr const char* kCreatingSuffix = ".creating";

/// Bytes of raw data a store of `points` rows and `checkpoints` series entries
/// takes, plus HDF5 metadata (an estimate within a few KiB).
std::int64_t estimate_bytes(std::int64_t points, std::int64_t checkpoints, std::size_t job_text_bytes);

}  // namespace lsweep::store::schema
