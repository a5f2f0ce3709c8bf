#pragma once
/// \file
/// Reading a store serially (no MPI), also while a sweep writes it. The reader
/// checks the file once when it opens it (a lsweep store, a schema version
/// this lsweep reads, its stored job readable, every dataset of that job's
/// layout present with its shape and type) and then reads only the datasets
/// a caller asks for: `status` and `report` never load [N, K, m] arrays.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "lsweep/common/dataset_spec.hpp"
#include "lsweep/common/status.hpp"
#include "lsweep/config/job_config.hpp"
#include "lsweep/store/h5.hpp"

namespace lsweep::store {

class StoreReader {
 public:
  /// Opens and checks `path`. Throws StorageError naming the path when it is
  /// missing, not a regular file, not HDF5, not a lsweep store, of a schema
  /// version this lsweep does not read, when its stored job cannot be parsed
  /// with `catalog` (e.g. a probe this lsweep does not have), or when a
  /// dataset of the job's layout is missing or has another shape or type
  /// ("damaged").
  StoreReader(const std::string& path, const config::ProbeCatalog& catalog);

  const std::string& path() const { return path_; }
  int version() const { return version_; }
  const config::JobConfig& job() const { return job_; }
  const Layout& layout() const { return layout_; }
  std::int64_t num_points() const { return num_points_; }
  /// The root string attributes (format, job_name, job_toml, hosts, start_time, end_time, ...).
  const std::map<std::string, std::string>& attributes() const { return attributes_; }
  std::string attribute(const std::string& name) const;
  long long num_ranks() const { return num_ranks_; }

  /// A whole numeric dataset of the layout, as doubles (integers exact below 2^53).
  std::vector<double> doubles(const std::string& path) const;
  /// A whole int64 dataset of the layout.
  std::vector<std::int64_t> integers(const std::string& path) const;
  /// A whole text dataset of the layout, each row up to its first zero byte.
  std::vector<std::string> texts(const std::string& path) const;
  /// /points/status.
  std::vector<PointStatus> statuses() const;
  /// One point's row of a numeric per-point dataset (packed ones included), as doubles.
  std::vector<double> row(const std::string& path, std::int64_t point_id) const;

  /// For each point: whether it holds a finished status (done, failed,
  /// diverged, timed_out) whose row checksum does not match its values (a row
  /// torn by a crash: it runs again). Reads every result dataset in blocks of
  /// rows. All false for a version 1 store (it has no checksums).
  std::vector<bool> torn_rows(const std::vector<PointStatus>& status) const;

  /// "" if every dataset the job determines (grid, checkpoint steps, ...)
  /// holds exactly the job's values, else the first that does not.
  std::string job_content_mismatch() const;

 private:
  [[noreturn]] void damaged(const std::string& what) const;
  void check_identity();
  void check_layout() const;
  const DatasetSpec& spec(const std::string& path) const;

  std::string path_;
  h5::Handle file_;
  int version_ = 0;
  config::JobConfig job_;
  Layout layout_;
  std::int64_t num_points_ = 0;
  std::map<std::string, std::string> attributes_;
  long long num_ranks_ = 0;
};

}  // namespace lsweep::store
