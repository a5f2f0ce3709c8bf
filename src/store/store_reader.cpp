#include "lsweep/store/store_reader.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>

#include "lsweep/common/error.hpp"
#include "lsweep/common/format.hpp"
#include "lsweep/config/grid.hpp"
#include "lsweep/store/schema.hpp"
#include "lsweep/store/store.hpp"
#include "row_hash.hpp"
#include "types.hpp"

namespace lsweep::store {
namespace {

using h5::check;
using h5::Handle;

// Values read at a time when checking rows: bounds memory whatever the store's size.
constexpr std::int64_t kBlockValues = 1 << 21;

// HDF5's own file locking is off: rank 0 of a run reads the store it has
// locked itself (StoreLock), and readers must work while a sweep writes.
Handle read_access() {
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate(file access)");
  check(H5Pset_file_locking(fapl.get(), false, true), "H5Pset_file_locking");
  return fapl;
}

std::vector<hsize_t> extent(hid_t dset) {
  Handle space(H5Dget_space(dset), "H5Dget_space");
  const int rank = H5Sget_simple_extent_ndims(space.get());
  std::vector<hsize_t> out(static_cast<std::size_t>(std::max(rank, 0)));
  check(H5Sget_simple_extent_dims(space.get(), out.data(), nullptr), "H5Sget_simple_extent_dims");
  return out;
}

std::string dims_text(const std::vector<hsize_t>& dims) {
  std::string out = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) out += (i ? ", " : "") + std::to_string(dims[i]);
  return out + "]";
}

// Reads elements [first, first + count) of the flattened dataset `d` (rows
// [r0, r1) of a per-point dataset are a contiguous range in row-major order).
template <typename T>
std::vector<T> read_range(hid_t d, hid_t mem_type, std::int64_t first, std::int64_t count, std::size_t width = 1) {
  std::vector<T> out(static_cast<std::size_t>(count) * width);
  if (count == 0) return out;
  Handle space(H5Dget_space(d), "H5Dget_space");
  const auto dims = extent(d);
  // Select whole rows of the first dimension: first/count are multiples of the row length.
  hsize_t row = 1;
  for (std::size_t i = 1; i < dims.size(); ++i) row *= dims[i];
  std::vector<hsize_t> start(dims.size(), 0), size(dims);
  start[0] = static_cast<hsize_t>(first) / row;
  size[0] = static_cast<hsize_t>(count) / row;
  check(H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start.data(), nullptr, size.data(), nullptr),
        "H5Sselect_hyperslab");
  const hsize_t n = static_cast<hsize_t>(count);
  Handle mem(H5Screate_simple(1, &n, nullptr), "memory dataspace");
  check(H5Dread(d, mem_type, mem.get(), space.get(), H5P_DEFAULT, out.data()), "reading a block of rows");
  return out;
}

bool finished(PointStatus s) { return s != PointStatus::pending && s != PointStatus::running; }

}  // namespace

StoreReader::StoreReader(const std::string& path, const config::ProbeCatalog& catalog) : path_(path) {
  h5::silence_errors();
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) throw StorageError("store '" + path + "' does not exist");
  if (!S_ISREG(st.st_mode)) throw StorageError("'" + path + "' is not a regular file, so not a lsweep store");
  if (H5Fis_hdf5(path.c_str()) <= 0) throw StorageError("'" + path + "' is not an HDF5 file, so not a lsweep store");
  file_ = Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, read_access().get()), "opening store '" + path + "'");
  check_identity();
  try {
    job_ = config::parse_job(attribute(schema::kAttrJobToml), path + " (its stored job)", catalog);
  } catch (const ConfigError& e) {
    damaged(std::string("its job cannot be read: ") + e.what());
  }
  layout_ = config::layout::store_layout(job_, version_);
  num_points_ = config::grid_size(job_.grid);
  check_layout();
}

void StoreReader::damaged(const std::string& what) const {
  throw StorageError("store '" + path_ + "' is damaged: " + what);
}

void StoreReader::check_identity() {
  const auto string_attr = [&](const char* name) {
    try {
      return h5::read_string_attribute(file_.get(), name);
    } catch (const StorageError& e) {
      damaged(e.what());
    }
  };
  if (H5Aexists(file_.get(), schema::kAttrFormat) <= 0) {
    throw StorageError("'" + path_ + "' is an HDF5 file but not a lsweep store (no 'format' attribute)");
  }
  std::string format;
  try {
    format = h5::read_string_attribute(file_.get(), schema::kAttrFormat);
  } catch (const StorageError& e) {
    throw StorageError("'" + path_ + "' is not a lsweep store: " + e.what());
  }
  if (format != schema::kFormat) {
    throw StorageError("'" + path_ + "' is not a lsweep store: format = \"" + format + "\", expected \"" +
                       schema::kFormat + "\"");
  }
  long long version = 0;
  try {
    version = h5::read_int_attribute(file_.get(), schema::kAttrSchemaVersion);
  } catch (const StorageError& e) {
    damaged(e.what());
  }
  if (version < schema::kOldestVersion || version > schema::kVersion) {
    throw StorageError("store '" + path_ + "' has schema version " + std::to_string(version) +
                       "; this lsweep reads versions " + std::to_string(schema::kOldestVersion) + " to " +
                       std::to_string(schema::kVersion));
  }
  version_ = static_cast<int>(version);
  for (const char* name :
       {schema::kAttrFormat, schema::kAttrJobName, schema::kAttrJobToml, schema::kAttrLsweepVersion,
        schema::kAttrGitCommit, schema::kAttrLibtorchVersion, schema::kAttrMpiVersion, schema::kAttrHdf5Version,
        schema::kAttrHosts, schema::kAttrStartTime, schema::kAttrEndTime}) {
    if (H5Aexists(file_.get(), name) > 0 || std::strcmp(name, schema::kAttrJobToml) == 0) {
      attributes_[name] = string_attr(name);
    }
  }
  try {
    num_ranks_ = h5::read_int_attribute(file_.get(), schema::kAttrNumRanks);
  } catch (const StorageError& e) {
    damaged(e.what());
  }
}

void StoreReader::check_layout() const {
  for (const auto& s : layout_) {
    if (!h5::exists(file_.get(), s.path)) damaged("dataset " + s.path + " is missing");
    Handle d(H5Dopen2(file_.get(), s.path.c_str(), H5P_DEFAULT), "opening " + s.path);
    std::vector<hsize_t> want;
    for (const auto& dim : s.dims) want.push_back(static_cast<hsize_t>(dim.size));
    const auto got = extent(d.get());
    if (got != want) {
      damaged("dataset " + s.path + " has shape " + dims_text(got) + "; its job gives " + dims_text(want) + " " +
              s.shape_text());
    }
    Handle type(H5Dget_type(d.get()), "H5Dget_type");
    if (!detail::type_matches(type.get(), s)) {
      damaged("dataset " + s.path + " holds " + h5::describe_type(type.get()) +
              "; allowed: " + to_string(s.type, s.text_bytes));
    }
  }
}

std::string StoreReader::attribute(const std::string& name) const {
  const auto it = attributes_.find(name);
  return it == attributes_.end() ? std::string() : it->second;
}

const DatasetSpec& StoreReader::spec(const std::string& path) const {
  const DatasetSpec* s = find_spec(layout_, path);
  if (!s) throw StorageError("store '" + path_ + "' has no dataset " + path + " in its layout");
  return *s;
}

std::vector<double> StoreReader::doubles(const std::string& path) const {
  const auto& s = spec(path);
  Handle d(H5Dopen2(file_.get(), path.c_str(), H5P_DEFAULT), "opening " + path);
  return read_range<double>(d.get(), H5T_NATIVE_DOUBLE, 0, s.total_size());
}

std::vector<double> StoreReader::row(const std::string& path, std::int64_t point_id) const {
  const auto& s = spec(path);
  if (!s.per_point() || point_id < 0 || point_id >= num_points_) {
    throw StorageError("store '" + path_ + "': no row " + std::to_string(point_id) + " in " + path);
  }
  const bool packed = s.dims[0].axis == Axis::packed;
  const std::int64_t first = packed ? (*s.packed)[static_cast<std::size_t>(point_id)] : point_id * s.row_size(0);
  Handle d(H5Dopen2(file_.get(), path.c_str(), H5P_DEFAULT), "opening " + path);
  return read_range<double>(d.get(), H5T_NATIVE_DOUBLE, first, s.row_size(point_id));
}

std::vector<std::int64_t> StoreReader::integers(const std::string& path) const {
  const auto& s = spec(path);
  Handle d(H5Dopen2(file_.get(), path.c_str(), H5P_DEFAULT), "opening " + path);
  return read_range<std::int64_t>(d.get(), H5T_NATIVE_INT64, 0, s.total_size());
}

std::vector<std::string> StoreReader::texts(const std::string& path) const {
  const auto& s = spec(path);
  Handle d(H5Dopen2(file_.get(), path.c_str(), H5P_DEFAULT), "opening " + path);
  Handle type = h5::string_type(s.text_bytes);
  const auto raw = read_range<char>(d.get(), type.get(), 0, s.total_size(), s.text_bytes);
  std::vector<std::string> out;
  for (std::int64_t i = 0; i < s.total_size(); ++i) {
    const char* row = raw.data() + static_cast<std::size_t>(i) * s.text_bytes;
    out.emplace_back(row, strnlen(row, s.text_bytes));
  }
  return out;
}

std::vector<PointStatus> StoreReader::statuses() const {
  Handle d(H5Dopen2(file_.get(), config::layout::kStatus, H5P_DEFAULT), "opening /points/status");
  Handle type = status_type();
  const auto raw = read_range<std::int8_t>(d.get(), type.get(), 0, num_points_);
  std::vector<PointStatus> out;
  for (std::int64_t i = 0; i < num_points_; ++i) {
    try {
      out.push_back(point_status_from_int(raw[static_cast<std::size_t>(i)]));
    } catch (const StorageError& e) {
      damaged("/points/status[" + std::to_string(i) + "]: " + e.what());
    }
  }
  return out;
}

std::vector<bool> StoreReader::torn_rows(const std::vector<PointStatus>& status) const {
  std::vector<bool> torn(static_cast<std::size_t>(num_points_), false);
  const DatasetSpec* sum_spec = find_spec(layout_, config::layout::kChecksum);
  if (!sum_spec) return torn;
  std::vector<detail::RowHash> hashes(static_cast<std::size_t>(num_points_));
  for (const auto& s : layout_) {
    if (s.role != Role::result && s.role != Role::summary) continue;
    Handle d(H5Dopen2(file_.get(), s.path.c_str(), H5P_DEFAULT), "opening " + s.path);
    Handle text_type = h5::string_type(std::max<std::size_t>(s.text_bytes, 1));
    const bool packed = s.dims[0].axis == Axis::packed;
    const std::int64_t per_row = packed ? 0 : s.row_size(0);
    const std::int64_t rows_per_block = std::max<std::int64_t>(1, kBlockValues / std::max<std::int64_t>(per_row, 1));
    for (std::int64_t r0 = 0; r0 < num_points_; r0 += rows_per_block) {
      const std::int64_t r1 = std::min(num_points_, r0 + rows_per_block);
      const auto at = [&](std::int64_t r) { return packed ? (*s.packed)[static_cast<std::size_t>(r)] : r * per_row; };
      const std::int64_t first = at(r0), count = at(r1) - first;
      if (s.type == ElementType::text) {
        const auto raw = read_range<char>(d.get(), text_type.get(), first, count, s.text_bytes);
        for (std::int64_t r = r0; r < r1; ++r) {
          hashes[static_cast<std::size_t>(r)].add_bytes(raw.data() + static_cast<std::size_t>(r - r0) * s.text_bytes,
                                                        s.text_bytes);
        }
      } else if (s.type == ElementType::float64) {
        const auto v = read_range<double>(d.get(), H5T_NATIVE_DOUBLE, first, count);
        for (std::int64_t r = r0; r < r1; ++r) {
          for (std::int64_t i = at(r); i < at(r + 1); ++i)
            hashes[static_cast<std::size_t>(r)].add_double(v[static_cast<std::size_t>(i - first)]);
        }
      } else {
        const auto v = read_range<std::int64_t>(d.get(), H5T_NATIVE_INT64, first, count);
        for (std::int64_t r = r0; r < r1; ++r) {
          for (std::int64_t i = at(r); i < at(r + 1); ++i)
            hashes[static_cast<std::size_t>(r)].add_int(v[static_cast<std::size_t>(i - first)]);
        }
      }
    }
  }
  Handle d(H5Dopen2(file_.get(), sum_spec->path.c_str(), H5P_DEFAULT), "opening " + sum_spec->path);
  const auto stored = read_range<std::uint64_t>(d.get(), H5T_NATIVE_UINT64, 0, num_points_);
  for (std::size_t i = 0; i < torn.size(); ++i) {
    torn[i] = finished(status[i]) && stored[i] != hashes[i].value();
  }
  return torn;
}

std::string StoreReader::job_content_mismatch() const {
  for (const auto& s : layout_) {
    if (s.role != Role::job) continue;
    const auto stored = doubles(s.path);
    const auto want = s.content();
    const bool reserved = s.path == config::layout::kWidth;  // grid.bisect writes the width of reserved rows
    for (std::size_t i = 0; i < want.size(); ++i) {
      if (stored[i] == want[i]) continue;
      if (reserved && want[i] == static_cast<double>(config::kReservedWidth)) continue;
      return "dataset " + s.path + "[" + std::to_string(i) + "] holds " + shortest_double(stored[i]) +
             "; its job gives " + shortest_double(want[i]);
    }
  }
  return {};
}

}  // namespace lsweep::store
