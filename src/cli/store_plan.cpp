#include "store_plan.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "commands.hpp"
#include "lsweep/common/error.hpp"
#include "lsweep/common/log.hpp"
#include "lsweep/config/grid.hpp"
#include "lsweep/config/job_diff.hpp"
#include "lsweep/store/schema.hpp"
#include "lsweep/store/store.hpp"

namespace lsweep::cli {
namespace {

StorePlan refuse(int code, std::string error) {
  StorePlan plan;
  plan.exit_code = code;
  plan.error = std::move(error);
  return plan;
}

StorePlan plan_new(const std::string& path, const config::JobConfig& job) {
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return refuse(kBadInput,
                  "--store = " + path + ": folder '" + dir + "' does not exist; allowed: a path in an existing folder");
  }
  if (access(dir.c_str(), W_OK) != 0)
    return refuse(kBadInput, "--store = " + path + ": folder '" + dir + "' is not writable");
  const std::string temp = path + store::schema::kCreatingSuffix;
  if (stat(temp.c_str(), &st) == 0) {
    // Points only run once the store has its real name, so this holds no results.
    log::warn("removing '", temp, "', left by a run that was stopped while creating its store");
    if (std::remove(temp.c_str()) != 0) return refuse(kStorage, "cannot remove the stale '" + temp + "'");
  }
  StorePlan plan;
  for (const auto& p : config::expand_grid(job)) plan.todo.push_back(p.id);
  plan.counts[static_cast<int>(PointStatus::pending)] = static_cast<std::int64_t>(plan.todo.size());
  return plan;
}

StorePlan plan_resume(const std::string& path, const config::JobConfig& job) {
  store::StoreContents contents;
  try {
    contents = store::read_store(path);
  } catch (const StorageError& e) {
    return refuse(kStorage,
                  std::string(e.what()) + "; refusing to run with --store = " + path + " (nothing was changed)");
  }
  config::JobConfig stored;
  try {
    stored = config::parse_job(contents.attributes["job_toml"], path + " (its stored job)");
  } catch (const ConfigError& e) {
    return refuse(kStorage, "store '" + path + "' is damaged: its job cannot be read: " + e.what());
  }
  const auto diffs = config::job_differences(stored, job);
  if (!diffs.empty()) {
    std::string text =
        "store '" + path + "' was made by a different job; refusing to mix their results (nothing was changed):";
    for (const auto& d : diffs) text += "\n  " + d;
    return refuse(kBadInput, text + "\nallowed: the job that made the store, or a new --store path");
  }
  StorePlan plan;
  plan.resume = true;
  for (const auto& row : contents.points) {
    const auto s = row.summary.status;
    ++plan.counts[static_cast<int>(s)];
    if (s == PointStatus::pending || s == PointStatus::running) {
      plan.todo.push_back(row.point.id);
    } else {
      ++plan.finished;
    }
  }
  return plan;
}

}  // namespace

StorePlan plan_store(const std::string& path, const config::JobConfig& job) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return plan_new(path, job);
  if (!S_ISREG(st.st_mode))
    return refuse(kBadInput, "--store = " + path + ": not a regular file; allowed: a store file or a new path");
  return plan_resume(path, job);
}

}  // namespace lsweep::cli
