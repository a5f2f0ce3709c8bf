#include "lsweep/common/format.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>

namespace lsweep {
namespace {

TEST(ShortestDouble, PrintsTheShortestExactText) {
  EXPECT_EQ(shortest_double(0.1), "0.1");
  EXPECT_EQ(shortest_double(1e-3), "0.001");
  EXPECT_EQ(shortest_double(1.0 / 3.0), "0.3333333333333333");
  EXPECT_EQ(shortest_double(2.5e-300), "2.5e-300");
}

TEST(ShortestDouble, PrintsIntegralValuesWithoutExponent) {
  EXPECT_EQ(shortest_double(1000000.0), "1000000");
  EXPECT_EQ(shortest_double(-3.0), "-3");
  EXPECT_EQ(shortest_double(0.0), "0");
}

TEST(ShortestDouble, NamesNonFiniteValues) {
  EXPECT_EQ(shortest_double(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(shortest_double(std::nan("")), "nan");
}

TEST(ShortestDouble, ReadsBackBitForBit) {
  for (double v : {0.1, 0.2, 0.7, 1e-7, 123.456, 6.02214076e23, 0.48669037222862244}) {
    EXPECT_EQ(std::strtod(shortest_double(v).c_str(), nullptr), v) << v;
  }
}

}  // namespace
}  // namespace lsweep
