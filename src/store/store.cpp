#include "lsweep/store/store.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "lsweep/common/clock.hpp"
#include "lsweep/common/error.hpp"
#include "lsweep/store/schema.hpp"

namespace lsweep::store {
namespace {

using h5::check;
using h5::Handle;

struct Column {
  const char* name;
  hid_t file_type;
  bool series;  // [N, K] instead of [N]
};

// A function, not a global: the HDF5 type ids are only valid once the library is open.
std::vector<Column> numeric_columns() {
  return {
      {schema::kFinalTrainLoss, H5T_IEEE_F64LE, false},
      {schema::kFinalTestLoss, H5T_IEEE_F64LE, false},
      {schema::kTrainAccuracy, H5T_IEEE_F64LE, false},
      {schema::kTestAccuracy, H5T_IEEE_F64LE, false},
      {schema::kSteps, H5T_STD_I64LE, false},
      {schema::kWallSeconds, H5T_IEEE_F64LE, false},
      {schema::kSeriesTrainLoss, H5T_IEEE_F64LE, true},
      {schema::kSeriesTrainAccuracy, H5T_IEEE_F64LE, true},
      {schema::kLr, H5T_IEEE_F64LE, false},
      {schema::kStartedAt, H5T_IEEE_F64LE, false},
      {schema::kFinishedAt, H5T_IEEE_F64LE, false},
  };
}

Handle make_dataset(hid_t file, const char* name, hid_t type, const std::vector<hsize_t>& dims, const void* fill) {
  Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
               std::string("dataspace of ") + name);
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate(dataset create)");
  check(H5Pset_alloc_time(dcpl.get(), H5D_ALLOC_TIME_EARLY), "H5Pset_alloc_time");
  check(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_ALLOC), "H5Pset_fill_time");
  if (fill) check(H5Pset_fill_value(dcpl.get(), type, fill), std::string("fill value of ") + name);
  return Handle(H5Dcreate2(file, name, type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                std::string("creating dataset ") + name);
}

void write_whole(hid_t dset, hid_t mem_type, const void* data, const char* name) {
  check(H5Dwrite(dset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), std::string("writing ") + name);
}

template <typename T, typename F>
std::vector<T> column(const std::vector<config::GridPoint>& points, F get) {
  std::vector<T> out;
  for (const auto& p : points) out.push_back(get(p));
  return out;
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

}  // namespace

Handle status_type() {
  Handle t(H5Tenum_create(H5T_NATIVE_INT8), "H5Tenum_create");
  for (int v = 0; v < kPointStatusCount; ++v) {
    const auto value = static_cast<std::int8_t>(v);
    check(H5Tenum_insert(t.get(), to_string(static_cast<PointStatus>(v)), &value), "H5Tenum_insert");
  }
  return t;
}

Store Store::create(const std::string& path, MPI_Comm comm, const config::JobConfig& job,
                    const std::vector<config::GridPoint>& points, const Provenance& provenance) {
  h5::silence_errors();
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  Store s;
  const auto steps = config::checkpoint_steps(job.train.steps, job.train.checkpoints);
  s.num_points_ = static_cast<std::int64_t>(points.size());
  s.num_checkpoints_ = static_cast<std::int64_t>(steps.size());
  const std::string temp = path + schema::kCreatingSuffix;
  s.file_ = Handle(H5Fcreate(temp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, mpio_access(comm).get()),
                   "creating store '" + temp + "' (it must not exist yet)");
  s.init_handles();
  for (const auto& g : schema::groups()) {
    Handle group(H5Gcreate2(s.file_.get(), g.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "creating group " + g);
  }
  const hsize_t n = static_cast<hsize_t>(s.num_points_), k = static_cast<hsize_t>(s.num_checkpoints_);
  const double nan = kNaN;
  const std::int64_t minus_one = -1, zero = 0;
  const std::int8_t pending = static_cast<std::int8_t>(PointStatus::pending);
  auto add = [&](const char* name, hid_t type, std::vector<hsize_t> dims, const void* fill) {
    s.datasets_[name] = make_dataset(s.file_.get(), name, type, dims, fill);
  };
  for (const auto& c : numeric_columns()) {
    const bool is_int = c.file_type == H5T_STD_I64LE;
    add(c.name, c.file_type, c.series ? std::vector<hsize_t>{n, k} : std::vector<hsize_t>{n},
        is_int ? static_cast<const void*>(&minus_one) : &nan);
  }
  for (const char* name : {schema::kBatch, schema::kWidth, schema::kSeed}) add(name, H5T_STD_I64LE, {n}, &zero);
  add(schema::kStatus, s.status_type_.get(), {n}, &pending);
  add(schema::kError, s.error_type_.get(), {n}, nullptr);
  add(schema::kSeriesStep, H5T_STD_I64LE, {k}, &zero);
  write_provenance(s.file_.get(), job, provenance);
  if (rank == 0) {
    const auto lr = column<double>(points, [](const auto& p) { return p.lr; });
    const auto batch = column<std::int64_t>(points, [](const auto& p) { return p.batch; });
    const auto width = column<std::int64_t>(points, [](const auto& p) { return p.width; });
    const auto seed = column<std::int64_t>(points, [](const auto& p) { return p.seed; });
    write_whole(s.dataset(schema::kLr), H5T_NATIVE_DOUBLE, lr.data(), schema::kLr);
    write_whole(s.dataset(schema::kBatch), H5T_NATIVE_INT64, batch.data(), schema::kBatch);
    write_whole(s.dataset(schema::kWidth), H5T_NATIVE_INT64, width.data(), schema::kWidth);
    write_whole(s.dataset(schema::kSeed), H5T_NATIVE_INT64, seed.data(), schema::kSeed);
    write_whole(s.dataset(schema::kSeriesStep), H5T_NATIVE_INT64, steps.data(), schema::kSeriesStep);
  }
  // Every dataset is allocated now and no metadata changes later, so after
  // this flush a killed sweep leaves a readable file with the rows written so far.
  check(H5Fflush(s.file_.get(), H5F_SCOPE_GLOBAL), "flushing the new store '" + path + "'");
  publish(temp, path, comm, rank);
  return s;
}

void Store::init_handles() {
  xfer_ = Handle(H5Pcreate(H5P_DATASET_XFER), "H5Pcreate(transfer)");
  check(H5Pset_dxpl_mpio(xfer_.get(), H5FD_MPIO_INDEPENDENT), "H5Pset_dxpl_mpio");
  status_type_ = status_type();
  error_type_ = h5::string_type(schema::kErrorBytes);
}

Store Store::open(const std::string& path, MPI_Comm comm) {
  h5::silence_errors();
  Store s;
  s.file_ = Handle(H5Fopen(path.c_str(), H5F_ACC_RDWR, mpio_access(comm).get()), "opening store '" + path + "'");
  s.init_handles();
  for (const auto& name : schema::datasets()) {
    s.datasets_[name] = Handle(H5Dopen2(s.file_.get(), name.c_str(), H5P_DEFAULT), "opening dataset " + name);
  }
  auto extent = [&](const char* name) {
    Handle space(H5Dget_space(s.dataset(name)), std::string("dataspace of ") + name);
    hsize_t dims[2] = {0, 0};
    check(H5Sget_simple_extent_dims(space.get(), dims, nullptr), "H5Sget_simple_extent_dims");
    return static_cast<std::int64_t>(dims[0]);
  };
  s.num_points_ = extent(schema::kLr);
  s.num_checkpoints_ = extent(schema::kSeriesStep);
  return s;
}

hid_t Store::dataset(const char* name) const {
  auto it = datasets_.find(name);
  if (it == datasets_.end()) throw StorageError(std::string("store has no open dataset ") + name);
  return it->second.get();
}

void Store::write_row(const char* name, std::int64_t row, hid_t mem_type, const void* data, std::int64_t cols) {
  if (row < 0 || row >= num_points_) {
    throw StorageError("point id " + std::to_string(row) + " is outside the store's 0.." +
                       std::to_string(num_points_ - 1));
  }
  const hid_t dset = dataset(name);
  Handle file_space(H5Dget_space(dset), std::string("dataspace of ") + name);
  const int rank = H5Sget_simple_extent_ndims(file_space.get());
  const hsize_t start[2] = {static_cast<hsize_t>(row), 0};
  const hsize_t count[2] = {1, static_cast<hsize_t>(cols)};
  check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr),
        std::string("selecting row of ") + name);
  Handle mem_space(H5Screate_simple(rank, count, nullptr), "memory dataspace");
  check(H5Dwrite(dset, mem_type, mem_space.get(), file_space.get(), xfer_.get(), data),
        std::string("writing row ") + std::to_string(row) + " of " + name);
}

void Store::mark_running(std::int64_t point_id) {
  const auto running = static_cast<std::int8_t>(PointStatus::running);
  const double now = unix_now();
  write_row(schema::kStartedAt, point_id, H5T_NATIVE_DOUBLE, &now);
  write_row(schema::kStatus, point_id, status_type_.get(), &running);
}

void Store::write_summary(const PointSummary& s) {
  const std::int64_t id = s.point_id;
  write_row(schema::kFinalTrainLoss, id, H5T_NATIVE_DOUBLE, &s.final_train_loss);
  write_row(schema::kFinalTestLoss, id, H5T_NATIVE_DOUBLE, &s.final_test_loss);
  write_row(schema::kTrainAccuracy, id, H5T_NATIVE_DOUBLE, &s.train_accuracy);
  write_row(schema::kTestAccuracy, id, H5T_NATIVE_DOUBLE, &s.test_accuracy);
  write_row(schema::kSteps, id, H5T_NATIVE_INT64, &s.steps);
  write_row(schema::kWallSeconds, id, H5T_NATIVE_DOUBLE, &s.wall_seconds);
  const double now = s.status == PointStatus::pending ? kNaN : unix_now();  // a pending row has not finished
  write_row(schema::kFinishedAt, id, H5T_NATIVE_DOUBLE, &now);
  std::string error(schema::kErrorBytes, '\0');
  std::memcpy(error.data(), s.error.data(), std::min(s.error.size(), schema::kErrorBytes));
  write_row(schema::kError, id, error_type_.get(), error.data());
  const auto status = static_cast<std::int8_t>(s.status);
  write_row(schema::kStatus, id, status_type_.get(), &status);
}

void Store::write_record(const PointRecord& r) {
  const auto k = static_cast<std::size_t>(num_checkpoints_);
  if (r.train_loss.size() != k || r.train_accuracy.size() != k) {
    throw StorageError("point " + std::to_string(r.summary.point_id) + " has " + std::to_string(r.train_loss.size()) +
                       " checkpoints; the store has " + std::to_string(k));
  }
  write_row(schema::kSeriesTrainLoss, r.summary.point_id, H5T_NATIVE_DOUBLE, r.train_loss.data(), num_checkpoints_);
  write_row(schema::kSeriesTrainAccuracy, r.summary.point_id, H5T_NATIVE_DOUBLE, r.train_accuracy.data(),
            num_checkpoints_);
  write_summary(r.summary);
}

void Store::finish(const std::string& end_time) {
  h5::update_string_attribute(file_.get(), schema::kAttrEndTime, end_time);
  check(H5Fflush(file_.get(), H5F_SCOPE_GLOBAL), "flushing the store");
}

void Store::close() {
  datasets_.clear();
  status_type_.close();
  error_type_.close();
  xfer_.close();
  file_.close();
}

}  // namespace lsweep::store
