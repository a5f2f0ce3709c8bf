// The parallel store at 1, 2 and 3 ranks: collective creation from the job's
// layout (base and a probe with [N, K, m] and packed datasets), independent
// row writes from every rank, and a serial read-back of exactly what was
// written, checksums included.

#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>

#include "lsweep/common/error.hpp"
#include "lsweep/config/grid.hpp"
#include "lsweep/config/layout.hpp"
#include "lsweep/store/schema.hpp"
#include "lsweep/store/store.hpp"
#include "lsweep/store/store_reader.hpp"

namespace lsweep::store {
namespace {

namespace L = config::layout;

int rank_of_world() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}
int size_of_world() {
  int s = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

// A fresh temporary folder, the same on every rank.
std::string shared_temp_dir() {
  std::string dir(256, '\0');
  if (rank_of_world() == 0) {
    char tmpl[] = "/tmp/lsweep_store_test_XXXXXX";
    dir = mkdtemp(tmpl);
    dir.resize(256, '\0');
  }
  MPI_Bcast(dir.data(), 256, MPI_CHAR, 0, MPI_COMM_WORLD);
  return dir.c_str();
}

// A spec-only probe with the shapes probes use: [N, K, 3] and a packed row of
// `width` values per point.
class ShapesProbe : public config::ProbeSpec {
 public:
  std::string name() const override { return "shapes"; }
  std::shared_ptr<const config::ProbeOptions> parse(config::OptionTable&, const config::JobConfig&) const override {
    return std::make_shared<config::ProbeOptions>();
  }
  std::vector<config::ProbeField> fields(const config::ProbeOptions&) const override { return {}; }
  Layout datasets(const config::JobConfig& job, const config::ProbeOptions&) const override {
    Layout l;
    l.push_back(L::point_series_of("/probes/shapes/cube", 3, "1", "three values per checkpoint", job));
    auto offsets = std::make_shared<std::vector<std::int64_t>>(1, 0);
    for (const auto& p : config::expand_grid(job)) offsets->push_back(offsets->back() + p.width);
    DatasetSpec packed;
    packed.path = "/probes/shapes/packed";
    packed.dims = {{Axis::packed, offsets->back()}};
    packed.fill = kNaN;
    packed.packed = offsets;
    l.push_back(packed);
    return l;
  }
};

class ShapesCatalog : public config::ProbeCatalog {
 public:
  std::shared_ptr<const config::ProbeSpec> find(const std::string& name) const override {
    return name == "shapes" ? probe_ : nullptr;
  }
  std::vector<std::string> names() const override { return {"shapes"}; }

 private:
  std::shared_ptr<const config::ProbeSpec> probe_ = std::make_shared<ShapesProbe>();
};

const ShapesCatalog catalog;

const char* const kJobText = R"(name = "store-test"
[grid]
lr = [0.1, 0.2, 0.3]
batch = [5, "full"]
width = [7, 2]
seed = [0]
[data]
kind = "gaussian"
train_size = 50
dim = 3
[train]
loss = "mse"
steps = 100
checkpoints = 3
[probes.shapes]
)";

config::JobConfig small_job() { return config::parse_job(kJobText, "store-test.toml", catalog); }

Provenance test_provenance() {
  Provenance p;
  p.lsweep_version = "0.0-test";
  p.git_commit = "abc";
  p.libtorch_version = "1.13";
  p.mpi_version = "Open MPI";
  p.hdf5_version = "1.10";
  p.hosts = "h1,h2";
  p.start_time = "2026-01-01T00:00:00Z";
  p.num_ranks = size_of_world();
  return p;
}

double cube_value(std::int64_t id, std::size_t i) { return static_cast<double>(id) * 1000 + static_cast<double>(i); }

PointRecord record_for(const Layout& layout, std::int64_t id, std::int64_t width) {
  PointRecord r;
  r.summary.point_id = id;
  r.summary.status = id % 5 == 4 ? PointStatus::diverged : PointStatus::done;
  r.summary.steps = 100 - id;
  r.summary.wall_seconds = 0.25 * static_cast<double>(id);
  r.summary.error = id % 5 == 4 ? "loss became nan at step " + std::to_string(id) : "";
  r.rows = Rows(layout, id);
  r.rows[L::kFinalTrainLoss] = {1.0 / static_cast<double>(id + 1)};
  r.rows[L::kTestAccuracy] = {0.5 + 0.001 * static_cast<double>(id)};
  auto& series = r.rows[L::kSeriesTrainLoss];
  for (std::size_t c = 0; c < series.size(); ++c) series[c] = static_cast<double>(id) + 0.1 * static_cast<double>(c);
  auto& cube = r.rows["/probes/shapes/cube"];
  for (std::size_t i = 0; i < cube.size(); ++i) cube[i] = cube_value(id, i);
  auto& packed = r.rows["/probes/shapes/packed"];
  EXPECT_EQ(static_cast<std::int64_t>(packed.size()), width);
  for (std::size_t i = 0; i < packed.size(); ++i) packed[i] = -static_cast<double>(id) - 0.5 * static_cast<double>(i);
  return r;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = shared_temp_dir();
    path_ = dir_ + "/sweep.h5";
  }
  void TearDown() override {
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank_of_world() == 0) {
      std::remove(path_.c_str());
      rmdir(dir_.c_str());
    }
  }
  std::string dir_, path_;
};

TEST_F(StoreTest, EveryRankWritesItsRowsOfAnyRankAndTheReadBackIsExact) {
  const auto job = small_job();
  const auto points = config::expand_grid(job);
  const auto k = config::checkpoint_steps(job.train.steps, job.train.checkpoints);
  {
    Store store = Store::create(path_, MPI_COMM_WORLD, job, test_provenance());
    EXPECT_EQ(store.num_points(), 12);
    EXPECT_EQ(store.version(), 2);
    // Point 11 stays pending; point 10 is only marked running; point 3 failed.
    for (std::int64_t id = rank_of_world(); id < 10; id += size_of_world()) {
      store.mark_running(id);
      if (id == 3) {
        PointSummary failed;
        failed.point_id = 3;
        failed.status = PointStatus::failed;
        failed.error = std::string(600, 'x');  // longer than a row holds
        store.write_summary(failed);
      } else {
        store.write_point(record_for(store.layout(), id, points[static_cast<std::size_t>(id)].width));
      }
    }
    if (rank_of_world() == size_of_world() - 1) store.mark_running(10);
    store.finish("2026-01-01T00:01:00Z");
    store.close();
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank_of_world() != 0) return;
  const StoreReader r(path_, catalog);
  ASSERT_EQ(r.num_points(), 12);
  EXPECT_EQ(r.version(), 2);
  EXPECT_EQ(r.num_ranks(), size_of_world());
  EXPECT_EQ(r.attribute("job_toml"), job.source_text);
  EXPECT_EQ(r.attribute("job_name"), "store-test");
  EXPECT_EQ(r.attribute("format"), "lsweep-store");
  EXPECT_EQ(r.attribute("hosts"), "h1,h2");
  EXPECT_EQ(r.attribute("end_time"), "2026-01-01T00:01:00Z");
  EXPECT_EQ(r.integers(L::kSeriesStep), k);
  const auto lr = r.doubles(L::kLr);
  const auto batch = r.integers(L::kBatch);
  for (std::size_t i = 0; i < points.size(); ++i) {
    EXPECT_EQ(lr[i], points[i].lr);
    EXPECT_EQ(batch[i], points[i].batch);
  }
  EXPECT_EQ(batch[2], 50);  // "full" stored as P
  const auto status = r.statuses();
  const auto loss = r.doubles(L::kFinalTrainLoss);
  const auto steps = r.integers(L::kSteps);
  const auto errors = r.texts(L::kError);
  const auto series = r.doubles(L::kSeriesTrainLoss);
  const auto cube = r.doubles("/probes/shapes/cube");
  const auto packed = r.doubles("/probes/shapes/packed");
  const auto accuracy = r.doubles(L::kTrainAccuracy);
  std::size_t at = 0;
  for (std::int64_t id = 0; id < 12; ++id) {
    const auto i = static_cast<std::size_t>(id);
    const auto width = static_cast<std::size_t>(points[i].width);
    if (id < 10 && id != 3) {
      const PointRecord want = record_for(r.layout(), id, points[i].width);
      EXPECT_EQ(status[i], want.summary.status) << id;
      EXPECT_EQ(loss[i], (*want.rows.find(L::kFinalTrainLoss))[0]);
      EXPECT_TRUE(std::isnan(accuracy[i]));  // not in the record: written at its fill value
      EXPECT_EQ(steps[i], want.summary.steps);
      EXPECT_EQ(errors[i], want.summary.error);
      for (std::size_t j = 0; j < k.size(); ++j)
        EXPECT_EQ(series[i * k.size() + j], (*want.rows.find(L::kSeriesTrainLoss))[j]);
      for (std::size_t j = 0; j < k.size() * 3; ++j) EXPECT_EQ(cube[i * k.size() * 3 + j], cube_value(id, j));
      for (std::size_t j = 0; j < width; ++j)
        EXPECT_EQ(packed[at + j], -static_cast<double>(id) - 0.5 * static_cast<double>(j));
    } else {
      for (std::size_t j = 0; j < width; ++j) EXPECT_TRUE(std::isnan(packed[at + j]));
    }
    at += width;
  }
  EXPECT_EQ(at, packed.size());
  EXPECT_EQ(status[3], PointStatus::failed);
  EXPECT_EQ(errors[3], std::string(L::kErrorBytes, 'x'));
  EXPECT_EQ(status[10], PointStatus::running);
  EXPECT_EQ(status[11], PointStatus::pending);
  EXPECT_TRUE(std::isnan(loss[11]));
  EXPECT_EQ(steps[11], -1);
  EXPECT_TRUE(std::isnan(series[11 * k.size()]));
  for (bool torn : r.torn_rows(status)) EXPECT_FALSE(torn);
  EXPECT_EQ(r.job_content_mismatch(), "");
}

TEST_F(StoreTest, ARowWhoseValuesDoNotMatchItsChecksumIsTorn) {
  const auto job = small_job();
  {
    Store store = Store::create(path_, MPI_COMM_WORLD, job, test_provenance());
    if (rank_of_world() == 0) {
      for (std::int64_t id : {0, 1}) store.write_point(record_for(store.layout(), id, id == 0 ? 7 : 2));
    }
    store.close();
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank_of_world() != 0) return;
  {
    // A crash that left the status on disk but not the packed values of point 1.
    h5::Handle f(H5Fopen(path_.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), "open");
    h5::Handle d(H5Dopen2(f.get(), "/probes/shapes/packed", H5P_DEFAULT), "open packed");
    h5::Handle space(H5Dget_space(d.get()), "space");
    const hsize_t start = 7 + 1, one = 1;  // point 1's second value
    H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, &start, nullptr, &one, nullptr);
    h5::Handle mem(H5Screate_simple(1, &one, nullptr), "mem");
    const double nan = kNaN;
    ASSERT_GE(H5Dwrite(d.get(), H5T_NATIVE_DOUBLE, mem.get(), space.get(), H5P_DEFAULT, &nan), 0);
  }
  const StoreReader r(path_, catalog);
  const auto torn = r.torn_rows(r.statuses());
  EXPECT_FALSE(torn[0]);
  EXPECT_TRUE(torn[1]);
  EXPECT_FALSE(torn[2]);  // pending: never checked
}

TEST_F(StoreTest, WritingARowOutsideTheGridOrOfTheWrongLengthThrows) {
  const auto job = small_job();
  Store store = Store::create(path_, MPI_COMM_WORLD, job, test_provenance());
  EXPECT_THROW(store.mark_running(12), StorageError);
  EXPECT_THROW(store.mark_running(-1), StorageError);
  PointRecord wrong = record_for(store.layout(), 0, 7);
  wrong.rows[L::kSeriesTrainLoss].push_back(1.0);
  EXPECT_THROW(store.write_point(wrong), StorageError);
  EXPECT_THROW(wrong.rows["/probes/shapes/no_such"], std::out_of_range);
  store.close();
}

TEST(StoreReader, ExplainsAMissingFile) {
  try {
    StoreReader("/nonexistent/sweep.h5", catalog);
    FAIL();
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
}

TEST(StoreReader, ExplainsAFileThatIsNotHdf5OrNotRegular) {
  const std::string path = "/tmp/lsweep_not_hdf5_" + std::to_string(rank_of_world()) + ".h5";
  std::ofstream(path) << "just text";
  try {
    StoreReader(path, catalog);
    FAIL();
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("not an HDF5 file"), std::string::npos) << e.what();
  }
  std::remove(path.c_str());
  try {
    StoreReader("/tmp", catalog);
    FAIL();
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
  }
}

TEST(StoreReader, ExplainsAnHdf5FileThatIsNotAStore) {
  const std::string path = "/tmp/lsweep_other_hdf5_" + std::to_string(rank_of_world()) + ".h5";
  std::remove(path.c_str());
  {
    h5::Handle f(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), "create");
    h5::write_string_attribute(f.get(), "format", "something-else");
  }
  try {
    StoreReader(path, catalog);
    FAIL();
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("not a lsweep store"), std::string::npos) << e.what();
  }
  std::remove(path.c_str());
}

TEST(Layout, EstimatesTheStoreSizeFromTheDescription) {
  const auto job = small_job();
  const Layout layout = L::store_layout(job);
  std::int64_t raw = 0;
  for (const auto& s : layout) raw += s.total_size() * static_cast<std::int64_t>(s.element_bytes());
  // 12 points x (4 grid + 8 results + checksum) x 8 + 12 x (1 status + 512 error)
  // + 2 series x 12 x K x 8 + K steps x 8 + cube 12 x K x 3 x 8 + packed (7 + 2) x 6 x 8
  const std::int64_t k = 4;
  EXPECT_EQ(raw, 12 * 13 * 8 + 12 * (1 + 512) + 2 * 12 * k * 8 + k * 8 + 12 * k * 3 * 8 + 9 * 6 * 8);
  const auto bytes = L::estimate_bytes(layout, 100);
  EXPECT_GT(bytes, raw + 100);
  EXPECT_LT(bytes, raw + 100 + 48 * 1024);
}

TEST(Layout, ProbeDatasetsLiveUnderTheirOwnGroup) {
  const Layout layout = L::store_layout(small_job());
  const auto groups = L::groups_of(layout);
  EXPECT_EQ(groups, (std::vector<std::string>{"/grid", "/points", "/probes", "/probes/shapes", "/results", "/series"}));
  EXPECT_NE(find_spec(layout, "/probes/shapes/cube"), nullptr);
  EXPECT_EQ(find_spec(layout, "/probes/shapes/cube")->shape_text(), "[N, K, 3]");
  EXPECT_EQ(find_spec(L::store_layout(small_job(), 1), L::kChecksum), nullptr);  // version 1: no checksums, no probes
  EXPECT_EQ(find_spec(L::store_layout(small_job(), 1), "/probes/shapes/cube"), nullptr);
}

}  // namespace
}  // namespace lsweep::store
