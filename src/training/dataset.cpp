#include "lsweep/training/dataset.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "lsweep/common/error.hpp"
#include "lsweep/training/idx.hpp"
#include "lsweep/training/model.hpp"
#include "lsweep/training/random.hpp"

namespace lsweep::training {
namespace {

torch::Tensor idx_images(const std::string& path, std::int64_t count) {
  const IdxArray a = read_idx(path, count);
  if (a.shape.size() != 3 || a.shape[1] * a.shape[2] != config::kFashionPixels) {
    throw TrainingError("IDX file '" + path + "' does not hold 28x28 images");
  }
  if (a.shape[0] < count) {
    throw TrainingError("IDX file '" + path + "' holds " + std::to_string(a.items_in_file) + " images, " +
                        std::to_string(count) + " requested");
  }
  auto bytes =
      torch::from_blob(const_cast<std::uint8_t*>(a.data.data()), {a.shape[0], config::kFashionPixels}, torch::kUInt8);
  return bytes.slice(0, 0, count).to(torch::kFloat64).div_(255.0);
}

torch::Tensor idx_labels(const std::string& path, std::int64_t count) {
  const IdxArray a = read_idx(path, count);
  if (a.shape.size() != 1 || a.shape[0] < count) {
    throw TrainingError("IDX file '" + path + "' does not hold " + std::to_string(count) + " labels");
  }
  auto bytes = torch::from_blob(const_cast<std::uint8_t*>(a.data.data()), {a.shape[0]}, torch::kUInt8);
  auto labels = bytes.slice(0, 0, count).to(torch::kInt64);
  if (count > 0 && labels.max().item<std::int64_t>() > 9) {
    throw TrainingError("IDX file '" + path + "' has labels above 9; not Fashion-MNIST labels");
  }
  return labels;
}

Dataset fashion_dataset(const config::DataConfig& cfg) {
  Dataset d;
  const std::string& dir = cfg.path;
  d.x_train = idx_images(dir + "/train-images-idx3-ubyte.gz", cfg.train_size);
  d.y_train = idx_labels(dir + "/train-labels-idx1-ubyte.gz", cfg.train_size);
  if (cfg.test_size > 0) {
    d.x_test = idx_images(dir + "/t10k-images-idx3-ubyte.gz", cfg.test_size);
    d.y_test = idx_labels(dir + "/t10k-labels-idx1-ubyte.gz", cfg.test_size);
  } else {
    d.x_test = torch::zeros({0, config::kFashionPixels}, torch::kFloat64);
    d.y_test = torch::zeros({0}, torch::kInt64);
  }
  if (cfg.binary) {
    d.y_train = binary_labels(d.y_train);
    d.y_test = binary_labels(d.y_test);
    d.binary = true;
  }
  return d;
}

}  // namespace

torch::Tensor binary_labels(const torch::Tensor& classes) {
  return torch::where(classes < 5, torch::ones_like(classes, torch::kFloat64),
                      -torch::ones_like(classes, torch::kFloat64));
}

Pca fit_pca(const torch::Tensor& x_train, std::int64_t d) {
  Pca pca;
  pca.mean = x_train.mean(0);
  const auto centred = x_train - pca.mean;
  const auto cov = centred.t().mm(centred) / static_cast<double>(std::max<std::int64_t>(x_train.size(0), 1));
  // eigh returns ascending eigenvalues: the last d columns are the top ones.
  auto [values, vectors] = torch::linalg_eigh(cov, "L");
  auto top = vectors.slice(1, vectors.size(1) - d).flip({1}).contiguous();
  const auto pivot = top.abs().argmax(0);
  const auto signs = top.gather(0, pivot.unsqueeze(0)).sign().squeeze(0);
  pca.components = top * torch::where(signs == 0, torch::ones_like(signs), signs);
  return pca;
}

torch::Tensor apply_pca(const Pca& pca, const torch::Tensor& x) { return (x - pca.mean).mm(pca.components); }

void normalize_to_sphere(torch::Tensor& x_train, torch::Tensor& x_test) {
  const auto mean = x_train.mean(0);
  const double radius = std::sqrt(static_cast<double>(x_train.size(1)));
  auto scale = [&](const torch::Tensor& x) {
    auto c = x - mean;
    return c * (radius / c.norm(2, {1}, true).clamp_min(1e-300));
  };
  x_train = scale(x_train);
  if (x_test.size(0) > 0) x_test = scale(x_test);
}

Dataset gaussian_dataset(std::int64_t train_size, std::int64_t test_size, std::int64_t dim, std::int64_t seed) {
  auto gen = at::detail::createCPUGenerator(static_cast<std::uint64_t>(seed));
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  auto labels = [&](std::int64_t n) { return torch::randint(0, 2, {n}, gen, f64).mul_(2.0).sub_(1.0); };
  Dataset d;
  d.binary = true;
  d.x_train = torch::randn({train_size, dim}, gen, f64);
  d.y_train = labels(train_size);
  d.x_test = torch::randn({test_size, dim}, gen, f64);
  d.y_test = labels(test_size);
  return d;
}

torch::Tensor teacher_values(const config::DataConfig& data, const torch::Tensor& x) {
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  const auto vector = [&](const std::vector<double>& v) { return torch::tensor(v, f64).to(x.device()); };
  return tanh_features(x.to(torch::kFloat64), vector(data.teacher_w), vector(data.teacher_b))
      .matmul(vector(data.teacher_alpha));
}

Dataset tanh_teacher_dataset(const config::DataConfig& data) {
  VectorRng rng(static_cast<std::uint64_t>(data.seed));
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  const auto draw = [&](std::int64_t n, torch::Tensor& x, torch::Tensor& y) {
    x = rng.uniform(n, f64).mul_(data.x_max - data.x_min).add_(data.x_min).unsqueeze(1);
    y = teacher_values(data, x) + rng.gaussian(n, f64) * data.noise;
  };
  Dataset d;
  d.binary = true;
  draw(data.train_size, d.x_train, d.y_train);
  draw(data.test_size, d.x_test, d.y_test);
  return d;
}

Dataset load_dataset(const config::DataConfig& cfg, torch::Dtype dtype) {
  using config::DataKind;
  Dataset d = cfg.kind == DataKind::fashion_mnist ? fashion_dataset(cfg)
              : cfg.kind == DataKind::gaussian    ? gaussian_dataset(cfg.train_size, cfg.test_size, cfg.dim, cfg.seed)
                                                  : tanh_teacher_dataset(cfg);
  if (cfg.pca > 0) {
    const Pca pca = fit_pca(d.x_train, cfg.pca);
    d.x_train = apply_pca(pca, d.x_train);
    d.x_test = apply_pca(pca, d.x_test);
  }
  if (cfg.normalize) normalize_to_sphere(d.x_train, d.x_test);
  d.x_train = d.x_train.to(dtype).contiguous();
  d.x_test = d.x_test.to(dtype).contiguous();
  if (d.binary) {
    d.y_train = d.y_train.to(dtype);
    d.y_test = d.y_test.to(dtype);
  }
  return d;
}

}  // namespace lsweep::training
