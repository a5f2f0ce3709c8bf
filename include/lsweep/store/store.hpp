#pragma once
/// \file
/// The sweep's store: one HDF5 file whose datasets are those the job's
/// layout lists (config/layout.hpp), all created up front with fixed
/// shapes indexed by point id, each worker writing its own rows.
///
/// Collective calls (every rank of the communicator, same arguments): create,
/// open, finish, close. Independent calls (any one rank): mark_running,
/// write_point, write_summary. Row writes that fail throw FatalError: the
/// sweep must stop (the point stays running and runs again on resume).
/// Rows are written with MPI-IO as raw little-endian values at each
/// dataset's fixed offset; only rank 0 ever writes HDF5 metadata, serially
/// (at creation and for end_time), so an I/O error never leaves ranks
/// waiting in a collective HDF5 call.

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
  /// Creates the store of `job` at `path`, then opens it (as open()).
  /// Collective over `comm`. Rank 0 alone builds the file, with serial HDF5,
  /// as `path` + ".creating" (created or truncated: the caller holds its lock):
  /// every dataset allocated and filled, the datasets the job determines
  /// (grid, checkpoint steps) written; then it takes its name (link(2), which
  /// never replaces a file), so `path` is never a half-made store. From then
  /// on only raw rows are written, so the file stays readable even if every
  /// rank is killed. A failure (a full disk) removes the half-built file and
  /// throws StorageError on every rank: no rank is left waiting.
  static Store create(const std::string& path, MPI_Comm comm, const config::JobConfig& job,
                      const Provenance& provenance);

  /// Opens an existing store of `job` for writing rows (to resume).
  /// Collective. Rank 0 reads where each dataset lies (contiguous, allocated
  /// at creation) and every rank opens the file with MPI-IO: rows are raw
  /// bytes at fixed offsets, so no HDF5 metadata is ever written while the
  /// sweep runs. The caller checks first, serially, that it is a store of the
  /// same job (StoreReader). Stores of schema version 1 are written as
  /// version 1. Throws StorageError on every rank if any rank fails.
  static Store open(const std::string& path, MPI_Comm comm, const config::JobConfig& job);

  Store(Store&& other) noexcept;
  Store& operator=(Store&&) = delete;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  ~Store();  ///< closes (collective), dropping errors

  /// Sets the point's started_at, then its status to running. Independent.
  void mark_running(std::int64_t point_id);
  /// Writes the width of a point in /grid/width: for rows reserved for
  /// grid.bisect, whose width the master chooses while the sweep runs
  /// (written before the point is marked running). Independent.
  void assign_width(std::int64_t point_id, std::int64_t width);
  /// Writes every result row of the point (rows missing from the record are
  /// written at their fill value), its summary values (steps, wall_seconds,
  /// finished_at, error), its checksum, and its status last, so that a row
  /// whose status says finished is complete. Independent.
  void write_point(const PointRecord& record);
  /// write_point with no result rows (a failed point). Independent.
  void write_summary(const PointSummary& summary);
  /// Closes the file (collective), then rank 0 alone writes the end time
  /// attribute with serial HDF5. Throws FatalError on every rank if that fails.
  void finish(const std::string& end_time);
  /// Closes the file. Collective. Nothing to do after finish().
  void close();
  /// Forgets the file without closing it (closing is collective): for a rank
  /// that failed and is about to abort every rank.
  void abandon();

  std::int64_t num_points() const { return num_points_; }
  const Layout& layout() const { return layout_; }
  int version() const { return version_; }

 private:
  Store() = default;
  static void build_serial(const std::string& temp, const config::JobConfig& job, const Provenance& provenance);
  void write_row(const DatasetSpec& spec, std::int64_t row, const void* bytes, std::int64_t count);
  void check_point(std::int64_t id) const;
  [[noreturn]] void fail(const std::string& what) const;

  std::string path_;
  MPI_Comm comm_ = MPI_COMM_NULL;
  int comm_rank_ = 0;
  MPI_File fh_ = MPI_FILE_NULL;
  Layout layout_;
  std::vector<std::int64_t> offsets_;  // byte offset of each layout_ dataset's first element
  std::int64_t num_points_ = 0;
  int version_ = 0;
};

/// The HDF5 enum type of /points/status (names as to_string(PointStatus)).
h5::Handle status_type();

}  // namespace lsweep::store
