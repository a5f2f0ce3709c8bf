#include "lsweep/common/status.hpp"

#include <gtest/gtest.h>

#include "lsweep/common/error.hpp"

namespace lsweep {
namespace {

TEST(PointStatus, NamesEveryStatus) {
  EXPECT_STREQ(to_string(PointStatus::pending), "pending");
  EXPECT_STREQ(to_string(PointStatus::done), "done");
  EXPECT_STREQ(to_string(PointStatus::diverged), "diverged");
  EXPECT_STREQ(to_string(PointStatus::timed_out), "timed_out");
}

TEST(PointStatus, StoredIntegersRoundTrip) {
  for (int v = 0; v < kPointStatusCount; ++v) EXPECT_EQ(static_cast<int>(point_status_from_int(v)), v);
}

TEST(PointStatus, RejectsIntegersOutsideTheEnum) {
  EXPECT_THROW(point_status_from_int(-1), StorageError);
  EXPECT_THROW(point_status_from_int(kPointStatusCount), StorageError);
}

TEST(ConfigError, NamesFieldValueAndAllowed) {
  const ConfigError e("grid.lr[0]", "-1", "allowed: > 0");
  EXPECT_STREQ(e.what(), "grid.lr[0] = -1: allowed: > 0");
}

}  // namespace
}  // namespace lsweep
