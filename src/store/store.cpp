#include "lsweep/store/store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstdio>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "lsweep/common/clock.hpp"
#include "lsweep/common/error.hpp"
#include "lsweep/store/schema.hpp"
#include "row_hash.hpp"
#include "types.hpp"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "rows are written in the host's byte order: little-endian");

namespace lsweep::store {
namespace {

using h5::check;
using h5::Handle;
namespace layout = config::layout;

Handle make_dataset(hid_t file, const DatasetSpec& spec) {
  std::vector<hsize_t> dims;
  for (const auto& d : spec.dims) dims.push_back(static_cast<hsize_t>(d.size));
  Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), "dataspace of " + spec.path);
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate(dataset create)");
  check(H5Pset_alloc_time(dcpl.get(), H5D_ALLOC_TIME_EARLY), "H5Pset_alloc_time");
  check(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_ALLOC), "H5Pset_fill_time");
  Handle type = detail::file_type(spec);
  if (spec.type == ElementType::status) {
    const auto fill = static_cast<std::int8_t>(spec.fill);
    check(H5Pset_fill_value(dcpl.get(), type.get(), &fill), "fill value of " + spec.path);
  } else if (spec.type != ElementType::text) {
    // The fill is given as a double; HDF5 converts it to the file type.
    check(H5Pset_fill_value(dcpl.get(), H5T_NATIVE_DOUBLE, &spec.fill), "fill value of " + spec.path);
  }
  Handle d(H5Dcreate2(file, spec.path.c_str(), type.get(), space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
           "creating dataset " + spec.path);
  h5::write_string_attribute(d.get(), schema::kAttrUnits, spec.units);
  h5::write_string_attribute(d.get(), schema::kAttrMeaning, spec.meaning);
  return d;
}

void write_provenance(hid_t file, const config::JobConfig& job, const Provenance& p) {
  h5::write_string_attribute(file, schema::kAttrFormat, schema::kFormat);
  h5::write_int_attribute(file, schema::kAttrSchemaVersion, schema::kVersion);
  h5::write_string_attribute(file, schema::kAttrJobName, job.name);
  h5::write_string_attribute(file, schema::kAttrJobToml, job.source_text);
  h5::write_string_attribute(file, schema::kAttrLsweepVersion, p.lsweep_version);
  h5::write_string_attribute(file, schema::kAttrGitCommit, p.git_commit);
  h5::write_string_attribute(file, schema::kAttrLibtorchVersion, p.libtorch_version);
  h5::write_string_attribute(file, schema::kAttrMpiVersion, p.mpi_version);
  h5::write_string_attribute(file, schema::kAttrHdf5Version, p.hdf5_version);
  h5::write_string_attribute(file, schema::kAttrHosts, p.hosts);
  h5::write_int_attribute(file, schema::kAttrNumRanks, p.num_ranks);
  h5::write_string_attribute(file, schema::kAttrStartTime, p.start_time);
  h5::write_string_attribute(file, schema::kAttrEndTime, "", schema::kTimeBytes);
}

std::string folder_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

// A clear refusal before HDF5 writes anything: HDF5 cannot close a file
// cleanly once a write failed.
void check_space(const std::string& temp, std::int64_t bytes) {
  struct statvfs fs {};
  if (statvfs(folder_of(temp).c_str(), &fs) != 0) return;
  const double free_bytes = static_cast<double>(fs.f_bavail) * static_cast<double>(fs.f_frsize);
  if (free_bytes >= static_cast<double>(bytes)) return;
  char text[160];
  std::snprintf(text, sizeof text, "it needs about %.3g MB", static_cast<double>(bytes) / 1e6);
  throw StorageError(text);
}

// Allocates the file's blocks up front (beyond its end, so HDF5 still sees an
// empty file): quotas and other writers are met now, not halfway through.
void reserve(const std::string& temp, std::int64_t bytes) {
  const int fd = ::open(temp.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return;
  const std::int64_t margin = bytes / 20 + 65536;
  const int rc = fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, static_cast<off_t>(bytes + margin));
  const int err = errno;
  ::close(fd);
  if (rc != 0 && err != EOPNOTSUPP && err != ENOSYS) {
    char text[160];
    std::snprintf(text, sizeof text, "cannot reserve %.3g MB for it: ", static_cast<double>(bytes + margin) / 1e6);
    throw StorageError(text + std::string(std::strerror(err)));
  }
}

std::string mpi_error(int rc) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  return std::string(text, static_cast<std::size_t>(len));
}

// Gives back the reserved blocks past the file's end: truncating a file to
// its own size frees them.
void release_reserve(const std::string& temp) {
  const int fd = ::open(temp.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return;
  struct stat st {};
  if (fstat(fd, &st) == 0 && ftruncate(fd, st.st_size) != 0) {
    // Not an error: the store is whole; only the reservation stays allocated.
  }
  ::close(fd);
}

// Serial access for rank 0's own writes. HDF5's flock is off: rank 0 holds
// the store's lock itself (cli StoreLock), and on NFS an emulated flock could
// meet it.
Handle serial_access() {
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate(file access)");
  check(H5Pset_file_locking(fapl.get(), false, true), "H5Pset_file_locking");
  return fapl;
}

// Rank 0's `text` on every rank. The others wait without spinning a core
// (Open MPI's blocking broadcast spins), as rank 0 may take a while.
void bcast_from_root(std::string& text, MPI_Comm comm) {
  unsigned long long size = text.size();
  MPI_Request request;
  MPI_Ibcast(&size, 1, MPI_UNSIGNED_LONG_LONG, 0, comm, &request);
  int done = 0;
  for (auto pause = std::chrono::microseconds(1); !done;
       pause = std::min(pause * 2, std::chrono::microseconds(20000))) {
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (!done) std::this_thread::sleep_for(pause);
  }
  text.resize(size);
  MPI_Bcast(text.data(), static_cast<int>(size), MPI_CHAR, 0, comm);
}

// The value a Role::summary dataset takes from a point's summary.
double summary_value(const std::string& path, const PointSummary& s, double finished_at) {
  if (path == layout::kSteps) return static_cast<double>(s.steps);
  if (path == layout::kWallSeconds) return s.wall_seconds;
  if (path == layout::kFinishedAt) return finished_at;
  throw StorageError("no summary value for dataset " + path);
}

// HDF5 and MPI-IO often lose errno ("file write failed"): the free space of
// the store's file system tells a full disk from other I/O errors.
std::string free_space(const std::string& path) {
  struct statvfs fs {};
  if (statvfs(path.c_str(), &fs) != 0) return "";
  const double free_bytes = static_cast<double>(fs.f_bavail) * static_cast<double>(fs.f_frsize);
  char text[96];
  std::snprintf(text, sizeof text, "; its file system has %.3g MB free", free_bytes / 1e6);
  return text;
}

}  // namespace

Handle status_type() {
  Handle t(H5Tenum_create(H5T_NATIVE_INT8), "H5Tenum_create");
  for (int v = 0; v < kPointStatusCount; ++v) {
    const auto value = static_cast<std::int8_t>(v);
    check(H5Tenum_insert(t.get(), to_string(static_cast<PointStatus>(v)), &value), "H5Tenum_insert");
  }
  return t;
}

// Where every dataset's elements start in the file (contiguous, allocated at
// creation, so fixed for the file's life). Rank 0 reads them serially.
std::vector<std::int64_t> dataset_offsets(const std::string& path, const Layout& l) {
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, serial_access().get()), "opening store '" + path + "'");
  std::vector<std::int64_t> out;
  for (const auto& spec : l) {
    Handle d(H5Dopen2(file.get(), spec.path.c_str(), H5P_DEFAULT), "opening dataset " + spec.path);
    const haddr_t at = H5Dget_offset(d.get());
    if (at == HADDR_UNDEF) throw StorageError("dataset " + spec.path + " has no contiguous allocated storage");
    out.push_back(static_cast<std::int64_t>(at));
  }
  return out;
}

Store Store::create(const std::string& path, MPI_Comm comm, const config::JobConfig& job,
                    const Provenance& provenance) {
  h5::silence_errors();
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  // Rank 0 alone builds the file with serial HDF5: parallel HDF5 writes
  // metadata collectively, and an I/O error there (a full disk) can leave its
  // ranks waiting in different internal barriers forever. A serial write
  // simply fails, and every rank learns it.
  std::string error;
  if (rank == 0) {
    const std::string temp = path + schema::kCreatingSuffix;
    try {
      build_serial(temp, job, provenance);
      if (link(temp.c_str(), path.c_str()) != 0) {  // never replaces a file: a store that appeared meanwhile is kept
        throw StorageError("cannot name it '" + path + "': " + std::strerror(errno));
      }
      unlink(temp.c_str());
    } catch (const StorageError& e) {
      unlink(temp.c_str());  // a half-built store is no store
      error = "store '" + path + "' cannot be created: " + e.what() + free_space(folder_of(path));
    }
  }
  bcast_from_root(error, comm);
  if (!error.empty()) throw StorageError(error);
  return open(path, comm, job);
}

// The whole structure, serially: every dataset allocated and filled, the
// job's datasets written, then closed. From then on only raw rows are written,
// so a killed sweep leaves a readable file with the rows written so far.
void Store::build_serial(const std::string& temp, const config::JobConfig& job, const Provenance& provenance) {
  const Layout l = layout::store_layout(job, layout::kVersion);
  const std::int64_t bytes = layout::estimate_bytes(l, job.source_text.size());
  check_space(temp, bytes);
  Handle file(H5Fcreate(temp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, serial_access().get()), "creating '" + temp + "'");
  reserve(temp, bytes);
  for (const auto& g : layout::groups_of(l)) {
    Handle group(H5Gcreate2(file.get(), g.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "creating group " + g);
  }
  for (const auto& spec : l) {
    Handle d = make_dataset(file.get(), spec);
    if (spec.role != Role::job) continue;
    const auto values = spec.content();
    check(H5Dwrite(d.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), "writing " + spec.path);
  }
  write_provenance(file.get(), job, provenance);
  check(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), "flushing '" + temp + "'");
  file.close();
  release_reserve(temp);
}

Store Store::open(const std::string& path, MPI_Comm comm, const config::JobConfig& job) {
  h5::silence_errors();
  Store s;
  s.path_ = path;
  s.comm_ = comm;
  MPI_Comm_rank(comm, &s.comm_rank_);
  // Rank 0 learns the schema version and where each dataset lies; every rank
  // then writes rows there with MPI-IO. No HDF5 file stays open: parallel
  // HDF5 writes metadata (the superblock) collectively when it opens and
  // closes a file, and an I/O error there can hang its ranks.
  std::string error;
  std::vector<long long> head;  // version, then one offset per dataset
  if (s.comm_rank_ == 0) {
    try {
      Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, serial_access().get()), "opening store '" + path + "'");
      head.push_back(h5::read_int_attribute(file.get(), schema::kAttrSchemaVersion));
      file.close();
      for (auto at : dataset_offsets(path, layout::store_layout(job, static_cast<int>(head[0])))) head.push_back(at);
    } catch (const StorageError& e) {
      error = e.what();
    }
  }
  bcast_from_root(error, comm);
  if (!error.empty()) throw StorageError("store '" + path + "': " + error);
  unsigned long long n = head.size();
  MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, 0, comm);
  head.resize(n);
  MPI_Bcast(head.data(), static_cast<int>(n), MPI_LONG_LONG, 0, comm);
  s.version_ = static_cast<int>(head[0]);
  s.layout_ = layout::store_layout(job, s.version_);
  s.offsets_.assign(head.begin() + 1, head.end());
  s.num_points_ = config::grid_size(job.grid);
  const int rc = MPI_File_open(comm, path.c_str(), MPI_MODE_WRONLY, MPI_INFO_NULL, &s.fh_);
  int failed = rc == MPI_SUCCESS ? 0 : 1, any = 0;
  MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, comm);
  if (any) {
    if (rc == MPI_SUCCESS) MPI_File_close(&s.fh_);
    s.fh_ = MPI_FILE_NULL;
    throw StorageError("store '" + path + "' cannot be opened for writing: " +
                       (rc == MPI_SUCCESS ? std::string("it failed on another rank") : mpi_error(rc)));
  }
  return s;
}

Store::Store(Store&& other) noexcept
    : path_(std::move(other.path_)),
      comm_(other.comm_),
      comm_rank_(other.comm_rank_),
      fh_(other.fh_),
      layout_(std::move(other.layout_)),
      offsets_(std::move(other.offsets_)),
      num_points_(other.num_points_),
      version_(other.version_) {
  other.fh_ = MPI_FILE_NULL;
}

Store::~Store() {
  if (fh_ != MPI_FILE_NULL) MPI_File_close(&fh_);  // collective; errors dropped: a destructor never throws
}

void Store::abandon() { fh_ = MPI_FILE_NULL; }

void Store::fail(const std::string& what) const {
  throw FatalError("store '" + path_ + "': " + what + free_space(folder_of(path_)) +
                   "; the sweep stops: rows written so far are kept, run the same command to resume");
}

void Store::check_point(std::int64_t id) const {
  if (id < 0 || id >= num_points_) {
    throw StorageError("point id " + std::to_string(id) + " is outside the store's 0.." +
                       std::to_string(num_points_ - 1));
  }
}

void Store::write_row(const DatasetSpec& spec, std::int64_t row, const void* bytes, std::int64_t count) {
  const auto index = static_cast<std::size_t>(&spec - layout_.data());
  const std::int64_t first =
      spec.dims[0].axis == Axis::packed ? (*spec.packed)[static_cast<std::size_t>(row)] : row * spec.row_size(0);
  const auto size = static_cast<std::int64_t>(spec.element_bytes());
  const MPI_Offset at = offsets_[index] + first * size;
  MPI_Status status;
  const int rc = MPI_File_write_at(fh_, at, bytes, static_cast<int>(count * size), MPI_BYTE, &status);
  int written = 0;
  if (rc == MPI_SUCCESS) MPI_Get_count(&status, MPI_BYTE, &written);
  if (rc != MPI_SUCCESS || written != count * size) {
    fail("writing row " + std::to_string(row) + " of " + spec.path + " failed (" +
         (rc != MPI_SUCCESS ? mpi_error(rc)
                            : std::to_string(written) + " of " + std::to_string(count * size) + " bytes written") +
         ")");
  }
}

// The values of a numeric row as stored: float64 as they are, integers
// converted (exact below 2^53). The host is little-endian, as the file.
std::vector<char> as_stored(const DatasetSpec& spec, const std::vector<double>& values) {
  std::vector<char> out(values.size() * 8);
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (spec.type == ElementType::float64) {
      std::memcpy(out.data() + 8 * i, &values[i], 8);
    } else {
      const auto v = static_cast<std::int64_t>(values[i]);
      std::memcpy(out.data() + 8 * i, &v, 8);
    }
  }
  return out;
}

void Store::mark_running(std::int64_t point_id) {
  check_point(point_id);
  const auto running = static_cast<std::int8_t>(PointStatus::running);
  const double now = unix_now();
  for (const auto& spec : layout_) {
    if (spec.role == Role::started) write_row(spec, point_id, &now, 1);
  }
  for (const auto& spec : layout_) {
    if (spec.role == Role::status) write_row(spec, point_id, &running, 1);
  }
}

void Store::assign_width(std::int64_t point_id, std::int64_t width) {
  check_point(point_id);
  const DatasetSpec* spec = find_spec(layout_, config::layout::kWidth);
  if (!spec) fail("the store has no " + std::string(config::layout::kWidth));
  write_row(*spec, point_id, &width, 1);
}

void Store::write_summary(const PointSummary& summary) { write_point(PointRecord{summary, {}}); }

void Store::write_point(const PointRecord& r) {
  const std::int64_t id = r.summary.point_id;
  check_point(id);
  const double finished_at = r.summary.status == PointStatus::pending ? kNaN : unix_now();
  detail::RowHash hash;
  for (const auto& spec : layout_) {
    if (spec.role == Role::result || (spec.role == Role::summary && spec.type != ElementType::text)) {
      const std::int64_t n = spec.row_size(id);
      std::vector<double> values;
      if (spec.role == Role::summary) {
        values = {summary_value(spec.path, r.summary, finished_at)};
      } else if (const std::vector<double>* given = r.rows.find(spec.path)) {
        values = *given;
      } else {
        values.assign(static_cast<std::size_t>(n), spec.fill);
      }
      if (static_cast<std::int64_t>(values.size()) != n) {
        throw StorageError("point " + std::to_string(id) + " has " + std::to_string(values.size()) + " values for " +
                           spec.path + "; its row holds " + std::to_string(n));
      }
      const auto bytes = as_stored(spec, values);
      write_row(spec, id, bytes.data(), n);
      for (double v : values)
        spec.type == ElementType::float64 ? hash.add_double(v) : hash.add_int(static_cast<std::int64_t>(v));
    } else if (spec.role == Role::summary) {
      std::string text(spec.text_bytes, '\0');
      std::memcpy(text.data(), r.summary.error.data(), std::min(r.summary.error.size(), spec.text_bytes));
      write_row(spec, id, text.data(), 1);
      hash.add_bytes(text.data(), text.size());
    }
  }
  const std::uint64_t sum = hash.value();
  for (const auto& spec : layout_) {
    if (spec.role == Role::checksum) write_row(spec, id, &sum, 1);
  }
  const auto status = static_cast<std::int8_t>(r.summary.status);
  for (const auto& spec : layout_) {
    if (spec.role == Role::status) write_row(spec, id, &status, 1);
  }
}

void Store::finish(const std::string& end_time) {
  close();
  // Rank 0 alone writes end_time, with serial HDF5 (see open()).
  std::string error;
  if (comm_rank_ == 0) {
    try {
      Handle file(H5Fopen(path_.c_str(), H5F_ACC_RDWR, serial_access().get()), "reopening it to write end_time");
      h5::update_string_attribute(file.get(), schema::kAttrEndTime, end_time);
      check(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), "writing end_time");
      file.close();
    } catch (const StorageError& e) {
      error = e.what();
    }
  }
  bcast_from_root(error, comm_);
  if (!error.empty()) fail(error);
}

void Store::close() {
  if (fh_ == MPI_FILE_NULL) return;
  const int rc = MPI_File_close(&fh_);  // collective; flushes the rows
  fh_ = MPI_FILE_NULL;
  if (rc != MPI_SUCCESS) fail("closing it failed (" + mpi_error(rc) + ")");
}

}  // namespace lsweep::store
