// `lsweep plot`: every figure a store's probes support, drawn by the bundled
// tools/lsweep_plot.py with Debian's python3 (h5py, numpy, matplotlib).

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include "commands.hpp"
#include "lsweep/common/error.hpp"
#include "lsweep/store/store_reader.hpp"

extern char** environ;

namespace lsweep::cli {
namespace {

namespace fs = std::filesystem;

std::string from_env(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

}  // namespace

int plot_command(const std::string& store_path, const std::string& out_dir, const config::ProbeCatalog& catalog) {
  { const store::StoreReader check(store_path, catalog); }  // a readable store, or StorageError (exit 3)
  std::string out = out_dir;
  if (out.empty()) {
    out = fs::path(store_path).parent_path().string();
    if (out.empty()) out = ".";
  }
  std::error_code ec;
  if (fs::exists(out, ec) && !fs::is_directory(out, ec)) {
    throw ConfigError("--out = " + out +
                      ": not a folder; allowed: a folder (made if missing, in a folder that exists)");
  }
  if (!fs::exists(out, ec)) {
    const auto parent = fs::path(out).parent_path();
    if (!parent.empty() && !fs::is_directory(parent, ec)) {
      throw ConfigError("--out = " + out + ": folder '" + parent.string() +
                        "' does not exist; allowed: a folder (made if missing, in a folder that exists)");
    }
    if (!fs::create_directory(out, ec)) throw ConfigError("--out = " + out + ": cannot be made: " + ec.message());
  }
  const std::string tools = from_env("LSWEEP_TOOLS_DIR", LSWEEP_TOOLS_DIR);
  const std::string script = (fs::path(tools) / "lsweep_plot.py").string();
  if (!fs::is_regular_file(script, ec)) {
    throw ConfigError("lsweep plot needs " + script +
                      ", which is missing; allowed: LSWEEP_TOOLS_DIR naming the tools/ folder of lsweep's sources");
  }
  const std::string python = from_env("LSWEEP_PYTHON", "/usr/bin/python3");
  std::vector<std::string> args = {python, script, store_path, out};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, python.c_str(), nullptr, nullptr, argv.data(), environ);
  if (spawned != 0) {
    throw ConfigError("lsweep plot runs " + python + ", which cannot be started (" + std::strerror(spawned) +
                      "); allowed: LSWEEP_PYTHON naming a python3 with h5py, numpy and matplotlib");
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? kOk : kFailure;
}

}  // namespace lsweep::cli
