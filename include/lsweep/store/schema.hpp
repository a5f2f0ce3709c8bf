#pragma once
/// \file
/// The store's file-level names: format, schema version, root attributes.
/// The datasets are described as data in config/layout.hpp. Documented in
/// docs/store.md.

#include <cstddef>

#include "lsweep/config/layout.hpp"

namespace lsweep::store::schema {

inline constexpr const char* kFormat = "lsweep-store";           ///< root attribute "format"
inline constexpr long long kVersion = config::layout::kVersion;  ///< root attribute "schema_version"
inline constexpr long long kOldestVersion = config::layout::kOldestVersion;

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

/// Dataset attributes (schema version 2): fixed-length strings.
inline constexpr const char* kAttrUnits = "units";
inline constexpr const char* kAttrMeaning = "meaning";

/// The store's name + this suffix until its structure is on disk.
inline constexpr const char* kCreatingSuffix = ".creating";

}  // namespace lsweep::store::schema
