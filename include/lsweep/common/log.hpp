#pragma once
/// \file
/// The rank-tagged logger. Library code never prints; it logs here, and the
/// level set by the cli decides what reaches stderr.

#include <sstream>
#include <string>

namespace lsweep::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3, off = 4 };

/// Sets the rank shown in every line ("[rank 3]"); -1 shows no rank.
void set_rank(int rank);
void set_level(Level level);
Level level();
/// Parses "debug", "info", "warn", "error" or "off"; throws ConfigError otherwise.
Level parse_level(const std::string& name);

/// Writes one line (timestamp, rank, level, text) to stderr if `lvl` is enabled.
/// Thread-safe: one line is written whole.
void write(Level lvl, const std::string& text);

template <typename... Args>
std::string concat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}

template <typename... Args>
void debug(const Args&... args) {
  if (level() <= Level::debug) write(Level::debug, concat(args...));
}
template <typename... Args>
void info(const Args&... args) {
  if (level() <= Level::info) write(Level::info, concat(args...));
}
template <typename... Args>
void warn(const Args&... args) {
  if (level() <= Level::warn) write(Level::warn, concat(args...));
}
template <typename... Args>
void error(const Args&... args) {
  if (level() <= Level::error) write(Level::error, concat(args...));
}

}  // namespace lsweep::log
