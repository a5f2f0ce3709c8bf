#pragma once
/// \file
/// Training and test sets as tensors, and the preprocessing steps of the job
/// file (binary labels, PCA, normalisation to the sphere of radius sqrt(d)).

#include <torch/types.h>

#include "lsweep/config/job_config.hpp"

namespace lsweep::training {

/// x: [n, d] floating; y: class ids (int64, [n]), or +-1 labels or real
/// targets (tanh_teacher) in x's dtype ([n]).
struct Dataset {
  torch::Tensor x_train, y_train, x_test, y_test;
  bool binary = false;  ///< one output and y in x's dtype (+-1 labels or real targets)
};

/// Loads or makes the job's data in `dtype` on the CPU. Deterministic: the
/// same DataConfig gives the same bits. Throws StorageError for unreadable
/// files and TrainingError for inconsistent ones.
Dataset load_dataset(const config::DataConfig& data, torch::Dtype dtype);

/// Fashion-MNIST class ids 0-4 become +1, 5-9 become -1 (float64).
torch::Tensor binary_labels(const torch::Tensor& classes);

/// Principal components of `x_train` ([n, D], float64): `mean` [D] and the top
/// `d` directions as columns of `components` [D, d], signs fixed so that each
/// column's largest-magnitude entry is positive.
struct Pca {
  torch::Tensor mean, components;
};
Pca fit_pca(const torch::Tensor& x_train, std::int64_t d);
torch::Tensor apply_pca(const Pca& pca, const torch::Tensor& x);

/// Centres both sets with the training mean, then scales every row to norm sqrt(d).
void normalize_to_sphere(torch::Tensor& x_train, torch::Tensor& x_test);

/// Gaussian inputs N(0, I_d) with random +-1 labels, from `seed`.
Dataset gaussian_dataset(std::int64_t train_size, std::int64_t test_size, std::int64_t dim, std::int64_t seed);

/// The teacher of a tanh_teacher set at inputs `x` ([n] or [n, 1]):
/// sum_j teacher_alpha_j tanh(teacher_w_j (x - teacher_b_j)), [n] float64.
torch::Tensor teacher_values(const config::DataConfig& data, const torch::Tensor& x);

/// The tanh_teacher set (float64): inputs x_k uniform on [x_min, x_max]
/// ([n, 1]), targets y_k = teacher(x_k) + noise * z_k with z_k ~ N(0, 1);
/// one training::VectorRng seeded with data.seed draws the training inputs,
/// the training z, the test inputs, the test z, in this order (so the
/// training set does not depend on test_size).
Dataset tanh_teacher_dataset(const config::DataConfig& data);

}  // namespace lsweep::training
