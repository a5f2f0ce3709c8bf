#include "lsweep/training/dataset.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "lsweep/common/error.hpp"
#include "lsweep/training/idx.hpp"

namespace lsweep::training {
namespace {

TEST(BinaryLabels, SplitsTheClassesInHalves) {
  const auto y = binary_labels(torch::tensor({0, 4, 5, 9, 2}, torch::kInt64));
  EXPECT_TRUE(torch::equal(y, torch::tensor({1.0, 1.0, -1.0, -1.0, 1.0}, torch::kFloat64)));
}

TEST(Pca, FindsTheDirectionsOfLargestVarianceInOrder) {
  // Variance 9 along (1,1,0)/sqrt2, variance 1 along z, none along (1,-1,0).
  auto gen = at::detail::createCPUGenerator(5);
  const auto a = torch::randn({4000, 1}, gen, torch::kFloat64) * 3.0;
  const auto b = torch::randn({4000, 1}, gen, torch::kFloat64);
  const double r = 1.0 / std::sqrt(2.0);
  const auto x = torch::cat({a * r + 1.0, a * r - 2.0, b + 0.5}, 1);
  const Pca pca = fit_pca(x, 2);
  EXPECT_NEAR(pca.mean[0].item<double>(), 1.0, 0.15);
  EXPECT_NEAR(pca.components[0][0].item<double>(), r, 1e-3);
  EXPECT_NEAR(pca.components[1][0].item<double>(), r, 1e-3);
  EXPECT_NEAR(std::abs(pca.components[2][1].item<double>()), 1.0, 1e-3);
  // Orthonormal columns; projections have the right variances.
  EXPECT_TRUE(torch::allclose(pca.components.t().mm(pca.components), torch::eye(2, torch::kFloat64), 1e-12, 1e-12));
  const auto z = apply_pca(pca, x);
  EXPECT_NEAR(z.select(1, 0).var().item<double>() / a.var().item<double>(), 1.0, 1e-3);
  EXPECT_NEAR(z.mean(0).abs().max().item<double>(), 0.0, 1e-12);
}

TEST(NormalizeToSphere, CentresAndPutsEveryRowAtRadiusSqrtD) {
  auto train = torch::rand({50, 7}, torch::kFloat64) + 3.0;
  auto test = torch::rand({20, 7}, torch::kFloat64);
  const auto train_mean = train.mean(0);
  normalize_to_sphere(train, test);
  const auto radius = std::sqrt(7.0);
  EXPECT_TRUE(torch::allclose(train.norm(2, {1}), torch::full({50}, radius, torch::kFloat64), 1e-12, 1e-12));
  EXPECT_TRUE(torch::allclose(test.norm(2, {1}), torch::full({20}, radius, torch::kFloat64), 1e-12, 1e-12));
}

TEST(GaussianDataset, IsDeterministicAndBinary) {
  const Dataset a = gaussian_dataset(100, 30, 5, 42), b = gaussian_dataset(100, 30, 5, 42);
  const Dataset c = gaussian_dataset(100, 30, 5, 43);
  EXPECT_TRUE(torch::equal(a.x_train, b.x_train));
  EXPECT_TRUE(torch::equal(a.y_test, b.y_test));
  EXPECT_FALSE(torch::equal(a.x_train, c.x_train));
  EXPECT_TRUE(a.binary);
  EXPECT_EQ(a.x_test.sizes(), (std::vector<std::int64_t>{30, 5}));
  EXPECT_TRUE(((a.y_train == 1.0) | (a.y_train == -1.0)).all().item<bool>());
  const double mean = a.y_train.mean().item<double>();
  EXPECT_LT(std::abs(mean), 0.4);
}

TEST(LoadDataset, AppliesPcaAndNormalisationInTheRequestedDtype) {
  config::DataConfig cfg;
  cfg.kind = config::DataKind::gaussian;
  cfg.train_size = 64;
  cfg.test_size = 8;
  cfg.dim = 12;
  cfg.binary = true;
  cfg.pca = 4;
  cfg.normalize = true;
  const Dataset d = load_dataset(cfg, torch::kFloat32);
  EXPECT_EQ(d.x_train.scalar_type(), torch::kFloat32);
  EXPECT_EQ(d.y_train.scalar_type(), torch::kFloat32);
  EXPECT_EQ(d.x_train.size(1), 4);
  EXPECT_NEAR(d.x_train.norm(2, {1}).mean().item<double>(), 2.0, 1e-5);
}

TEST(LoadDataset, ReadsTheFashionMnistSubset) {
  config::DataConfig cfg;
  cfg.kind = config::DataKind::fashion_mnist;
  cfg.path = config::kDefaultFashionMnistPath;
  cfg.train_size = 300;
  cfg.test_size = 100;
  const Dataset d = load_dataset(cfg, torch::kFloat64);
  EXPECT_EQ(d.x_train.sizes(), (std::vector<std::int64_t>{300, 784}));
  EXPECT_EQ(d.x_test.sizes(), (std::vector<std::int64_t>{100, 784}));
  EXPECT_GE(d.x_train.min().item<double>(), 0.0);
  EXPECT_LE(d.x_train.max().item<double>(), 1.0);
  // The subset is the first P samples in file order.
  const IdxArray labels = read_idx(cfg.path + "/train-labels-idx1-ubyte.gz");
  for (int i = 0; i < 300; ++i) EXPECT_EQ(d.y_train[i].item<std::int64_t>(), labels.data[static_cast<std::size_t>(i)]);
  const IdxArray images = read_idx(cfg.path + "/t10k-images-idx3-ubyte.gz");
  EXPECT_DOUBLE_EQ(d.x_test[99][400].item<double>(), images.data[99 * 784 + 400] / 255.0);
}

TEST(LoadDataset, NamesAMissingDataFolder) {
  config::DataConfig cfg;
  cfg.kind = config::DataKind::fashion_mnist;
  cfg.path = "/nonexistent/fashion";
  cfg.train_size = 10;
  EXPECT_THROW(load_dataset(cfg, torch::kFloat32), StorageError);
}

}  // namespace
}  // namespace lsweep::training
