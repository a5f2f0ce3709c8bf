#include "signals.hpp"

#include <csignal>

namespace lsweep::cli {
namespace {

std::atomic<bool> g_drain{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs a lock-free flag");

extern "C" void on_drain_signal(int /*signal*/) { g_drain.store(true, std::memory_order_relaxed); }

}  // namespace

void install_drain_handlers() {
  struct sigaction action {};
  action.sa_handler = on_drain_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

const std::atomic<bool>& drain_requested() { return g_drain; }

}  // namespace lsweep::cli
