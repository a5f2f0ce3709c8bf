#pragma once
// Shared by the training tests: a small gaussian job, its data, and record comparisons.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "lsweep/config/layout.hpp"
#include "lsweep/training/trainer.hpp"

namespace lsweep::training {

inline config::JobConfig gaussian_job(config::LossKind loss, config::DType dtype, std::int64_t steps) {
  config::JobConfig job;
  job.data.kind = config::DataKind::gaussian;
  job.data.train_size = 40;
  job.data.test_size = 10;
  job.data.dim = 6;
  job.data.binary = true;
  job.model.depth = 2;
  job.train.loss = loss;
  job.train.dtype = dtype;
  job.train.steps = steps;
  job.train.checkpoints = 5;
  return job;
}

inline Dataset data_for(const config::JobConfig& job) {
  return load_dataset(job.data, job.train.dtype == config::DType::float64 ? torch::kFloat64 : torch::kFloat32);
}

namespace L = config::layout;

inline const std::vector<double>& row(const PointRecord& r, const char* path) { return *r.rows.find(path); }
inline double final_train_loss(const PointRecord& r) { return r.summary.scalar(L::kFinalTrainLoss); }

// Calls check(path, a's values, b's values) for every row of two records of
// the same layout, after comparing their status and steps.
template <class Check>
void for_each_row_pair(const PointRecord& a, const PointRecord& b, Check check) {
  EXPECT_EQ(a.summary.status, b.summary.status);
  EXPECT_EQ(a.summary.steps, b.summary.steps);
  ASSERT_EQ(a.rows.all().size(), b.rows.all().size());
  for (const auto& [path, values] : a.rows.all()) {
    const auto* other = b.rows.find(path);
    ASSERT_NE(other, nullptr) << path;
    ASSERT_EQ(values.size(), other->size()) << path;
    check(path, values, *other);
  }
}

inline void expect_same_record(const PointRecord& a, const PointRecord& b) {
  for_each_row_pair(a, b, [](const auto& path, const std::vector<double>& x, const std::vector<double>& y) {
    // Bytes, so that NaN equals NaN.
    EXPECT_EQ(std::memcmp(x.data(), y.data(), x.size() * sizeof(double)), 0) << path;
  });
}

// As expect_same_record, but every value equal to `rel` relative (NaN equals NaN).
inline void expect_close_record(const PointRecord& a, const PointRecord& b, double rel) {
  for_each_row_pair(a, b, [rel](const auto& path, const std::vector<double>& xs, const std::vector<double>& ys) {
    for (std::size_t i = 0; i < xs.size(); ++i) {
      const double x = xs[i], y = ys[i];
      if (std::isnan(x) || std::isnan(y)) {
        EXPECT_TRUE(std::isnan(x) && std::isnan(y)) << path << "[" << i << "]: " << x << " vs " << y;
      } else {
        EXPECT_NEAR(x, y, rel * std::max(std::abs(x), std::abs(y))) << path << "[" << i << "]";
      }
    }
  });
}

// 40 random float64 inputs of dimension 6 with class labels 0-9 (and a test
// set of 10), for the ten-class losses.
inline Dataset ten_class_data() {
  torch::manual_seed(11);
  Dataset data;
  data.x_train = torch::randn({40, 6}, torch::kFloat64);
  data.y_train = torch::arange(40, torch::kInt64).remainder(10);
  data.x_test = torch::randn({10, 6}, torch::kFloat64);
  data.y_test = torch::arange(10, torch::kInt64);
  return data;
}

}  // namespace lsweep::training
