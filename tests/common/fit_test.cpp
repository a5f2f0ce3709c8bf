// Least squares against values worked out by hand.

#include "lsweep/common/fit.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace lsweep {
namespace {

TEST(LeastSquares, GivesTheTextbookLineAndStandardErrors) {
  // x = 0..4, y = 1 3 2 5 4: slope 8/10, intercept 3 - 1.6, RSS 3.6 on 3 dof.
  std::vector<std::vector<double>> rows;
  for (double x = 0; x < 5; ++x) rows.push_back({1.0, x});
  const LinearFit f = least_squares(rows, {1, 3, 2, 5, 4});
  ASSERT_TRUE(f.ok);
  EXPECT_NEAR(f.coef[1], 0.8, 1e-12);
  EXPECT_NEAR(f.coef[0], 1.4, 1e-12);
  EXPECT_NEAR(f.err[1], std::sqrt(1.2 / 10.0), 1e-12);
  EXPECT_NEAR(f.err[0], std::sqrt(1.2 * (1.0 / 5.0 + 4.0 / 10.0)), 1e-12);
  EXPECT_NEAR(f.residual, std::sqrt(1.2), 1e-12);
}

TEST(LeastSquares, RecoversThreeExactCoefficients) {
  std::vector<std::vector<double>> rows;
  std::vector<double> y;
  for (double a : {-1.0, 0.5, 2.0}) {
    for (double b : {3.0, 4.0, 7.0}) {
      rows.push_back({1.0, a, b});
      y.push_back(1.0 + 2.0 * a - 0.5 * b);
    }
  }
  const LinearFit f = least_squares(rows, y);
  ASSERT_TRUE(f.ok);
  EXPECT_NEAR(f.coef[0], 1.0, 1e-12);
  EXPECT_NEAR(f.coef[1], 2.0, 1e-12);
  EXPECT_NEAR(f.coef[2], -0.5, 1e-12);
  EXPECT_NEAR(f.err[1], 0.0, 1e-6);
}

TEST(LeastSquares, SaysWhenItCannotFit) {
  EXPECT_FALSE(least_squares({{1.0, 2.0}, {1.0, 3.0}}, {1, 2}).ok);                 // no degree of freedom left
  EXPECT_FALSE(least_squares({{1.0, 2.0}, {1.0, 2.0}, {1.0, 2.0}}, {1, 2, 3}).ok);  // x constant
  EXPECT_TRUE(std::isnan(least_squares({{1.0, 2.0}, {1.0, 2.0}, {1.0, 2.0}}, {1, 2, 3}).coef[1]));
}

TEST(PowerLawFit, SkipsTheTransientAndReadsExponentAndPrefactor) {
  std::vector<double> t, y;
  for (int i = 0; i < 9; ++i) {
    t.push_back(std::pow(2.0, i));
    y.push_back(i < 3 ? 100.0 : 3.0 * std::pow(t.back(), 1.5));  // the first third is off the law
  }
  y.push_back(std::nan(""));  // not reached: left out
  t.push_back(1024.0);
  const PowerLawFit f = fit_power_law(t, y, 1.0 / 3.0);
  EXPECT_EQ(f.points, 6);
  EXPECT_NEAR(f.exponent, 1.5, 1e-12);
  EXPECT_NEAR(f.intercept, std::log(3.0), 1e-12);
  EXPECT_NEAR(f.exponent_err, 0.0, 1e-9);
  EXPECT_TRUE(std::isnan(fit_power_law({1, 2}, {1, 2}, 0.0).exponent));  // two points: no error, no fit
}

}  // namespace
}  // namespace lsweep
