#include <sys/stat.h>

#include "lsweep/common/error.hpp"
#include "lsweep/store/schema.hpp"
#include "lsweep/store/store.hpp"

namespace lsweep::store {
namespace {

using h5::check;
using h5::Handle;

class Reader {
 public:
  Reader(hid_t file, std::string path) : file_(file), path_(std::move(path)) {}

  std::vector<hsize_t> dims(const char* name) {
    if (!h5::exists(file_, name)) damaged(std::string("dataset ") + name + " is missing");
    Handle d(H5Dopen2(file_, name, H5P_DEFAULT), std::string("opening ") + name);
    Handle space(H5Dget_space(d.get()), "H5Dget_space");
    const int rank = H5Sget_simple_extent_ndims(space.get());
    std::vector<hsize_t> out(static_cast<std::size_t>(std::max(rank, 0)));
    check(H5Sget_simple_extent_dims(space.get(), out.data(), nullptr), "H5Sget_simple_extent_dims");
    return out;
  }

  template <typename T>
  std::vector<T> read(const char* name, hid_t mem_type, const std::vector<hsize_t>& expect,
                      std::size_t values_per_element = 1) {
    if (dims(name) != expect) damaged(std::string("dataset ") + name + " has the wrong shape");
    std::size_t total = values_per_element;
    for (auto d : expect) total *= d;
    std::vector<T> out(total);
    Handle d(H5Dopen2(file_, name, H5P_DEFAULT), std::string("opening ") + name);
    check(H5Dread(d.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), std::string("reading ") + name);
    return out;
  }

  [[noreturn]] void damaged(const std::string& what) const {
    throw StorageError("store '" + path_ + "' is damaged: " + what);
  }

 private:
  hid_t file_;
  std::string path_;
};

void check_identity(hid_t file, const std::string& path) {
  std::string format;
  try {
    format = h5::read_string_attribute(file, schema::kAttrFormat);
  } catch (const StorageError&) {
    throw StorageError("'" + path + "' is an HDF5 file but not a lsweep store (no 'format' attribute)");
  }
  if (format != schema::kFormat) {
    throw StorageError("'" + path + "' is not a lsweep store: format = \"" + format + "\", expected \"" +
                       schema::kFormat + "\"");
  }
  const long long version = h5::read_int_attribute(file, schema::kAttrSchemaVersion);
  if (version != schema::kVersion) {
    throw StorageError("store '" + path + "' has schema version " + std::to_string(version) +
                       "; this lsweep reads version " + std::to_string(schema::kVersion));
  }
}

void read_attributes(hid_t file, StoreContents& out) {
  for (const char* name :
       {schema::kAttrFormat, schema::kAttrJobName, schema::kAttrJobToml, schema::kAttrLsweepVersion,
        schema::kAttrGitCommit, schema::kAttrLibtorchVersion, schema::kAttrMpiVersion, schema::kAttrHdf5Version,
        schema::kAttrHosts, schema::kAttrStartTime, schema::kAttrEndTime}) {
    if (H5Aexists(file, name) > 0) out.attributes[name] = h5::read_string_attribute(file, name);
  }
  out.num_ranks = h5::read_int_attribute(file, schema::kAttrNumRanks);
}

std::vector<std::string> read_errors(hsize_t n, Reader& r) {
  Handle type = h5::string_type(schema::kErrorBytes);
  const auto raw = r.read<char>(schema::kError, type.get(), {n}, schema::kErrorBytes);
  std::vector<std::string> out;
  for (hsize_t i = 0; i < n; ++i) {
    const char* row = raw.data() + i * schema::kErrorBytes;
    out.emplace_back(row, strnlen(row, schema::kErrorBytes));
  }
  return out;
}

}  // namespace

StoreContents read_store(const std::string& path) {
  h5::silence_errors();
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) throw StorageError("store '" + path + "' does not exist");
  if (H5Fis_hdf5(path.c_str()) <= 0) throw StorageError("'" + path + "' is not an HDF5 file, so not a lsweep store");
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "opening store '" + path + "'");
  check_identity(file.get(), path);
  StoreContents out;
  read_attributes(file.get(), out);
  Reader r(file.get(), path);
  const auto lr_dims = r.dims(schema::kLr);
  if (lr_dims.size() != 1) r.damaged("/grid/lr is not one-dimensional");
  const hsize_t n = lr_dims[0];
  const auto step_dims = r.dims(schema::kSeriesStep);
  if (step_dims.size() != 1) r.damaged("/series/step is not one-dimensional");
  const hsize_t k = step_dims[0];
  out.checkpoint_steps = r.read<std::int64_t>(schema::kSeriesStep, H5T_NATIVE_INT64, {k});
  const auto lr = r.read<double>(schema::kLr, H5T_NATIVE_DOUBLE, {n});
  const auto batch = r.read<std::int64_t>(schema::kBatch, H5T_NATIVE_INT64, {n});
  const auto width = r.read<std::int64_t>(schema::kWidth, H5T_NATIVE_INT64, {n});
  const auto seed = r.read<std::int64_t>(schema::kSeed, H5T_NATIVE_INT64, {n});
  Handle stype = status_type();
  const auto status = r.read<std::int8_t>(schema::kStatus, stype.get(), {n});
  const auto errors = read_errors(n, r);
  const auto train_loss = r.read<double>(schema::kFinalTrainLoss, H5T_NATIVE_DOUBLE, {n});
  const auto test_loss = r.read<double>(schema::kFinalTestLoss, H5T_NATIVE_DOUBLE, {n});
  const auto train_acc = r.read<double>(schema::kTrainAccuracy, H5T_NATIVE_DOUBLE, {n});
  const auto test_acc = r.read<double>(schema::kTestAccuracy, H5T_NATIVE_DOUBLE, {n});
  const auto steps = r.read<std::int64_t>(schema::kSteps, H5T_NATIVE_INT64, {n});
  const auto wall = r.read<double>(schema::kWallSeconds, H5T_NATIVE_DOUBLE, {n});
  out.started_at = r.read<double>(schema::kStartedAt, H5T_NATIVE_DOUBLE, {n});
  out.finished_at = r.read<double>(schema::kFinishedAt, H5T_NATIVE_DOUBLE, {n});
  out.series_train_loss = r.read<double>(schema::kSeriesTrainLoss, H5T_NATIVE_DOUBLE, {n, k});
  out.series_train_accuracy = r.read<double>(schema::kSeriesTrainAccuracy, H5T_NATIVE_DOUBLE, {n, k});
  for (hsize_t i = 0; i < n; ++i) {
    StoredPoint p;
    p.point = {static_cast<std::int64_t>(i), lr[i], batch[i], width[i], seed[i]};
    p.summary = {static_cast<std::int64_t>(i),
                 point_status_from_int(status[i]),
                 train_loss[i],
                 test_loss[i],
                 train_acc[i],
                 test_acc[i],
                 steps[i],
                 wall[i],
                 errors[i]};
    out.points.push_back(std::move(p));
  }
  return out;
}

}  // namespace lsweep::store
