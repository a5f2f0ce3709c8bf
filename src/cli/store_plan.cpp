#include "store_plan.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "commands.hpp"
#include "lsweep/common/error.hpp"
#include "lsweep/common/format.hpp"
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

// "" if a new store can be made at `path`, else why not.
std::string folder_error(const std::string& path) {
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return "--store = " + path + ": folder '" + dir + "' does not exist; allowed: a path in an existing folder";
  }
  if (access(dir.c_str(), W_OK) != 0) {
    return "--store = " + path + ": folder '" + dir + "' is not writable; allowed: a path in a folder you can write";
  }
  return {};
}

// Called with the store's lock held.
StorePlan plan_new(const std::string& path, const config::JobConfig& job) {
  struct stat st {};
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

// The stored grid must be the job's grid, row for row (ids are row numbers).
std::string grid_mismatch(const store::StoreContents& contents, const config::JobConfig& job) {
  const auto points = config::expand_grid(job);
  if (points.size() != contents.points.size()) {
    return "it has " + std::to_string(contents.points.size()) + " points, the job " + std::to_string(points.size());
  }
  for (std::size_t i = 0; i < points.size(); ++i) {
    const auto& a = contents.points[i].point;
    const auto& b = points[i];
    if (a.lr != b.lr || a.batch != b.batch || a.width != b.width || a.seed != b.seed) {
      return "row " + std::to_string(i) + " holds (lr " + shortest_double(a.lr) + ", batch " + std::to_string(a.batch) +
             ", width " + std::to_string(a.width) + ", seed " + std::to_string(a.seed) + "), the job's point " +
             std::to_string(i) + " is (lr " + shortest_double(b.lr) + ", batch " + std::to_string(b.batch) +
             ", width " + std::to_string(b.width) + ", seed " + std::to_string(b.seed) + ")";
    }
  }
  return {};
}

// Holds PATH.lock for the rest of the process; "" or why it cannot.
std::string lock_store(const std::string& path) {
  const std::string lock = path + ".lock";
  const int fd = open(lock.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  if (fd < 0) return "--store = " + path + ": cannot create the lock file '" + lock + "': " + std::strerror(errno);
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    close(fd);
    return err == EWOULDBLOCK ? "--store = " + path + ": another lsweep run is using this store (it holds '" + lock +
                                    "'); allowed: one run per store at a time"
                              : "--store = " + path + ": cannot lock '" + lock + "': " + std::strerror(err);
  }
  return {};  // fd stays open on purpose: the lock lasts until this process ends
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
  if (const std::string why = grid_mismatch(contents, job); !why.empty()) {
    return refuse(kStorage, "store '" + path + "' does not match its own job's grid (" + why +
                                "); damaged or written by another lsweep; refusing to run (nothing was changed)");
  }
  StorePlan plan;
  plan.resume = true;
  for (const auto& row : contents.points) {
    const auto s = row.summary.status;
    ++plan.counts[static_cast<int>(s)];
    if (s == PointStatus::pending || s == PointStatus::running) plan.todo.push_back(row.point.id);
  }
  return plan;
}

}  // namespace

StorePlan plan_store(const std::string& path, const config::JobConfig& job) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return refuse(kStorage, "--store = " + path + ": cannot be examined: " + std::strerror(errno));
    if (const std::string why = folder_error(path); !why.empty()) return refuse(kBadInput, why);
    if (const std::string why = lock_store(path); !why.empty()) return refuse(kBadInput, why);
    return plan_new(path, job);
  }
  if (const std::string why = lock_store(path); !why.empty()) return refuse(kBadInput, why);
  if (!S_ISREG(st.st_mode))
    return refuse(kBadInput, "--store = " + path + ": not a regular file; allowed: a store file or a new path");
  return plan_resume(path, job);
}

}  // namespace lsweep::cli
