#include "lsweep/common/log.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>

#include "lsweep/common/clock.hpp"
#include "lsweep/common/error.hpp"

namespace lsweep::log {
namespace {

std::atomic<int> g_rank{-1};
std::atomic<Level> g_level{Level::info};
std::mutex g_mutex;

const char* level_name(Level lvl) {
  switch (lvl) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
    case Level::off: break;
  }
  return "off";
}

}  // namespace

void set_rank(int rank) { g_rank = rank; }
void set_level(Level lvl) { g_level = lvl; }
Level level() { return g_level; }

Level parse_level(const std::string& name) {
  for (Level lvl : {Level::debug, Level::info, Level::warn, Level::error, Level::off}) {
    if (name == level_name(lvl)) return lvl;
  }
  throw ConfigError("--log-level", "\"" + name + "\"", "allowed: debug, info, warn, error, off");
}

void write(Level lvl, const std::string& text) {
  std::string line = utc_now();
  if (g_rank >= 0) line += " [rank " + std::to_string(g_rank.load()) + "]";
  line += " ";
  line += level_name(lvl);
  line += ": ";
  line += text;
  line += "\n";
  std::lock_guard<std::mutex> lock(g_mutex);
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
}

}  // namespace lsweep::log
