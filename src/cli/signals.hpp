#pragma once
// SIGUSR1 (SLURM's time-limit warning) and SIGTERM (preemption) ask a sweep
// to drain: hand out no more points, interrupt running ones, close the store.

#include <atomic>

namespace lsweep::cli {

/// Installs the handlers (once per process).
void install_drain_handlers();
/// Set by the handlers; async-signal-safe to set, cheap to read every step.
const std::atomic<bool>& drain_requested();

}  // namespace lsweep::cli
