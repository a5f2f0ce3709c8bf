#include "lsweep/common/log.hpp"

#include <gtest/gtest.h>

#include "lsweep/common/error.hpp"

namespace lsweep::log {
namespace {

TEST(Log, ParsesEveryLevelName) {
  EXPECT_EQ(parse_level("debug"), Level::debug);
  EXPECT_EQ(parse_level("warn"), Level::warn);
  EXPECT_EQ(parse_level("off"), Level::off);
}

TEST(Log, RejectsUnknownLevelNames) { EXPECT_THROW(parse_level("verbose"), ConfigError); }

TEST(Log, WritesTaggedLinesAtOrAboveTheLevel) {
  set_rank(4);
  set_level(Level::warn);
  testing::internal::CaptureStderr();
  info("hidden");
  warn("shown ", 42);
  const std::string out = testing::internal::GetCapturedStderr();
  set_level(Level::info);
  set_rank(-1);
  EXPECT_EQ(out.find("hidden"), std::string::npos);
  EXPECT_NE(out.find("[rank 4] warn: shown 42\n"), std::string::npos) << out;
}

TEST(Log, ConcatenatesMixedArguments) { EXPECT_EQ(concat("a", 1, ' ', 2.5), "a1 2.5"); }

}  // namespace
}  // namespace lsweep::log
