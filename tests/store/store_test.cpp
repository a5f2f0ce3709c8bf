// The parallel store at 1, 2 and 3 ranks: collective creation, independent
// row writes from every rank, and a serial read-back of exactly what was written.

#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>

#include "lsweep/common/error.hpp"
#include "lsweep/store/schema.hpp"
#include "lsweep/store/store.hpp"

namespace lsweep::store {
namespace {

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

config::JobConfig small_job() {
  config::JobConfig job;
  job.name = "store-test";
  job.source_text = "name = \"store-test\"\n# a job file\n";
  job.data.train_size = 50;
  job.grid.lr = {0.1, 0.2, 0.3};
  job.grid.batch = {5, config::kFullBatch};
  job.grid.width = {7};
  job.grid.seed = {0, 1};
  job.train.steps = 100;
  job.train.checkpoints = 3;
  return job;
}

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

PointRecord record_for(std::int64_t id, std::size_t k) {
  PointRecord r;
  r.summary.point_id = id;
  r.summary.status = id % 5 == 4 ? PointStatus::diverged : PointStatus::done;
  r.summary.final_train_loss = 1.0 / static_cast<double>(id + 1);
  r.summary.final_test_loss = 2.0 / static_cast<double>(id + 3);
  r.summary.train_accuracy = 0.01 * static_cast<double>(id);
  r.summary.test_accuracy = 0.5 + 0.001 * static_cast<double>(id);
  r.summary.steps = 100 - id;
  r.summary.wall_seconds = 0.25 * static_cast<double>(id);
  r.summary.error = id % 5 == 4 ? "loss became nan at step " + std::to_string(id) : "";
  for (std::size_t c = 0; c < k; ++c) {
    r.train_loss.push_back(static_cast<double>(id) + 0.1 * static_cast<double>(c));
    r.train_accuracy.push_back(c + 1 == k ? kNaN : 0.5);
  }
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

TEST_F(StoreTest, EveryRankWritesItsRowsAndTheReadBackIsExact) {
  const auto job = small_job();
  const auto points = config::expand_grid(job);
  const auto k = config::checkpoint_steps(job.train.steps, job.train.checkpoints);
  {
    Store store = Store::create(path_, MPI_COMM_WORLD, job, points, test_provenance());
    EXPECT_EQ(store.num_points(), 12);
    EXPECT_EQ(store.num_checkpoints(), static_cast<std::int64_t>(k.size()));
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
        store.write_record(record_for(id, k.size()));
      }
    }
    if (rank_of_world() == size_of_world() - 1) store.mark_running(10);
    store.finish("2026-01-01T00:01:00Z");
    store.close();
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank_of_world() != 0) return;
  const StoreContents c = read_store(path_);
  ASSERT_EQ(c.points.size(), 12u);
  EXPECT_EQ(c.checkpoint_steps, k);
  EXPECT_EQ(c.num_ranks, size_of_world());
  EXPECT_EQ(c.attributes.at("job_toml"), job.source_text);
  EXPECT_EQ(c.attributes.at("job_name"), "store-test");
  EXPECT_EQ(c.attributes.at("format"), "lsweep-store");
  EXPECT_EQ(c.attributes.at("hosts"), "h1,h2");
  EXPECT_EQ(c.attributes.at("end_time"), "2026-01-01T00:01:00Z");
  for (std::size_t i = 0; i < points.size(); ++i) {
    EXPECT_EQ(c.points[i].point.lr, points[i].lr);
    EXPECT_EQ(c.points[i].point.batch, points[i].batch);
    EXPECT_EQ(c.points[i].point.seed, points[i].seed);
  }
  EXPECT_EQ(c.points[2].point.batch, 50);  // "full" stored as P
  for (std::int64_t id = 0; id < 10; ++id) {
    if (id == 3) continue;
    const PointRecord want = record_for(id, k.size());
    const PointSummary& got = c.points[static_cast<std::size_t>(id)].summary;
    EXPECT_EQ(got.status, want.summary.status) << id;
    EXPECT_EQ(got.final_train_loss, want.summary.final_train_loss);
    EXPECT_EQ(got.final_test_loss, want.summary.final_test_loss);
    EXPECT_EQ(got.train_accuracy, want.summary.train_accuracy);
    EXPECT_EQ(got.test_accuracy, want.summary.test_accuracy);
    EXPECT_EQ(got.steps, want.summary.steps);
    EXPECT_EQ(got.wall_seconds, want.summary.wall_seconds);
    EXPECT_EQ(got.error, want.summary.error);
    for (std::size_t j = 0; j < k.size(); ++j) {
      EXPECT_EQ(c.series_train_loss[static_cast<std::size_t>(id) * k.size() + j], want.train_loss[j]);
    }
    EXPECT_TRUE(std::isnan(c.series_train_accuracy[static_cast<std::size_t>(id) * k.size() + k.size() - 1]));
  }
  EXPECT_EQ(c.points[3].summary.status, PointStatus::failed);
  EXPECT_EQ(c.points[3].summary.error, std::string(schema::kErrorBytes, 'x'));
  EXPECT_EQ(c.points[10].summary.status, PointStatus::running);
  EXPECT_EQ(c.points[11].summary.status, PointStatus::pending);
  EXPECT_TRUE(std::isnan(c.points[11].summary.final_train_loss));
  EXPECT_EQ(c.points[11].summary.steps, -1);
  EXPECT_TRUE(std::isnan(c.series_train_loss[11 * k.size()]));
}

TEST_F(StoreTest, RefusesToCreateOverAnExistingFile) {
  if (rank_of_world() == 0) std::ofstream(path_) << "precious";
  MPI_Barrier(MPI_COMM_WORLD);
  const auto job = small_job();
  EXPECT_THROW(Store::create(path_, MPI_COMM_WORLD, job, config::expand_grid(job), test_provenance()), StorageError);
  MPI_Barrier(MPI_COMM_WORLD);
  std::ifstream in(path_);
  std::string text;
  in >> text;
  EXPECT_EQ(text, "precious");
}

TEST_F(StoreTest, WritingARowOutsideTheGridThrows) {
  const auto job = small_job();
  Store store = Store::create(path_, MPI_COMM_WORLD, job, config::expand_grid(job), test_provenance());
  EXPECT_THROW(store.mark_running(12), StorageError);
  EXPECT_THROW(store.mark_running(-1), StorageError);
  PointRecord short_series = record_for(0, 1);
  EXPECT_THROW(store.write_record(short_series), StorageError);
  store.close();
}

TEST(ReadStore, ExplainsAMissingFile) {
  try {
    read_store("/nonexistent/sweep.h5");
    FAIL();
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
}

TEST(ReadStore, ExplainsAFileThatIsNotHdf5) {
  const std::string path = "/tmp/lsweep_not_hdf5_" + std::to_string(rank_of_world()) + ".h5";
  std::ofstream(path) << "just text";
  try {
    read_store(path);
    FAIL();
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("not an HDF5 file"), std::string::npos) << e.what();
  }
  std::remove(path.c_str());
}

TEST(ReadStore, ExplainsAnHdf5FileThatIsNotAStore) {
  const std::string path = "/tmp/lsweep_other_hdf5_" + std::to_string(rank_of_world()) + ".h5";
  std::remove(path.c_str());
  {
    h5::Handle f(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), "create");
    h5::write_string_attribute(f.get(), "format", "something-else");
  }
  try {
    read_store(path);
    FAIL();
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("not a lsweep store"), std::string::npos) << e.what();
  }
  std::remove(path.c_str());
}

TEST(Schema, EstimatesTheStoreSize) {
  // 12 points x (grid 32 + status 1 + error 512 + results 64 + 2 series x 8 x 4) + steps + job + metadata
  EXPECT_EQ(schema::estimate_bytes(12, 4, 100), 24 * 1024 + 100 + 32 + 12 * (32 + 1 + 512 + 64 + 64));
}

}  // namespace
}  // namespace lsweep::store
