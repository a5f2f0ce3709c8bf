#include "lsweep/scheduler/messages.hpp"

#include <sstream>

#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/map.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>

#include "lsweep/common/error.hpp"

namespace boost::serialization {

template <class Archive>
void serialize(Archive& ar, lsweep::config::GridPoint& p, const unsigned /*version*/) {
  ar& p.id& p.lr& p.batch& p.width& p.seed;
}

// Every field of PointSummary, once: the scalars map carries every result
// (base and probes) without protocol changes.
template <class Archive>
void serialize(Archive& ar, lsweep::PointSummary& s, const unsigned /*version*/) {
  ar& s.point_id& s.status& s.steps& s.wall_seconds& s.error& s.scalars;
}

template <class Archive>
void serialize(Archive& ar, lsweep::scheduler::Message& m, const unsigned /*version*/) {
  ar& m.kind& m.task.points& m.result.points& m.error;
}

}  // namespace boost::serialization

namespace lsweep::scheduler {

Message make_ready() { return Message{MessageKind::ready, {}, {}, {}}; }
Message make_task(Task task) { return Message{MessageKind::task, std::move(task), {}, {}}; }
Message make_result(Result result) { return Message{MessageKind::result, {}, std::move(result), {}}; }
Message make_shutdown() { return Message{MessageKind::shutdown, {}, {}, {}}; }
Message make_error(std::string what, Result lost) {
  return Message{MessageKind::error, {}, std::move(lost), std::move(what)};
}

std::string encode(const Message& message) {
  std::ostringstream out(std::ios::binary);
  try {
    boost::archive::binary_oarchive archive(out, boost::archive::no_header);
    archive << message;
  } catch (const std::exception& e) {
    throw SchedulerError(std::string("cannot encode a ") + to_string(message.kind) + " message: " + e.what());
  }
  return out.str();
}

Message decode(const std::string& bytes) {
  std::istringstream in(bytes, std::ios::binary);
  Message message;
  try {
    boost::archive::binary_iarchive archive(in, boost::archive::no_header);
    archive >> message;
  } catch (const std::exception& e) {
    throw SchedulerError("cannot decode a message of " + std::to_string(bytes.size()) + " bytes: " + e.what());
  }
  const int kind = static_cast<int>(message.kind);
  if (kind < 0 || kind > static_cast<int>(MessageKind::error)) {
    throw SchedulerError("decoded a message of unknown kind " + std::to_string(kind));
  }
  return message;
}

const char* to_string(MessageKind kind) {
  switch (kind) {
    case MessageKind::ready: return "ready";
    case MessageKind::task: return "task";
    case MessageKind::result: return "result";
    case MessageKind::shutdown: return "shutdown";
    case MessageKind::error: return "error";
  }
  return "unknown";
}

}  // namespace lsweep::scheduler
