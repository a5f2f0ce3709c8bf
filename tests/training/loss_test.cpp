#include "lsweep/training/loss.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace lsweep::training {
namespace {

using config::LossKind;

double loss_of(LossKind kind, const torch::Tensor& out, const torch::Tensor& y, bool binary) {
  return compute_loss(kind, out, y, binary).item<double>();
}

TEST(BinaryLosses, MatchHandComputedValues) {
  const auto f = torch::tensor({{2.0}, {0.5}, {-1.0}}, torch::kFloat64);
  const auto y = torch::tensor({1.0, 1.0, 1.0}, torch::kFloat64);
  // margins y f = 2, 0.5, -1
  EXPECT_NEAR(loss_of(LossKind::quadratic_hinge, f, y, true), (0.0 + 0.25 + 4.0) / 2.0 / 3.0, 1e-15);
  EXPECT_NEAR(loss_of(LossKind::mse, f, y, true), (1.0 + 0.25 + 4.0) / 2.0 / 3.0, 1e-15);
  const double logistic = (std::log1p(std::exp(-2.0)) + std::log1p(std::exp(-0.5)) + std::log1p(std::exp(1.0))) / 3.0;
  EXPECT_NEAR(loss_of(LossKind::cross_entropy, f, y, true), logistic, 1e-15);
}

TEST(BinaryLosses, HingeIsZeroOutsideTheMargin) {
  const auto f = torch::tensor({{1.0}, {-3.0}}, torch::kFloat64);
  const auto y = torch::tensor({1.0, -1.0}, torch::kFloat64);
  EXPECT_EQ(loss_of(LossKind::quadratic_hinge, f, y, true), 0.0);
}

TEST(ClassLosses, MatchHandComputedValues) {
  const auto out = torch::tensor({{1.0, 0.0, 0.0}, {0.0, 2.0, 1.0}}, torch::kFloat64);
  const auto y = torch::tensor({0, 2}, torch::kInt64);
  const double ce0 = -std::log(std::exp(1.0) / (std::exp(1.0) + 2.0));
  const double ce1 = -std::log(std::exp(1.0) / (1.0 + std::exp(2.0) + std::exp(1.0)));
  EXPECT_NEAR(loss_of(LossKind::cross_entropy, out, y, false), (ce0 + ce1) / 2.0, 1e-15);
  // ||out - onehot||^2 = 0 and 0 + 4 + 0 = 4 -> mean of halves = 1
  EXPECT_NEAR(loss_of(LossKind::mse, out, y, false), 1.0, 1e-15);
  EXPECT_THROW(compute_loss(LossKind::quadratic_hinge, out, y, false), std::invalid_argument);
}

TEST(CountCorrect, CountsSignsAndArgmaxes) {
  const auto f = torch::tensor({{0.3}, {-0.1}, {0.0}}, torch::kFloat64);
  EXPECT_EQ(count_correct(f, torch::tensor({1.0, 1.0, 1.0}, torch::kFloat64), true).item<std::int64_t>(), 1);
  const auto out = torch::tensor({{1.0, 0.0}, {0.0, 2.0}, {5.0, 1.0}}, torch::kFloat64);
  EXPECT_EQ(count_correct(out, torch::tensor({0, 1, 1}, torch::kInt64), false).item<std::int64_t>(), 2);
}

}  // namespace
}  // namespace lsweep::training
