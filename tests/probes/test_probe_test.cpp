// A probe defined only here, in the test (not registered in the product),
// reaches validation, job comparison, the store (under mpiexec, through the
// real `lsweep run` code path), the master and the report CSV, with no edit
// outside this file: the probe mechanism is generic. Run at 2 and 3 ranks.

#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <cmath>
#include <fstream>

#include "commands.hpp"
#include "lsweep/common/error.hpp"
#include "lsweep/config/grid.hpp"
#include "lsweep/config/job_diff.hpp"
#include "lsweep/config/layout.hpp"
#include "lsweep/probes/probe.hpp"
#include "lsweep/store/store_reader.hpp"

namespace lsweep::probes {
namespace {

namespace L = config::layout;

struct EchoOptions : config::ProbeOptions {
  std::int64_t m = 2;
  double scale = 1.0;
};

// Writes known values: cube[k, j] = scale * (k + j) + point id at each
// checkpoint, final = scale * steps taken, trail = width values i * scale.
class EchoProbe : public Probe {
 public:
  std::string name() const override { return "echo"; }
  std::shared_ptr<const config::ProbeOptions> parse(config::OptionTable& t, const config::JobConfig&) const override {
    auto o = std::make_shared<EchoOptions>();
    o->m = t.integer("m", 1, 8).value_or(2);
    o->scale = t.number("scale", 0.0, 10.0, true).value_or(1.0);
    return o;
  }
  std::vector<config::ProbeField> fields(const config::ProbeOptions& options) const override {
    const auto& o = dynamic_cast<const EchoOptions&>(options);
    return {{"m", std::to_string(o.m)}, {"scale", std::to_string(o.scale)}};
  }
  Layout datasets(const config::JobConfig& job, const config::ProbeOptions& options) const override {
    const auto& o = dynamic_cast<const EchoOptions&>(options);
    auto offsets = std::make_shared<std::vector<std::int64_t>>(1, 0);
    for (const auto& p : config::expand_grid(job)) offsets->push_back(offsets->back() + p.width);
    DatasetSpec trail;
    trail.path = "/probes/echo/trail";
    trail.dims = {{Axis::packed, offsets->back()}};
    trail.fill = kNaN;
    trail.meaning = "width values per point";
    trail.packed = offsets;
    return {L::point_series_of("/probes/echo/cube", o.m, "1", "checkpoint x m values", job),
            L::point_scalar("/probes/echo/final", "1", "scale x steps", "echo_final", job), trail};
  }
  std::unique_ptr<training::PointObserver> observe(const config::JobConfig&, const config::ProbeOptions& options,
                                                   const config::GridPoint& point) const override {
    return std::make_unique<Observer>(dynamic_cast<const EchoOptions&>(options), point);
  }

 private:
  class Observer : public training::PointObserver {
   public:
    Observer(const EchoOptions& o, const config::GridPoint& p) : o_(o), p_(p) {}
    void checkpoint(const training::PointState&, std::size_t k, Rows& rows) override {
      auto& cube = rows["/probes/echo/cube"];
      for (std::int64_t j = 0; j < o_.m; ++j) {
        cube[k * static_cast<std::size_t>(o_.m) + static_cast<std::size_t>(j)] =
            o_.scale * static_cast<double>(static_cast<std::int64_t>(k) + j) + static_cast<double>(p_.id);
      }
    }
    void finish(const training::PointState& s, Rows& rows) override {
      rows["/probes/echo/final"] = {o_.scale * static_cast<double>(s.step)};
      auto& trail = rows["/probes/echo/trail"];
      for (std::size_t i = 0; i < trail.size(); ++i) trail[i] = static_cast<double>(i) * o_.scale;
    }

   private:
    EchoOptions o_;
    config::GridPoint p_;
  };
};

// The product's probes plus the echo probe.
const Registry& with_echo() {
  static const Registry r = [] {
    Registry reg = builtin();
    reg.add(std::make_shared<EchoProbe>());
    return reg;
  }();
  return r;
}

const std::string kJob = R"(name = "echo"
[grid]
lr = [0.05, 0.1]
batch = [8]
width = [4, 6]
seed = [1]
[data]
kind = "gaussian"
train_size = 32
dim = 3
[train]
loss = "mse"
steps = 40
checkpoints = 3
[probes.echo]
m = 3
scale = 0.5
)";

int rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

std::string shared_dir() {
  std::string dir(256, '\0');
  if (rank() == 0) {
    char tmpl[] = "/tmp/lsweep_echo_XXXXXX";
    dir = mkdtemp(tmpl);
    dir.resize(256, '\0');
  }
  MPI_Bcast(dir.data(), 256, MPI_CHAR, 0, MPI_COMM_WORLD);
  return dir.c_str();
}

TEST(TestOnlyProbe, IsValidatedWithTheProjectsErrorStandard) {
  const auto job = config::parse_job(kJob, "echo.toml", with_echo());
  ASSERT_EQ(job.probes.size(), 1u);
  EXPECT_EQ(job.probes[0].name(), "echo");
  std::string bad = kJob;
  bad.replace(bad.find("\nm = 3"), 6, "\nm = 9");
  EXPECT_THROW(config::parse_job(bad, "echo.toml", with_echo()), ConfigError);
  try {
    config::parse_job(bad, "echo.toml", with_echo());
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("probes.echo.m = 9: allowed: an integer from 1 to 8"), std::string::npos);
  }
  EXPECT_THROW(config::parse_job(kJob, "echo.toml", builtin()), ConfigError);  // the product has no echo
  if (rank() != 0) return;
  const std::string path = ::testing::TempDir() + "/echo_validate.toml";
  std::ofstream(path) << kJob;
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(cli::validate_command(path, with_echo()), cli::kOk);
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_NE(out.find("probes: echo (m = 3, scale = 0.500000)"), std::string::npos) << out;
}

TEST(TestOnlyProbe, TakesPartInJobComparison) {
  const auto a = config::parse_job(kJob, "a.toml", with_echo());
  std::string text = kJob;
  text.replace(text.find("scale = 0.5"), 11, "scale = 0.25");
  const auto b = config::parse_job(text, "b.toml", with_echo());
  EXPECT_EQ(config::job_differences(a, b),
            std::vector<std::string>{"probes.echo.scale: store has 0.500000, job has 0.250000"});
  const auto none = config::parse_job(kJob.substr(0, kJob.find("[probes.echo]")), "c.toml", with_echo());
  EXPECT_EQ(config::job_differences(a, none),
            std::vector<std::string>{"probes.echo: store has [probes.echo], job has no [probes.echo]"});
}

TEST(TestOnlyProbe, ReachesTheStoreThroughLsweepRunAndTheReport) {
  const std::string dir = shared_dir();
  const std::string job_path = dir + "/echo.toml", store_path = dir + "/echo.h5";
  if (rank() == 0) std::ofstream(job_path) << kJob;
  MPI_Barrier(MPI_COMM_WORLD);
  EXPECT_EQ(cli::run_command(job_path, store_path, 60, with_echo()), cli::kOk);
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank() != 0) return;
  const store::StoreReader r(store_path, with_echo());
  const auto k = config::checkpoint_steps(40, 3).size();
  const auto cube = r.doubles("/probes/echo/cube");
  ASSERT_EQ(cube.size(), 4 * k * 3);
  for (std::size_t i = 0; i < 4; ++i) {
    for (std::size_t c = 0; c < k; ++c) {
      for (std::size_t j = 0; j < 3; ++j) {
        EXPECT_EQ(cube[(i * k + c) * 3 + j], 0.5 * static_cast<double>(c + j) + static_cast<double>(i));
      }
    }
  }
  EXPECT_EQ(r.doubles("/probes/echo/final"), (std::vector<double>{20, 20, 20, 20}));
  EXPECT_EQ(r.row("/probes/echo/trail", 1), (std::vector<double>{0, 0.5, 1, 1.5, 2, 2.5}));  // width 6
  for (bool torn : r.torn_rows(r.statuses())) EXPECT_FALSE(torn);
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(cli::report_command(store_path, true, cli::ReportKind::points, with_echo()), cli::kOk);
  const std::string csv = ::testing::internal::GetCapturedStdout();
  EXPECT_NE(csv.find(",wall_seconds,echo_final,error,row_check\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",20,,ok\n"), std::string::npos) << csv;
  EXPECT_THROW(store::StoreReader(store_path, builtin()), StorageError);  // a store of a probe this lsweep lacks
  std::remove(store_path.c_str());
  std::remove(job_path.c_str());
  rmdir(dir.c_str());
}

}  // namespace
}  // namespace lsweep::probes
