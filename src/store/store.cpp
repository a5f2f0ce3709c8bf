#include "lsweep/store/store.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "lsweep/common/clock.hpp"
#include "lsweep/common/error.hpp"
#include "lsweep/store/schema.hpp"
#include "row_hash.hpp"
#include "types.hpp"

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

Handle mpio_access(MPI_Comm comm) {
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate(file access)");
  check(H5Pset_fapl_mpio(fapl.get(), comm, MPI_INFO_NULL), "H5Pset_fapl_mpio");
  return fapl;
}

// Every rank learns whether any rank failed, so that none is left waiting in
// a collective call the failed one will never make.
void agree(bool ok, MPI_Comm comm, const std::string& what) {
  int mine = ok ? 0 : 1, any = 0;
  MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, comm);
  if (any && ok) throw StorageError(what + " failed on another rank");
}

// Gives the finished file its real name; link() refuses to replace an existing
// file, so a store that appeared meanwhile is never overwritten. Collective.
void publish(const std::string& temp, const std::string& path, MPI_Comm comm, int rank) {
  MPI_Barrier(comm);
  int err = 0;
  if (rank == 0) {
    err = link(temp.c_str(), path.c_str()) == 0 ? 0 : errno;
    if (err == 0) unlink(temp.c_str());
  }
  MPI_Bcast(&err, 1, MPI_INT, 0, comm);
  if (err != 0) throw StorageError("cannot name the new store '" + path + "': " + std::strerror(err));
}

// The value a Role::summary dataset takes from a point's summary.
double summary_value(const std::string& path, const PointSummary& s, double finished_at) {
  if (path == layout::kSteps) return static_cast<double>(s.steps);
  if (path == layout::kWallSeconds) return s.wall_seconds;
  if (path == layout::kFinishedAt) return finished_at;
  throw StorageError("no summary value for dataset " + path);
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

void Store::init(const config::JobConfig& job, int version) {
  version_ = version;
  layout_ = layout::store_layout(job, version);
  num_points_ = config::grid_size(job.grid);
  xfer_ = Handle(H5Pcreate(H5P_DATASET_XFER), "H5Pcreate(transfer)");
  check(H5Pset_dxpl_mpio(xfer_.get(), H5FD_MPIO_INDEPENDENT), "H5Pset_dxpl_mpio");
  status_type_ = status_type();
  error_type_ = h5::string_type(layout::kErrorBytes);
}

Store Store::create(const std::string& path, MPI_Comm comm, const config::JobConfig& job,
                    const Provenance& provenance) {
  h5::silence_errors();
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  Store s;
  s.path_ = path;
  try {
    s.build(path, comm, rank, job, provenance);
  } catch (...) {
    s.abandon();  // its destructor would close the file: a collective call the other ranks may never make
    throw;
  }
  return s;
}

void Store::build(const std::string& path, MPI_Comm comm, int rank, const config::JobConfig& job,
                  const Provenance& provenance) {
  Store& s = *this;
  s.init(job, layout::kVersion);
  const std::string temp = path + schema::kCreatingSuffix;
  s.file_ = Handle(H5Fcreate(temp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, mpio_access(comm).get()),
                   "creating store '" + temp + "'");
  for (const auto& g : layout::groups_of(s.layout_)) {
    Handle group(H5Gcreate2(s.file_.get(), g.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "creating group " + g);
  }
  for (const auto& spec : s.layout_) s.datasets_.push_back(make_dataset(s.file_.get(), spec));
  write_provenance(s.file_.get(), job, provenance);
  std::string error;
  if (rank == 0) {
    try {
      for (std::size_t i = 0; i < s.layout_.size(); ++i) {
        if (s.layout_[i].role != Role::job) continue;
        const auto values = s.layout_[i].content();
        check(H5Dwrite(s.datasets_[i].get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
              "writing " + s.layout_[i].path);
      }
    } catch (const StorageError& e) {
      error = e.what();
    }
  }
  agree(error.empty(), comm, "writing the job's datasets into '" + temp + "'");
  if (!error.empty()) throw StorageError(error);
  // Every dataset is allocated now and no metadata changes later, so after
  // this flush a killed sweep leaves a readable file with the rows written so far.
  check(H5Fflush(s.file_.get(), H5F_SCOPE_GLOBAL), "flushing the new store '" + temp + "'");
  publish(temp, path, comm, rank);
}

Store Store::open(const std::string& path, MPI_Comm comm, const config::JobConfig& job) {
  h5::silence_errors();
  Store s;
  s.path_ = path;
  try {
    s.file_ = Handle(H5Fopen(path.c_str(), H5F_ACC_RDWR, mpio_access(comm).get()), "opening store '" + path + "'");
    s.init(job, static_cast<int>(h5::read_int_attribute(s.file_.get(), schema::kAttrSchemaVersion)));
    for (const auto& spec : s.layout_) {
      s.datasets_.emplace_back(H5Dopen2(s.file_.get(), spec.path.c_str(), H5P_DEFAULT),
                               "opening dataset " + spec.path);
    }
  } catch (...) {
    s.abandon();
    throw;
  }
  return s;
}

void Store::abandon() {
  for (auto& d : datasets_) d.abandon();
  file_.abandon();
}

void Store::fail(const std::string& what) const { throw FatalError("store '" + path_ + "': " + what); }

void Store::check_point(std::int64_t id) const {
  if (id < 0 || id >= num_points_) {
    throw StorageError("point id " + std::to_string(id) + " is outside the store's 0.." +
                       std::to_string(num_points_ - 1));
  }
}

void Store::write_row(const DatasetSpec& spec, std::int64_t row, hid_t mem_type, const void* data,
                      std::int64_t count) {
  const auto index = static_cast<std::size_t>(&spec - layout_.data());
  const hid_t dset = datasets_[index].get();
  try {
    Handle file_space(H5Dget_space(dset), "dataspace of " + spec.path);
    std::vector<hsize_t> start(spec.dims.size(), 0), size;
    for (const auto& d : spec.dims) size.push_back(static_cast<hsize_t>(d.size));
    if (spec.dims[0].axis == Axis::packed) {
      start[0] = static_cast<hsize_t>((*spec.packed)[static_cast<std::size_t>(row)]);
      size[0] = static_cast<hsize_t>(count);
    } else {
      start[0] = static_cast<hsize_t>(row);
      size[0] = 1;
    }
    check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, size.data(), nullptr),
          "selecting row " + std::to_string(row) + " of " + spec.path);
    const hsize_t n = static_cast<hsize_t>(count);
    Handle mem_space(H5Screate_simple(1, &n, nullptr), "memory dataspace");
    check(H5Dwrite(dset, mem_type, mem_space.get(), file_space.get(), xfer_.get(), data),
          "writing row " + std::to_string(row) + " of " + spec.path);
  } catch (const StorageError& e) {
    fail(e.what());
  }
}

void Store::mark_running(std::int64_t point_id) {
  check_point(point_id);
  const auto running = static_cast<std::int8_t>(PointStatus::running);
  const double now = unix_now();
  for (const auto& spec : layout_) {
    if (spec.role == Role::started) write_row(spec, point_id, H5T_NATIVE_DOUBLE, &now, 1);
  }
  for (const auto& spec : layout_) {
    if (spec.role == Role::status) write_row(spec, point_id, status_type_.get(), &running, 1);
  }
}

void Store::write_summary(const PointSummary& summary) { write_point(PointRecord{summary, {}}); }

void Store::write_point(const PointRecord& r) {
  const std::int64_t id = r.summary.point_id;
  check_point(id);
  const double finished_at = r.summary.status == PointStatus::pending ? kNaN : unix_now();
  detail::RowHash hash;
  for (const auto& spec : layout_) {
    if (spec.role == Role::result) {
      const std::int64_t n = spec.row_size(id);
      const std::vector<double>* given = r.rows.find(spec.path);
      if (given && static_cast<std::int64_t>(given->size()) != n) {
        throw StorageError("point " + std::to_string(id) + " has " + std::to_string(given->size()) + " values for " +
                           spec.path + "; its row holds " + std::to_string(n));
      }
      const std::vector<double> fill = given ? std::vector<double>{} : std::vector<double>(static_cast<std::size_t>(n), spec.fill);
      const std::vector<double>& values = given ? *given : fill;
      write_row(spec, id, H5T_NATIVE_DOUBLE, values.data(), n);
      for (double v : values) spec.type == ElementType::float64 ? hash.add_double(v) : hash.add_int(static_cast<std::int64_t>(v));
    } else if (spec.role == Role::summary && spec.type == ElementType::text) {
      std::string text(spec.text_bytes, '\0');
      std::memcpy(text.data(), r.summary.error.data(), std::min(r.summary.error.size(), spec.text_bytes));
      write_row(spec, id, error_type_.get(), text.data(), 1);
      hash.add_bytes(text.data(), text.size());
    } else if (spec.role == Role::summary) {
      const double v = summary_value(spec.path, r.summary, finished_at);
      write_row(spec, id, H5T_NATIVE_DOUBLE, &v, 1);
      spec.type == ElementType::float64 ? hash.add_double(v) : hash.add_int(static_cast<std::int64_t>(v));
    }
  }
  const std::uint64_t sum = hash.value();
  for (const auto& spec : layout_) {
    if (spec.role == Role::checksum) write_row(spec, id, H5T_NATIVE_UINT64, &sum, 1);
  }
  const auto status = static_cast<std::int8_t>(r.summary.status);
  for (const auto& spec : layout_) {
    if (spec.role == Role::status) write_row(spec, id, status_type_.get(), &status, 1);
  }
}

void Store::finish(const std::string& end_time) {
  try {
    h5::update_string_attribute(file_.get(), schema::kAttrEndTime, end_time);
    check(H5Fflush(file_.get(), H5F_SCOPE_GLOBAL), "flushing the store");
  } catch (const StorageError& e) {
    fail(e.what());
  }
}

void Store::close() {
  datasets_.clear();
  status_type_.close();
  error_type_.close();
  xfer_.close();
  try {
    file_.close();
  } catch (const StorageError& e) {
    fail(e.what());
  }
}

}  // namespace lsweep::store
