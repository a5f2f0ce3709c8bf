#pragma once
/// \file
/// The sweep's store: one parallel HDF5 file whose datasets are those the
/// job's layout lists (config/layout.hpp), all created up front with fixed
/// shapes indexed by point id, each worker writing its own rows.
///
/// Collective calls (every rank of the communicator, same arguments): create,
/// open, finish, close. Independent calls (any one rank): mark_running,
/// write_point, write_summary. Row writes that fail throw FatalError: the
/// sweep must stop (the point stays running and runs again on resume).

#include <mpi.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "lsweep/common/results.hpp"
#include "lsweep/config/grid.hpp"
#include "lsweep/config/layout.hpp"
#include "lsweep/store/h5.hpp"

namespace lsweep::store {

/// Who made the store and with what; stored as root attributes.
struct Provenance {
  std::string lsweep_version, git_commit, libtorch_version, mpi_version, hdf5_version;
  std::string hosts;       ///< distinct host names of all ranks, comma separated
  std::string start_time;  ///< ISO 8601 UTC
  long long num_ranks = 0;
};

class Store {
 public:
  /// Creates the store of `job` at `path`. Collective over `comm`. The file is
  /// built as `path` + ".creating" (created or truncated: the caller holds its
  /// lock) and takes its name (link(2), which never replaces a file) only once
  /// its whole structure is on disk, so `path` is never a half-made store.
  /// Rank 0 writes the datasets the job determines (grid, checkpoint steps).
  /// Returns with the structure flushed: from then on only raw rows are
  /// written, so the file stays readable even if every rank is killed.
  static Store create(const std::string& path, MPI_Comm comm, const config::JobConfig& job,
                      const Provenance& provenance);

  /// Opens an existing store of `job` for writing (to resume). Collective.
  /// The caller checks first, serially, that it is a store of the same job
  /// (StoreReader). Stores of schema version 1 are written as version 1.
  static Store open(const std::string& path, MPI_Comm comm, const config::JobConfig& job);

  /// Sets the point's started_at, then its status to running. Independent.
  void mark_running(std::int64_t point_id);
  /// Writes every result row of the point (rows missing from the record are
  /// written at their fill value), its summary values (steps, wall_seconds,
  /// finished_at, error), its checksum, and its status last, so that a row
  /// whose status says finished is complete. Independent.
  void write_point(const PointRecord& record);
  /// write_point with no result rows (a failed point). Independent.
  void write_summary(const PointSummary& summary);
  /// Writes the end time attribute and flushes. Collective.
  void finish(const std::string& end_time);
  /// Closes the file. Collective. The destructor closes too, without throwing.
  void close();
  /// Drops every handle without closing it (closing is collective): for a
  /// rank that failed and is about to abort every rank.
  void abandon();

  std::int64_t num_points() const { return num_points_; }
  const Layout& layout() const { return layout_; }
  int version() const { return version_; }

 private:
  Store() = default;
  void init(const config::JobConfig& job, int version);
  void build(const std::string& path, MPI_Comm comm, int rank, const config::JobConfig& job,
             const Provenance& provenance);
  void write_row(const DatasetSpec& spec, std::int64_t row, hid_t mem_type, const void* data, std::int64_t count);
  void check_point(std::int64_t id) const;
  [[noreturn]] void fail(const std::string& what) const;

  std::string path_;
  h5::Handle file_;
  h5::Handle xfer_;
  h5::Handle status_type_;
  h5::Handle error_type_;
  Layout layout_;
  std::vector<h5::Handle> datasets_;  // one per layout_ entry
  std::int64_t num_points_ = 0;
  int version_ = 0;
};

/// The HDF5 enum type of /points/status (names as to_string(PointStatus)).
h5::Handle status_type();

}  // namespace lsweep::store
