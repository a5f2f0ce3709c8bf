#include "lsweep/config/job_config.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "lsweep/common/error.hpp"

namespace lsweep::config {
namespace {

struct Sections {
  std::string top = "name = \"t\"\n";
  std::string grid = "lr = [0.1, 0.01]\nbatch = [8, \"full\"]\nwidth = [4]\nseed = [0, 1]\n";
  std::string data = "kind = \"gaussian\"\ntrain_size = 16\ntest_size = 4\ndim = 3\n";
  std::string model = "depth = 2\n";
  std::string train = "loss = \"quadratic_hinge\"\nsteps = 10\n";
  std::string text() const {
    return top + "[grid]\n" + grid + "[data]\n" + data + "[model]\n" + model + "[train]\n" + train;
  }
};

// The message of the ConfigError that parsing `s` throws ("" if none).
std::string error_of(const Sections& s) {
  try {
    parse_job(s.text(), "job.toml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

// Asserts parsing fails with a message containing every one of `parts`.
#define EXPECT_REJECTED(sections, ...)                                                          \
  do {                                                                                          \
    EXPECT_THROW(parse_job((sections).text(), "job.toml"), ConfigError);                        \
    const std::string msg = error_of(sections);                                                 \
    for (const char* part : {__VA_ARGS__}) EXPECT_NE(msg.find(part), std::string::npos) << msg; \
  } while (0)

TEST(JobConfig, ParsesAValidJobWithDefaults) {
  const JobConfig job = parse_job(Sections{}.text(), "job.toml");
  EXPECT_EQ(job.name, "t");
  EXPECT_EQ(job.grid.lr, (std::vector<double>{0.1, 0.01}));
  EXPECT_EQ(job.grid.batch, (std::vector<std::int64_t>{8, kFullBatch}));
  EXPECT_EQ(job.grid.seed, (std::vector<std::int64_t>{0, 1}));
  EXPECT_EQ(job.data.kind, DataKind::gaussian);
  EXPECT_TRUE(job.data.binary);
  EXPECT_EQ(job.data.dim, 3);
  EXPECT_EQ(job.train.loss, LossKind::quadratic_hinge);
  EXPECT_EQ(job.train.steps, 10);
  EXPECT_EQ(job.train.checkpoints, 20);
  EXPECT_EQ(job.train.threads, 1);
  EXPECT_EQ(job.train.dtype, DType::float32);
  EXPECT_EQ(job.train.momentum, 0.0);
  EXPECT_EQ(job.train.weight_decay, 0.0);
  EXPECT_TRUE(job.train.cuda_graphs);
  EXPECT_EQ(job.train.pack, 1);
  EXPECT_EQ(job.train.team, 1);
  EXPECT_EQ(job.model.init, InitKind::pytorch);
  EXPECT_EQ(input_dim(job.data), 3);
  EXPECT_EQ(output_dim(job.data), 1);
}

TEST(JobConfig, ParsesAdamAndAStepwiseDecay) {
  Sections s;
  s.train =
      "loss = \"mse\"\nsteps = 4\noptimizer = \"adam\"\nbetas = [0.8, 0.99]\neps = 1e-6\n"
      "lr_decay = { factor = 10, every = 1000, floor = 1e-5 }\n";
  const JobConfig job = parse_job(s.text(), "job.toml");
  EXPECT_EQ(job.train.optimizer, OptimizerKind::adam);
  EXPECT_EQ(job.train.beta1, 0.8);
  EXPECT_EQ(job.train.beta2, 0.99);
  EXPECT_EQ(job.train.eps, 1e-6);
  EXPECT_EQ(job.train.lr_decay.factor, 10.0);
  EXPECT_EQ(job.train.lr_decay.every, 1000);
  EXPECT_EQ(job.train.lr_decay.floor, 1e-5);
  const JobConfig plain = parse_job(Sections{}.text(), "job.toml");
  EXPECT_EQ(plain.train.optimizer, OptimizerKind::sgd);
  EXPECT_FALSE(plain.train.lr_decay.active());
}

TEST(JobConfig, BisectReservesWidthsPerLine) {
  Sections s;
  s.grid = "lr = [0.1, 0.01]\nbatch = [8]\nwidth = [4, 16]\nseed = [0, 1, 2]\nbisect = 3\n";
  EXPECT_REJECTED(s, "grid.bisect = 3", "needs [probes.jamming]");
  s.grid = "lr = [0.1]\nbatch = [8]\nwidth = [4]\nbisect = 2\n";
  EXPECT_REJECTED(s, "grid.bisect = 2", "at least two widths");
  s.grid = "lr = [0.1]\nbatch = [8]\nwidth = [4, 8]\nbisect = 17\n";
  EXPECT_REJECTED(s, "grid.bisect = 17", "from 0 to 16");
}

TEST(JobConfig, KeepsTheSourceTextVerbatim) {
  const std::string text = Sections{}.text();
  EXPECT_EQ(parse_job(text, "job.toml").source_text, text);
}

TEST(JobConfig, ParsesFashionMnistDefaults) {
  Sections s;
  s.data = "kind = \"fashion_mnist\"\ntrain_size = 100\npca = 10\nnormalize = true\n";
  s.train = "loss = \"cross_entropy\"\nsteps = 5\ndtype = \"float64\"\nmomentum = 0.5\nweight_decay = 1e-4\n";
  const JobConfig job = parse_job(s.text(), "job.toml");
  EXPECT_EQ(job.train.weight_decay, 1e-4);
  EXPECT_EQ(job.data.test_size, kFashionTestCount);
  EXPECT_FALSE(job.data.binary);
  EXPECT_EQ(job.data.path, kDefaultFashionMnistPath);
  EXPECT_EQ(input_dim(job.data), 10);
  EXPECT_EQ(output_dim(job.data), 10);
  EXPECT_EQ(job.train.dtype, DType::float64);
  EXPECT_EQ(job.train.momentum, 0.5);
  EXPECT_EQ(job.train.point_time_limit, 0.0);
}

TEST(JobConfig, ParsesAPointTimeLimit) {
  Sections s;
  s.train += "point_time_limit = 90.5\n";
  EXPECT_EQ(parse_job(s.text(), "job.toml").train.point_time_limit, 90.5);
  EXPECT_FALSE(parse_job(s.text(), "job.toml").train.importance_sampling());
  s.train += "importance_temperature = 0.25\nimportance_refresh = 10\n";
  const auto sampled = parse_job(s.text(), "job.toml");
  EXPECT_EQ(sampled.train.importance_temperature, 0.25);
  EXPECT_EQ(sampled.train.importance_refresh, 10);
}

TEST(JobConfig, ExpandsALogRange) {
  Sections s;
  s.grid = "lr = { from = 1e-3, to = 1.0, num = 8 }\nbatch = [4]\nwidth = { from = 4, to = 64, num = 5 }\n";
  const JobConfig job = parse_job(s.text(), "job.toml");
  ASSERT_EQ(job.grid.lr.size(), 8u);
  EXPECT_EQ(job.grid.lr.front(), 1e-3);
  EXPECT_EQ(job.grid.lr.back(), 1.0);
  EXPECT_NEAR(job.grid.lr[3], 1e-3 * std::pow(1000.0, 3.0 / 7.0), 1e-15);
  EXPECT_EQ(job.grid.width, (std::vector<std::int64_t>{4, 8, 16, 32, 64}));
  EXPECT_EQ(job.grid.seed, (std::vector<std::int64_t>{0}));
}

TEST(JobConfig, ExpandsALinearIntegerRangeFromZero) {
  Sections s;
  s.grid += "seed = { from = 0, to = 3, num = 4, spacing = \"linear\" }\n";
  s.grid.erase(s.grid.find("seed = [0, 1]\n"), 14);
  EXPECT_EQ(parse_job(s.text(), "job.toml").grid.seed, (std::vector<std::int64_t>{0, 1, 2, 3}));
}

TEST(JobConfig, ExpandsALinearRange) {
  Sections s;
  s.grid = "lr = { from = 0.1, to = 0.4, num = 4, spacing = \"linear\" }\nbatch = [4]\nwidth = [2]\n";
  const auto lr = parse_job(s.text(), "job.toml").grid.lr;
  ASSERT_EQ(lr.size(), 4u);
  EXPECT_DOUBLE_EQ(lr[1], 0.2);
  EXPECT_DOUBLE_EQ(lr[2], 0.3);
}

TEST(JobConfigRejects, TextThatIsNotToml) {
  Sections s;
  s.top = "name = \n";
  EXPECT_REJECTED(s, "job.toml:1", "not valid TOML");
}

TEST(JobConfigRejects, UnknownTopLevelKey) {
  Sections s;
  s.top = "name = \"t\"\nnmae = 3\n";
  EXPECT_REJECTED(s, "unknown key 'nmae'", "name, grid, data, model, train");
}

TEST(JobConfigRejects, UnknownKeyInEachSection) {
  for (auto section : {&Sections::grid, &Sections::data, &Sections::model, &Sections::train}) {
    Sections s;
    s.*section += "colour = 1\n";
    EXPECT_THROW(parse_job(s.text(), "job.toml"), ConfigError);
    EXPECT_NE(error_of(s).find("colour"), std::string::npos) << error_of(s);
  }
}

TEST(JobConfigRejects, UnknownKeyInARange) {
  Sections s;
  s.grid = "lr = { from = 0.1, to = 1.0, num = 3, step = 2 }\nbatch = [4]\nwidth = [2]\n";
  EXPECT_REJECTED(s, "unknown key 'grid.lr.step'");
}

TEST(JobConfigRejects, MissingSections) {
  for (const char* section : {"[grid]", "[data]", "[train]"}) {
    std::string text = Sections{}.text();
    const auto at = text.find(section);
    const auto end = text.find('[', at + 1);
    text.erase(at, end == std::string::npos ? std::string::npos : end - at);
    EXPECT_THROW(parse_job(text, "job.toml"), ConfigError) << section;
  }
}

TEST(JobConfigRejects, MissingRequiredKeys) {
  Sections s;
  s.grid = "batch = [4]\nwidth = [2]\n";
  EXPECT_REJECTED(s, "grid.lr is missing");
  s = Sections{};
  s.train = "loss = \"mse\"\n";
  EXPECT_REJECTED(s, "train.steps is missing");
  s = Sections{};
  s.train = "steps = 4\n";
  EXPECT_REJECTED(s, "train.loss is missing");
  s = Sections{};
  s.data = "train_size = 4\ndim = 2\n";
  EXPECT_REJECTED(s, "data.kind is missing", "fashion_mnist");
  s = Sections{};
  s.data = "kind = \"gaussian\"\ndim = 2\n";
  EXPECT_REJECTED(s, "data.train_size is missing");
  s = Sections{};
  s.data = "kind = \"gaussian\"\ntrain_size = 16\n";
  EXPECT_REJECTED(s, "data.dim is missing");
}

TEST(JobConfigRejects, NonPositiveOrNonFiniteLearningRates) {
  Sections s;
  s.grid = "lr = [0.1, -0.5]\nbatch = [4]\nwidth = [2]\n";
  EXPECT_REJECTED(s, "job.toml:3", "grid.lr[1] = -0.5", "> 0");
  s.grid = "lr = [0.0]\nbatch = [4]\nwidth = [2]\n";
  EXPECT_REJECTED(s, "grid.lr[0] = 0.0: allowed: a finite number > 0 and <= 1000000");
  s.grid = "lr = [nan]\nbatch = [4]\nwidth = [2]\n";
  EXPECT_REJECTED(s, "grid.lr[0] = nan", "finite");
  s.grid = "lr = [\"fast\"]\nbatch = [4]\nwidth = [2]\n";
  EXPECT_REJECTED(s, "grid.lr[0] = \"fast\"");
}

TEST(JobConfigRejects, EmptyOrScalarAxes) {
  Sections s;
  s.grid = "lr = []\nbatch = [4]\nwidth = [2]\n";
  EXPECT_REJECTED(s, "grid.lr", "non-empty list");
  s.grid = "lr = 0.1\nbatch = [4]\nwidth = [2]\n";
  EXPECT_REJECTED(s, "grid.lr = 0.1:", "non-empty list");
}

TEST(JobConfigRejects, RepeatedGridValues) {
  Sections s;
  s.grid = "lr = [0.1, 0.2, 0.1]\nbatch = [4]\nwidth = [2]\n";
  EXPECT_REJECTED(s, "grid.lr[2]", "repeats grid.lr[0]");
  s.grid = "lr = [0.1]\nbatch = [4]\nwidth = { from = 2, to = 3, num = 4 }\n";
  EXPECT_REJECTED(s, "grid.width[1] = 2: repeats grid.width[0] once the range is rounded to integers");
}

TEST(JobConfigRejects, BadBatchSizes) {
  Sections s;
  s.grid = "lr = [0.1]\nbatch = [0]\nwidth = [2]\n";
  EXPECT_REJECTED(s, "grid.batch[0] = 0", "or \"full\"");
  s.grid = "lr = [0.1]\nbatch = [4.5]\nwidth = [2]\n";
  EXPECT_REJECTED(s, "grid.batch[0] = 4.5", "an integer");
  s.grid = "lr = [0.1]\nbatch = [\"half\"]\nwidth = [2]\n";
  EXPECT_REJECTED(s, "grid.batch[0] = \"half\"");
  s.grid = "lr = [0.1]\nbatch = [17]\nwidth = [2]\n";
  EXPECT_REJECTED(s, "grid.batch[0] = 17", "at most data.train_size = 16");
  s.grid = "lr = [0.1]\nbatch = [16, \"full\"]\nwidth = [2]\n";
  EXPECT_REJECTED(s, "grid.batch[0] = 16: equals data.train_size, the same as \"full\"");
}

TEST(JobConfigRejects, BadWidthsAndSeeds) {
  Sections s;
  s.grid = "lr = [0.1]\nbatch = [4]\nwidth = [-3]\n";
  EXPECT_REJECTED(s, "grid.width[0] = -3: allowed: an integer >= 1 and <= 1048576");
  s.grid = "lr = [0.1]\nbatch = [4]\nwidth = [16.0]\n";
  EXPECT_REJECTED(s, "grid.width[0] = 16.0: allowed: an integer");
  s.grid = "lr = [0.1]\nbatch = [4]\nwidth = [2]\nseed = [-1]\n";
  EXPECT_REJECTED(s, "grid.seed[0] = -1", ">= 0");
}

TEST(JobConfigRejects, BadRanges) {
  Sections s;
  s.grid = "lr = { from = 0.0, to = 1.0, num = 3 }\nbatch = [4]\nwidth = [2]\n";
  EXPECT_REJECTED(s, "grid.lr.from = 0.0", "> 0");
  s.grid = "lr = [0.1]\nbatch = [4]\nwidth = [2]\nseed = { from = 0, to = 3, num = 4 }\n";
  EXPECT_REJECTED(s, "grid.seed.from = 0", "for 0 use spacing = \"linear\"");
  s.grid = "lr = { from = 0.1, num = 3 }\nbatch = [4]\nwidth = [2]\n";
  EXPECT_REJECTED(s, "grid.lr.to is missing");
  s.grid = "lr = { from = 0.1, to = 1.0, num = 0 }\nbatch = [4]\nwidth = [2]\n";
  EXPECT_REJECTED(s, "grid.lr.num = 0");
  s.grid = "lr = { from = 0.1, to = 1.0, num = 3, spacing = \"cubic\" }\nbatch = [4]\nwidth = [2]\n";
  EXPECT_REJECTED(s, "grid.lr.spacing = \"cubic\"", "\"log\", \"linear\"");
}

TEST(JobConfigRejects, BadDataFields) {
  Sections s;
  s.data = "kind = \"cifar\"\ntrain_size = 16\n";
  EXPECT_REJECTED(s, "data.kind = \"cifar\"", "\"fashion_mnist\", \"gaussian\"");
  s.data = "kind = \"fashion_mnist\"\ntrain_size = 60001\n";
  EXPECT_REJECTED(s, "data.train_size = 60001", "from 1 to 60000");
  s.data = "kind = \"fashion_mnist\"\ntrain_size = 100\ntest_size = 10001\n";
  EXPECT_REJECTED(s, "data.test_size = 10001", "0 to 10000");
  s.data = "kind = \"gaussian\"\ntrain_size = 16\ndim = 3\nbinary = false\n";
  EXPECT_REJECTED(s, "data.binary = false", "+-1 labels only");
  s.data = "kind = \"gaussian\"\ntrain_size = 16\ndim = 3\npca = 4\n";
  EXPECT_REJECTED(s, "data.pca = 4", "0 to 3");
  s.data = "kind = \"gaussian\"\ntrain_size = 16\ndim = 3\nnormalize = \"yes\"\n";
  EXPECT_REJECTED(s, "data.normalize = \"yes\"", "true or false");
  s.data = "kind = \"gaussian\"\ntrain_size = 16\ndim = 3\npath = \"/tmp\"\n";
  EXPECT_REJECTED(s, "data.path", "only for kind = \"fashion_mnist\"");
  s.data = "kind = \"fashion_mnist\"\ntrain_size = 16\ndim = 3\n";
  EXPECT_REJECTED(s, "data.dim = 3", "only for kind = \"gaussian\"");
  s.data = "kind = \"fashion_mnist\"\ntrain_size = 16\nseed = 3\n";
  EXPECT_REJECTED(s, "data.seed = 3", "only for kind = \"gaussian\"");
  s.data = "kind = \"fashion_mnist\"\ntrain_size = 16\npath = 7\n";
  EXPECT_REJECTED(s, "data.path = 7", "a string");
}

TEST(JobConfigRejects, BadModelFields) {
  Sections s;
  s.model = "depth = 0\n";
  EXPECT_REJECTED(s, "model.depth = 0", "1 to 64");
  s.model = "init = \"xavier\"\n";
  EXPECT_REJECTED(s, "model.init = \"xavier\"", "\"pytorch\", \"orthogonal\"");
}

TEST(JobConfigRejects, BadTrainFields) {
  Sections s;
  s.train = "loss = \"l1\"\nsteps = 4\n";
  EXPECT_REJECTED(s, "train.loss = \"l1\"", "\"cross_entropy\", \"mse\", \"quadratic_hinge\"");
  s.train = "loss = \"mse\"\nsteps = 0\n";
  EXPECT_REJECTED(s, "train.steps = 0");
  s.train = "loss = \"mse\"\nsteps = 4\nmomentum = 1.0\n";
  EXPECT_REJECTED(s, "train.momentum = 1", "<= 0.999999");
  s.train = "loss = \"mse\"\nsteps = 4\nweight_decay = -0.001\n";
  EXPECT_REJECTED(s, "train.weight_decay = -0.001", ">= 0");
  s.train = "loss = \"mse\"\nsteps = 4\nweight_decay = 2\n";
  EXPECT_REJECTED(s, "train.weight_decay = 2", "<= 1");
  s.train = "loss = \"mse\"\nsteps = 4\nmomentum = -0.1\n";
  EXPECT_REJECTED(s, "train.momentum = -0.1", ">= 0");
  s.train = "loss = \"mse\"\nsteps = 4\ndtype = \"float16\"\n";
  EXPECT_REJECTED(s, "train.dtype = \"float16\"", "\"float32\", \"float64\"");
  s.train = "loss = \"mse\"\nsteps = 4\noptimizer = \"rmsprop\"\n";
  EXPECT_REJECTED(s, "train.optimizer = \"rmsprop\"", "\"sgd\", \"adam\"");
  s.train = "loss = \"mse\"\nsteps = 4\noptimizer = \"adam\"\nmomentum = 0.9\n";
  EXPECT_REJECTED(s, "train.momentum = 0.9", "only for optimizer = \"sgd\"");
  s.train = "loss = \"mse\"\nsteps = 4\nbetas = [0.9, 0.99]\n";
  EXPECT_REJECTED(s, "train.betas", "only for optimizer = \"adam\"");
  s.train = "loss = \"mse\"\nsteps = 4\noptimizer = \"adam\"\nbetas = [0.9, 1.0]\n";
  EXPECT_REJECTED(s, "train.betas", "two numbers [beta1, beta2], each >= 0 and < 1");
  s.train = "loss = \"mse\"\nsteps = 4\noptimizer = \"adam\"\nbetas = [0.9]\n";
  EXPECT_REJECTED(s, "train.betas", "two numbers");
  s.train = "loss = \"mse\"\nsteps = 4\neps = 1e-8\n";
  EXPECT_REJECTED(s, "train.eps = 1e-08", "only for optimizer = \"adam\"");
  s.train = "loss = \"mse\"\nsteps = 4\noptimizer = \"adam\"\neps = 0\n";
  EXPECT_REJECTED(s, "train.eps = 0", "> 0");
  s.train = "loss = \"mse\"\nsteps = 4\nlr_decay = { every = 10 }\n";
  EXPECT_REJECTED(s, "train.lr_decay.factor is missing", "> 1");
  s.train = "loss = \"mse\"\nsteps = 4\nlr_decay = { factor = 1, every = 10 }\n";
  EXPECT_REJECTED(s, "train.lr_decay.factor = 1", "> 1");
  s.train = "loss = \"mse\"\nsteps = 4\nlr_decay = { factor = 2 }\n";
  EXPECT_REJECTED(s, "train.lr_decay.every is missing");
  s.train = "loss = \"mse\"\nsteps = 4\nlr_decay = { factor = 2, every = 3, min = 0.1 }\n";
  EXPECT_REJECTED(s, "unknown key 'train.lr_decay.min'");
  s.train = "loss = \"mse\"\nsteps = 4\nlr_decay = 10\n";
  EXPECT_REJECTED(s, "train.lr_decay = 10");
  s.train = "loss = \"mse\"\nsteps = 4\noptimizer = \"adam\"\npack = 4\n";
  EXPECT_REJECTED(s, "train.pack = 4", "cannot be combined with train.optimizer = \"adam\"", "allowed: 1");
  s.train = "loss = \"mse\"\nsteps = 4\nlr_decay = { factor = 2, every = 3 }\npack = 4\n";
  EXPECT_REJECTED(s, "train.pack = 4", "train.lr_decay");
  s.train = "loss = \"mse\"\nsteps = 4\ncheckpoints = 0\n";
  EXPECT_REJECTED(s, "train.checkpoints = 0");
  s.train = "loss = \"mse\"\nsteps = 4\nthreads = 0\n";
  EXPECT_REJECTED(s, "train.threads = 0");
  s.train = "loss = \"mse\"\nsteps = 4\npoint_time_limit = -1\n";
  EXPECT_REJECTED(s, "train.point_time_limit = -1", ">= 0");
  s.train = "loss = \"mse\"\nsteps = 4\nimportance_temperature = 0\n";
  EXPECT_REJECTED(s, "train.importance_temperature = 0", "> 0");
  s.train = "loss = \"mse\"\nsteps = 4\nimportance_refresh = 5\n";
  EXPECT_REJECTED(s, "train.importance_refresh = 5", "only with train.importance_temperature");
  s.train = "loss = \"mse\"\nsteps = 4\nimportance_temperature = 0.5\nimportance_refresh = 0\n";
  EXPECT_REJECTED(s, "train.importance_refresh = 0", "from 1");
  s.train = "loss = \"mse\"\nsteps = 4\ndevice = \"tpu\"\n";
  EXPECT_REJECTED(s, "train.device = \"tpu\"", "\"cpu\", \"cuda\", \"auto\"");
  s.train = "loss = \"mse\"\nsteps = 4\ncuda_graphs = 1\n";
  EXPECT_REJECTED(s, "train.cuda_graphs = 1", "true or false");
  s.train = "loss = \"mse\"\nsteps = 4\npack = 0\n";
  EXPECT_REJECTED(s, "train.pack = 0", "4096");
  s.train = "loss = \"mse\"\nsteps = 4\npack = 4\nteam = 2\n";
  EXPECT_REJECTED(s, "train.team = 2", "not both");
}

TEST(JobConfigRejects, GridsTooLargeForAStore) {
  Sections s;
  s.grid =
      "lr = { from = 1e-5, to = 1.0, num = 100000 }\nbatch = { from = 1, to = 16, num = 16, spacing = \"linear\" }\n"
      "width = { from = 1, to = 100, num = 100, spacing = \"linear\" }\n";
  EXPECT_REJECTED(s, "the grid has 100000 lr x 16 batch x 100 width x 1 seed = 160000000 points",
                  "allowed at most 10000000");
}

TEST(JobConfigRejects, JobFilesTooLongToStore) {
  Sections s;
  s.top += "# " + std::string(60000, 'x') + "\n";
  EXPECT_REJECTED(s, "bytes: allowed at most 60000");
}

TEST(JobConfigRejects, SeedsThatADoubleCannotHoldExactly) {
  Sections s;
  s.grid = "lr = [0.1]\nbatch = [4]\nwidth = [2]\nseed = [9007199254740993]\n";
  EXPECT_REJECTED(s, "grid.seed[0] = 9007199254740993", "<= 9007199254740992");
}

TEST(JobConfigRejects, QuadraticHingeWithTenClasses) {
  Sections s;
  s.data = "kind = \"fashion_mnist\"\ntrain_size = 100\n";
  EXPECT_REJECTED(s, "train.loss = \"quadratic_hinge\"", "needs binary labels");
}

TEST(JobConfigRejects, SectionsThatAreNotTables) {
  const std::string text = "grid = 3\n[data]\nkind = \"gaussian\"\ntrain_size = 4\ndim = 2\n";
  EXPECT_THROW(parse_job(text, "job.toml"), ConfigError);
}

TEST(JobConfigRejects, RepeatedFullBatchShowingWhatTheUserWrote) {
  Sections s;
  s.grid = "lr = [0.1]\nbatch = [\"full\", \"full\"]\nwidth = [2]\n";
  EXPECT_REJECTED(s, "grid.batch[1] = \"full\": repeats grid.batch[0]");
}

TEST(JobConfigRejects, LogRangeEndsWithTheRightHint) {
  // Only a finite number <= 0 gets the hint about log spacing.
  for (const char* end : {"\"x\"", "nan", "inf", "-inf"}) {
    Sections s;
    s.grid = std::string("lr = { from = 0.1, to = ") + end + ", num = 3 }\nbatch = [4]\nwidth = [2]\n";
    EXPECT_REJECTED(s, "grid.lr.to = ");
    EXPECT_EQ(error_of(s).find("log spacing"), std::string::npos) << error_of(s);
  }
  Sections s;
  s.grid = "lr = [0.1]\nbatch = [4]\nwidth = [2]\nseed = { from = 1, to = 9007199254740993, num = 2 }\n";
  EXPECT_REJECTED(s, "grid.seed.to = 9007199254740993", "<= 9007199254740992");
  EXPECT_EQ(error_of(s).find("log spacing"), std::string::npos) << error_of(s);
  s.grid = "lr = [0.1]\nbatch = [4]\nwidth = [2]\nseed = { from = 0, to = 3, num = 2 }\n";
  EXPECT_REJECTED(s, "grid.seed.from = 0", "log spacing needs values > 0");
}

// The message of the ConfigError that reading `path` throws ("" if none).
std::string read_error(const std::string& path) {
  try {
    read_job_text(path);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ReadJobText, RefusesPathsThatAreNotRegularFiles) {
  EXPECT_NE(read_error("").find("allowed: the path of a TOML job file"), std::string::npos);
  EXPECT_NE(read_error("/tmp").find("job file '/tmp' is a folder"), std::string::npos) << read_error("/tmp");
  EXPECT_NE(read_error("/dev/zero").find("is a character device, not a regular file"), std::string::npos);
  char fifo[] = "/tmp/lsweep_fifo_XXXXXX";
  ASSERT_NE(mkdtemp(fifo), nullptr);
  const std::string path = std::string(fifo) + "/job.toml";
  ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
  EXPECT_NE(read_error(path).find("is a FIFO (named pipe), not a regular file"), std::string::npos)
      << read_error(path);  // and it returned: no writer was waited for
  std::remove(path.c_str());
  rmdir(fifo);
}

TEST(ReadJobText, RefusesFilesLongerThanAJobMayBe) {
  const std::string path = ::testing::TempDir() + "/long_job.toml";
  std::ofstream(path) << std::string(60001, '#');
  EXPECT_NE(read_error(path).find("has 60001 bytes: allowed at most 60000"), std::string::npos) << read_error(path);
  std::ofstream(path) << std::string(60000, '#');
  EXPECT_EQ(read_job_text(path).size(), 60000u);
  std::remove(path.c_str());
}

TEST(LoadJob, RejectsAMissingFileNamingIt) {
  try {
    load_job("/nonexistent/job.toml");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/job.toml"), std::string::npos);
  }
}

TEST(LoadJob, ReadsTheQuickstartJob) {
  const JobConfig job = load_job(std::string(LSWEEP_SOURCE_DIR) + "/jobs/quickstart.toml");
  EXPECT_EQ(job.name, "quickstart");
  EXPECT_EQ(job.data.kind, DataKind::fashion_mnist);
}

// The tanh regression model of seed 004 on its teacher's data.
Sections tanh_job() {
  Sections s;
  s.data =
      "kind = \"tanh_teacher\"\ntrain_size = 16\nnoise = 0.1\nteacher_alpha = [1.0, -0.5]\nteacher_w = [4, 2]\n"
      "teacher_b = [-0.5, 0.5]\n";
  s.model = "kind = \"tanh\"\n";
  s.train = "loss = \"mse\"\nsteps = 10\n";
  return s;
}

TEST(JobConfig, ParsesTheTanhModelOnTeacherData) {
  Sections s = tanh_job();
  s.data += "x_min = -2\nx_max = 3.5\nseed = 7\ntest_size = 5\n";
  s.model += "variable_projection = true\n";
  const JobConfig job = parse_job(s.text(), "job.toml");
  EXPECT_EQ(job.data.kind, DataKind::tanh_teacher);
  EXPECT_EQ(job.data.x_min, -2.0);
  EXPECT_EQ(job.data.x_max, 3.5);
  EXPECT_EQ(job.data.noise, 0.1);
  EXPECT_EQ(job.data.seed, 7);
  EXPECT_EQ(job.data.test_size, 5);
  EXPECT_EQ(job.data.teacher_alpha, (std::vector<double>{1.0, -0.5}));
  EXPECT_EQ(job.data.teacher_w, (std::vector<double>{4.0, 2.0}));
  EXPECT_EQ(job.data.teacher_b, (std::vector<double>{-0.5, 0.5}));
  EXPECT_EQ(job.model.kind, ModelKind::tanh);
  EXPECT_TRUE(job.model.variable_projection);
  EXPECT_EQ(input_dim(job.data), 1);
  EXPECT_EQ(output_dim(job.data), 1);
  const JobConfig plain = parse_job(tanh_job().text(), "job.toml");
  EXPECT_EQ(plain.data.x_min, -1.0);
  EXPECT_EQ(plain.data.x_max, 1.0);
  EXPECT_EQ(plain.data.test_size, 0);
  EXPECT_FALSE(plain.model.variable_projection);
  EXPECT_EQ(parse_job(Sections{}.text(), "job.toml").model.kind, ModelKind::mlp);
}

TEST(JobConfig, RejectsBadTeacherData) {
  Sections s = tanh_job();
  s.data += "binary = true\n";
  EXPECT_REJECTED(s, "job.toml:", "data.binary = true", "not for kind = \"tanh_teacher\"");
  s = tanh_job();
  s.data += "pca = 1\n";
  EXPECT_REJECTED(s, "data.pca = 1", "not for kind = \"tanh_teacher\"");
  s = tanh_job();
  s.data += "x_min = 1\n";
  EXPECT_REJECTED(s, "data.x_min = 1", "allowed: x_max > x_min (1)");
  s = tanh_job();
  s.data.replace(s.data.find("noise = 0.1"), 11, "noise = -0.1");
  EXPECT_REJECTED(s, "data.noise = -0.1", ">= 0");
  s = tanh_job();
  s.data = "kind = \"tanh_teacher\"\ntrain_size = 16\nteacher_w = [1]\nteacher_b = [0]\n";
  EXPECT_REJECTED(s, "data.teacher_alpha is missing", "a list of 1 to 1024 finite numbers");
  s = tanh_job();
  s.data = "kind = \"tanh_teacher\"\ntrain_size = 16\nteacher_alpha = [1, 2]\nteacher_w = [1]\nteacher_b = [0, 1]\n";
  EXPECT_REJECTED(s, "data.teacher_w = [1]", "as many values as data.teacher_alpha (2)");
  s.data = "kind = \"tanh_teacher\"\ntrain_size = 16\nteacher_alpha = []\nteacher_w = []\nteacher_b = []\n";
  EXPECT_REJECTED(s, "data.teacher_alpha = []", "a list of 1 to 1024");
  s.data =
      "kind = \"tanh_teacher\"\ntrain_size = 16\nteacher_alpha = [1, \"a\"]\nteacher_w = [1, 1]\n"
      "teacher_b = [0, 1]\n";
  EXPECT_REJECTED(s, "data.teacher_alpha[1] = \"a\"", "a finite number");
  s.data = "kind = \"tanh_teacher\"\ntrain_size = 16\nteacher_alpha = [1]\nteacher_w = [2e6]\nteacher_b = [0]\n";
  EXPECT_REJECTED(s, "data.teacher_w[0] = ", "<= 1e6");
  s = Sections{};
  s.data += "noise = 0.1\n";
  EXPECT_REJECTED(s, "data.noise = 0.1", "only for kind = \"tanh_teacher\"");
}

TEST(JobConfig, RejectsTheTanhModelWhereItCannotRun) {
  Sections s = Sections{};
  s.model = "kind = \"tanh\"\n";
  EXPECT_REJECTED(s, "model.kind = \"tanh\"", "data.kind = \"tanh_teacher\"", "allowed with data.kind = \"gaussian\"");
  s = tanh_job();
  s.model += "depth = 2\n";
  EXPECT_REJECTED(s, "model.depth = 2", "only for kind = \"mlp\"");
  s = tanh_job();
  s.model += "init = \"orthogonal\"\n";
  EXPECT_REJECTED(s, "model.init = \"orthogonal\"", "only for kind = \"mlp\"");
  s = Sections{};
  s.model = "variable_projection = true\n";
  EXPECT_REJECTED(s, "model.variable_projection = true", "only for kind = \"tanh\"");
  s = tanh_job();
  s.model = "kind = \"rbf\"\n";
  EXPECT_REJECTED(s, "model.kind = \"rbf\"", "\"mlp\"", "\"tanh\"");
  s = tanh_job();
  s.train = "loss = \"cross_entropy\"\nsteps = 10\n";
  EXPECT_REJECTED(s, "train.loss = \"cross_entropy\"", "regression", "allowed: \"mse\"");
  s = tanh_job();
  s.train += "pack = 4\n";
  EXPECT_REJECTED(s, "job.toml:", "train.pack = 4", "model.kind = \"tanh\"", "allowed: 1");
  s.model = "kind = \"mlp\"\n";  // an MLP on the teacher's data packs
  EXPECT_EQ(parse_job(s.text(), "job.toml").train.pack, 4);
}

}  // namespace
}  // namespace lsweep::config
