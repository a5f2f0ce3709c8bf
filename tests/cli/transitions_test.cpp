// N* aggregation on a hand-made table of jamming results.

#include "transitions.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace lsweep::cli {
namespace {

// N = 10 h + 2 h^2 + h for d = 10, L = 3.
double weights(double h) { return 10 * h + 2 * h * h + h; }

void add(std::vector<JammingRow>& rows, double lr, double batch, double width, int fitted, int seeds, int dead = 0) {
  for (int s = 0; s < seeds; ++s)
    rows.push_back({lr, batch, width, weights(width), s < fitted, s >= fitted && s - fitted < dead});
}

TEST(Transitions, BracketsNStarPerLineAndSaysWhenALineNeverJams) {
  std::vector<JammingRow> rows;
  // Out of order on purpose: the second line first, widths shuffled.
  add(rows, 0.1, 64, 8, 3, 3);
  add(rows, 0.1, 64, 2, 3, 3);  // fits at the smallest width already
  add(rows, 0.1, 8, 16, 3, 3);
  add(rows, 0.1, 8, 2, 0, 3, 1);  // one of the three failures is a dead network
  add(rows, 0.1, 8, 8, 2, 4);     // exactly half: counts
  add(rows, 0.1, 8, 4, 1, 3);
  add(rows, 0.5, 8, 4, 0, 2);  // never fits
  add(rows, 0.5, 8, 8, 0, 2, 2);
  const auto t = transitions(rows, 200.0);
  ASSERT_EQ(t.size(), 3u);

  EXPECT_EQ(t[0].lr, 0.1);
  EXPECT_EQ(t[0].batch, 8);
  EXPECT_EQ(t[0].outcome, "transition");
  EXPECT_EQ(t[0].points, 13);
  EXPECT_EQ(t[0].widths, 4);
  EXPECT_EQ(t[0].width_low, 4);
  EXPECT_EQ(t[0].width_high, 8);
  EXPECT_EQ(t[0].n_star, weights(8));
  EXPECT_EQ(t[0].n_star_low, weights(4));
  EXPECT_EQ(t[0].n_star_high, weights(8));
  EXPECT_DOUBLE_EQ(t[0].fraction_low, 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(t[0].fraction_high, 0.5);
  EXPECT_DOUBLE_EQ(t[0].p_over_n_star, 200.0 / weights(8));
  EXPECT_EQ(t[0].dead_unfitted, 1);

  EXPECT_EQ(t[1].batch, 64);
  EXPECT_EQ(t[1].outcome, "fits_at_every_width");
  EXPECT_EQ(t[1].width_high, 2);
  EXPECT_TRUE(std::isnan(t[1].width_low));
  EXPECT_TRUE(std::isnan(t[1].n_star_low));
  EXPECT_EQ(t[1].n_star, weights(2));

  EXPECT_EQ(t[2].lr, 0.5);
  EXPECT_EQ(t[2].outcome, "never_fits");
  EXPECT_TRUE(std::isnan(t[2].n_star));
  EXPECT_TRUE(std::isnan(t[2].p_over_n_star));
  EXPECT_EQ(t[2].width_low, 8);
  EXPECT_EQ(t[2].n_star_low, weights(8));
  EXPECT_EQ(t[2].fraction_low, 0.0);
  EXPECT_EQ(t[2].dead_unfitted, 2);
}

}  // namespace
}  // namespace lsweep::cli
