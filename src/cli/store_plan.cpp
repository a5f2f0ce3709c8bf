#include "store_plan.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
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

std::string file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// "" if a new store can be made at `path`, else why not.
std::string folder_error(const std::string& path) {
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  if (base.empty() || base == "." || base == "..") {
    return "--store = " + path + ": names a folder, not a file; allowed: a store file or a new file path";
  }
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return "--store = " + path + ": folder '" + dir + "' does not exist; allowed: a path in an existing folder";
  }
  if (access(dir.c_str(), W_OK) != 0) {
    return "--store = " + path + ": folder '" + dir + "' is not writable (" + std::strerror(errno) +
           "); allowed: a path in a folder you can write";
  }
  return {};
}

// A new store: lock PATH.creating, which becomes the store once it is built.
StorePlan plan_new(const std::string& path, const config::JobConfig& job) {
  StorePlan plan;
  const std::string temp = path + store::schema::kCreatingSuffix;
  if (const std::string why = plan.lock.lock_new(path, temp); !why.empty()) return refuse(kBadInput, why);
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
  if (path.empty()) return refuse(kBadInput, "--store = '': allowed: the path of a store file (new or existing)");
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return refuse(kBadInput, "--store = " + path + ": cannot be examined: " + std::strerror(errno));
    if (const std::string why = folder_error(path); !why.empty()) return refuse(kBadInput, why);
    StorePlan plan = plan_new(path, job);
    // A run that published the store meanwhile: it is an existing store now.
    if (plan.exit_code != 0 || lstat(path.c_str(), &st) != 0) return plan;
    plan.lock.discard();
  }
  if (S_ISLNK(st.st_mode) && stat(path.c_str(), &st) != 0) {
    return refuse(kBadInput, "--store = " + path + ": a symbolic link to a path that does not exist (" +
                                 std::strerror(errno) + "); allowed: a store file or a new path");
  }
  if (!S_ISREG(st.st_mode)) {
    return refuse(kBadInput, "--store = " + path + ": " + file_kind(st.st_mode) +
                                 ", not a store file; allowed: a store file or a new path");
  }
  StoreLock lock;
  if (const std::string why = lock.lock_existing(path); !why.empty()) return refuse(kBadInput, why);
  StorePlan plan = plan_resume(path, job);
  if (plan.exit_code == 0 && !plan.todo.empty() && !lock.writable()) {
    return refuse(kBadInput, "--store = " + path + ": " + std::to_string(plan.todo.size()) +
                                 " point(s) left to run, but the store is not writable; allowed: a store you can write");
  }
  plan.lock = std::move(lock);
  return plan;
}

}  // namespace lsweep::cli
