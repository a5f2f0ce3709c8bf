#include "progress.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace lsweep::cli {
namespace {

TEST(ProgressLine, CountsEveryStatusRateAndEta) {
  StatusCounts counts{};
  counts[static_cast<int>(PointStatus::pending)] = 24;
  counts[static_cast<int>(PointStatus::running)] = 2;
  counts[static_cast<int>(PointStatus::done)] = 5;
  counts[static_cast<int>(PointStatus::diverged)] = 1;
  EXPECT_EQ(progress_line(counts, 120.0),
            "32 points: 5 done, 0 failed, 1 diverged, 0 timed out, 2 running, 24 pending; 120 points/h; ETA 13 min");
}

TEST(ProgressLine, SaysWhenTheRateIsUnknown) {
  StatusCounts counts{};
  counts[static_cast<int>(PointStatus::pending)] = 3;
  EXPECT_EQ(progress_line(counts, std::nan("")),
            "3 points: 0 done, 0 failed, 0 diverged, 0 timed out, 0 running, 3 pending; rate not known yet");
  EXPECT_NE(progress_line(counts, 0.0).find("rate not known yet"), std::string::npos);
}

TEST(ProgressLine, HasNoEtaWhenNothingIsLeft) {
  StatusCounts counts{};
  counts[static_cast<int>(PointStatus::done)] = 3;
  EXPECT_EQ(progress_line(counts, 7.25),
            "3 points: 3 done, 0 failed, 0 diverged, 0 timed out, 0 running, 0 pending; 7.25 points/h");
}

TEST(HumanDuration, PicksAReadableUnit) {
  EXPECT_EQ(human_duration(45), "45 s");
  EXPECT_EQ(human_duration(600), "10 min");
  EXPECT_EQ(human_duration(3.5 * 3600), "3.5 h");
  EXPECT_EQ(human_duration(3 * 86400), "3.0 days");
}

}  // namespace
}  // namespace lsweep::cli
