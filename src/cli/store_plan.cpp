#include "store_plan.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "commands.hpp"
#include "lsweep/common/error.hpp"
#include "lsweep/common/format.hpp"
#include "lsweep/common/log.hpp"
#include "lsweep/config/grid.hpp"
#include "lsweep/config/job_diff.hpp"
#include "lsweep/config/layout.hpp"
#include "lsweep/probes/jamming.hpp"
#include "lsweep/store/schema.hpp"
#include "lsweep/store/store_reader.hpp"

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

// A run killed between naming its new store (link) and removing the
// temporary name leaves PATH.creating as a second name of the store itself:
// removed, so that a later creation can never truncate it.
void remove_published_temp(const std::string& path, const struct stat& store) {
  const std::string temp = path + store::schema::kCreatingSuffix;
  struct stat st {};
  if (stat(temp.c_str(), &st) != 0 || st.st_ino != store.st_ino || st.st_dev != store.st_dev) return;
  log::warn("removing '", temp, "', a second name of the store left by a run stopped as it named it");
  unlink(temp.c_str());
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

StorePlan plan_resume(const std::string& path, const config::JobConfig& job, const config::ProbeCatalog& catalog) {
  const auto untouched = [&](const std::string& why) {
    return refuse(kStorage, why + "; refusing to run with --store = " + path + " (nothing was changed)");
  };
  std::optional<store::StoreReader> reader;
  try {
    reader.emplace(path, catalog);
  } catch (const StorageError& e) {
    return untouched(e.what());
  }
  const auto diffs = config::job_differences(reader->job(), job);
  if (!diffs.empty()) {
    std::string text =
        "store '" + path + "' was made by a different job; refusing to mix their results (nothing was changed):";
    for (const auto& d : diffs) text += "\n  " + d;
    return refuse(kBadInput, text + "\nallowed: the job that made the store, or a new --store path");
  }
  StorePlan plan;
  try {
    if (const std::string why = reader->job_content_mismatch(); !why.empty()) {
      return untouched("store '" + path + "' does not hold what its own job gives (" + why +
                       "): damaged or written by another program");
    }
    const auto status = reader->statuses();
    const auto torn = reader->torn_rows(status);
    for (std::size_t i = 0; i < status.size(); ++i) {
      // A finished row torn by a crash runs again.
      const PointStatus s = torn[i] ? PointStatus::pending : status[i];
      ++plan.counts[static_cast<int>(s)];
      if (torn[i])
        log::warn("point ", i, " of ", path, " is ", to_string(status[i]),
                  " but its row checksum does not match (torn by a crash): it runs again");
      if (s == PointStatus::pending || s == PointStatus::running) plan.todo.push_back(static_cast<std::int64_t>(i));
    }
    if (job.grid.bisect > 0) {  // what the bisection learnt before
      const auto width = reader->doubles(config::layout::kWidth);
      const auto fitted = reader->doubles(probes::JammingProbe::kFitted);
      for (std::size_t i = 0; i < status.size(); ++i) {
        if (torn[i] || status[i] == PointStatus::pending || status[i] == PointStatus::running ||
            status[i] == PointStatus::unused)
          continue;
        plan.ended[static_cast<std::int64_t>(i)] = {static_cast<std::int64_t>(width[i]),
                                                    status[i] == PointStatus::done && fitted[i] == 1.0,
                                                    status[i] != PointStatus::failed};
      }
    }
  } catch (const StorageError& e) {
    return untouched(e.what());
  }
  if (job.grid.bisect > 0) {
    // The bisection rebuilt from the stored outcomes must agree with the widths stored.
    try {
      scheduler::BisectionSource check(job, config::expand_grid(job), plan.todo, plan.ended);
    } catch (const SchedulerError& e) {
      return untouched("store '" + path + "' does not hold what its own job gives (" + e.what() +
                       "): damaged or written by another program");
    }
  }
  plan.resume = true;
  return plan;
}

}  // namespace

StorePlan plan_store(const std::string& path, const config::JobConfig& job, const config::ProbeCatalog& catalog) {
  if (path.empty()) return refuse(kBadInput, "--store = '': allowed: the path of a store file (new or existing)");
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT)
      return refuse(kBadInput, "--store = " + path + ": cannot be examined: " + std::strerror(errno));
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
  remove_published_temp(path, st);
  StorePlan plan = plan_resume(path, job, catalog);
  if (plan.exit_code == 0 && !plan.todo.empty() && !lock.writable()) {
    return refuse(kBadInput,
                  "--store = " + path + ": " + std::to_string(plan.todo.size()) +
                      " point(s) left to run, but the store is not writable; allowed: a store you can write");
  }
  plan.lock = std::move(lock);
  return plan;
}

}  // namespace lsweep::cli
