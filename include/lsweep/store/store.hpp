#pragma once
/// \file
/// The sweep's store: one parallel HDF5 file, all datasets created up front
/// with fixed shapes indexed by point id, each worker writing its own rows.
///
/// Collective calls (every rank of the communicator, same arguments): create,
/// finish, close. Independent calls (any one rank): mark_running,
/// write_record, write_summary.

#include <mpi.h>

#include <map>
#include <string>
#include <vector>

#include "lsweep/common/results.hpp"
#include "lsweep/config/grid.hpp"
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
  /// Creates a new store at `path`; refuses (StorageError) if the path exists.
  /// Collective over `comm`. The file is built as `path` + ".creating" and
  /// takes its name only once its whole structure is on disk, so `path` is
  /// never a half-made store. Rank 0 of `comm` writes the grid coordinates and
  /// the checkpoint steps. Returns with the file's structure flushed to disk:
  /// from then on only raw rows are written, so the file stays readable even
  /// if every rank is killed.
  static Store create(const std::string& path, MPI_Comm comm, const config::JobConfig& job,
                      const std::vector<config::GridPoint>& points, const Provenance& provenance);

  /// Opens an existing store for writing (to resume a sweep). Collective.
  /// The caller checks first, serially, that it is a store of the same job
  /// (read_store and config::job_differences).
  static Store open(const std::string& path, MPI_Comm comm);

  /// Sets the point's status to running. Independent.
  void mark_running(std::int64_t point_id);
  /// Writes the point's series and results, then its status (last, so a row
  /// whose status says done is complete). Independent.
  void write_record(const PointRecord& record);
  /// Writes only the scalar results, error and status (for failed points). Independent.
  void write_summary(const PointSummary& summary);
  /// Writes the end time attribute and flushes. Collective.
  void finish(const std::string& end_time);
  /// Closes the file. Collective. The destructor closes too, without throwing.
  void close();

  std::int64_t num_points() const { return num_points_; }
  std::int64_t num_checkpoints() const { return num_checkpoints_; }

 private:
  Store() = default;
  void init_handles();
  void write_row(const char* name, std::int64_t row, hid_t mem_type, const void* data, std::int64_t cols = 1);
  hid_t dataset(const char* name) const;

  h5::Handle file_;
  h5::Handle xfer_;
  h5::Handle status_type_;
  h5::Handle error_type_;
  std::map<std::string, h5::Handle> datasets_;
  std::int64_t num_points_ = 0;
  std::int64_t num_checkpoints_ = 0;
};

/// One row of a finished (or unfinished) store.
struct StoredPoint {
  config::GridPoint point;
  PointSummary summary;
};

/// Everything in a store, read serially.
struct StoreContents {
  std::vector<StoredPoint> points;
  std::vector<std::int64_t> checkpoint_steps;
  std::vector<double> series_train_loss;          ///< [N * K], row-major
  std::vector<double> series_train_accuracy;      ///< [N * K], row-major
  std::vector<double> started_at, finished_at;    ///< [N] unix seconds, NaN if not yet
  std::map<std::string, std::string> attributes;  ///< the string attributes
  long long num_ranks = 0;
};

/// Reads a store without MPI. Throws StorageError naming the path when it is
/// missing, not HDF5, not a lsweep store, of another schema version, or damaged.
StoreContents read_store(const std::string& path);

/// The HDF5 enum type of /points/status (names as to_string(PointStatus)).
h5::Handle status_type();

}  // namespace lsweep::store
