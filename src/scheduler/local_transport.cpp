#include "lsweep/scheduler/local_transport.hpp"

#include "lsweep/common/error.hpp"

namespace lsweep::scheduler {

LocalHub::LocalHub(int size) {
  for (int i = 0; i < size; ++i) boxes_.push_back(std::make_unique<Box>());
}

void LocalHub::post(int source, int dest, const Message& message) {
  if (dest < 0 || dest >= size()) {
    throw SchedulerError("send to rank " + std::to_string(dest) + ": allowed ranks are 0.." +
                         std::to_string(size() - 1));
  }
  Box& box = *boxes_[static_cast<std::size_t>(dest)];
  {
    std::lock_guard<std::mutex> lock(box.mutex);
    box.queue.emplace_back(source, encode(message));
  }
  box.ready.notify_one();
}

std::optional<Envelope> LocalHub::take(int dest, std::optional<std::chrono::milliseconds> timeout) {
  Box& box = *boxes_[static_cast<std::size_t>(dest)];
  std::unique_lock<std::mutex> lock(box.mutex);
  const auto has_mail = [&] { return !box.queue.empty(); };
  if (!timeout) {
    box.ready.wait(lock, has_mail);
  } else if (!box.ready.wait_for(lock, *timeout, has_mail)) {
    return std::nullopt;
  }
  auto [source, bytes] = std::move(box.queue.front());
  box.queue.pop_front();
  return Envelope{source, decode(bytes)};
}

}  // namespace lsweep::scheduler
