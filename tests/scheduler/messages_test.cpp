#include "lsweep/scheduler/messages.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "lsweep/common/error.hpp"

namespace lsweep::scheduler {
namespace {

PointSummary sample_summary() {
  PointSummary s;
  s.point_id = 17;
  s.status = PointStatus::diverged;
  s.scalars["/results/final_train_loss"] = 0.125;
  s.scalars["/results/final_test_loss"] = kNaN;
  s.scalars["/probes/weights/final_param_norm"] = 1.0 / 3.0;
  s.steps = 123456789012LL;
  s.wall_seconds = 2.5e-3;
  s.error = "loss became nan, at step 9";
  return s;
}

TEST(Messages, TaskRoundTrips) {
  Task task{{{3, 0.1, 32, 256, 7}, {4, 1e-7, 1, 1, 0}}};
  const Message m = decode(encode(make_task(task)));
  ASSERT_EQ(m.kind, MessageKind::task);
  ASSERT_EQ(m.task.points.size(), 2u);
  EXPECT_EQ(m.task.points[0].id, 3);
  EXPECT_EQ(m.task.points[0].lr, 0.1);
  EXPECT_EQ(m.task.points[0].batch, 32);
  EXPECT_EQ(m.task.points[0].width, 256);
  EXPECT_EQ(m.task.points[0].seed, 7);
  EXPECT_EQ(m.task.points[1].lr, 1e-7);
}

TEST(Messages, ResultRoundTripsBitForBit) {
  const PointSummary s = sample_summary();
  const Message m = decode(encode(make_result(Result{{s}})));
  ASSERT_EQ(m.kind, MessageKind::result);
  ASSERT_EQ(m.result.points.size(), 1u);
  const PointSummary& r = m.result.points[0];
  EXPECT_EQ(r.point_id, s.point_id);
  EXPECT_EQ(r.status, s.status);
  ASSERT_EQ(r.scalars.size(), 3u);
  EXPECT_EQ(r.scalar("/results/final_train_loss"), 0.125);
  EXPECT_TRUE(std::isnan(r.scalar("/results/final_test_loss")));
  EXPECT_EQ(r.scalar("/probes/weights/final_param_norm"), 1.0 / 3.0);
  EXPECT_TRUE(std::isnan(r.scalar("/no/such/scalar")));
  EXPECT_EQ(r.steps, s.steps);
  EXPECT_EQ(r.wall_seconds, s.wall_seconds);
  EXPECT_EQ(r.error, s.error);
}

TEST(Messages, ReadyShutdownAndErrorRoundTrip) {
  EXPECT_EQ(decode(encode(make_ready())).kind, MessageKind::ready);
  EXPECT_EQ(decode(encode(make_shutdown())).kind, MessageKind::shutdown);
  const Message e = decode(encode(make_error("disk full", Result{{sample_summary()}})));
  EXPECT_EQ(e.kind, MessageKind::error);
  EXPECT_EQ(e.error, "disk full");
  EXPECT_EQ(e.result.points.at(0).point_id, 17);
}

TEST(Messages, DecodingGarbageThrows) {
  EXPECT_THROW(decode(""), SchedulerError);
  EXPECT_THROW(decode(std::string("\x01\x02\x03", 3)), SchedulerError);
}

TEST(Messages, DecodingAnUnknownKindThrows) {
  std::string bytes = encode(make_ready());
  bytes[0] = 9;  // the kind is the first field
  EXPECT_THROW(decode(bytes), SchedulerError);
}

}  // namespace
}  // namespace lsweep::scheduler
