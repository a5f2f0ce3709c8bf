#include "store_lock.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>

#include "lsweep/common/log.hpp"

namespace lsweep::cli {
namespace {

// The locked byte: near the largest offset, where no store has data.
constexpr off_t kLockOffset = std::numeric_limits<off_t>::max() - 1;

// 0 on success, else errno (EAGAIN/EACCES: another holder).
int try_lock(int fd, short type) {
  struct flock fl {};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = kLockOffset;
  fl.l_len = 1;
  return fcntl(fd, F_OFD_SETLK, &fl) == 0 ? 0 : errno;
}

bool busy(int err) { return err == EAGAIN || err == EACCES; }

std::string in_use(const std::string& path) {
  return "--store = " + path + ": another lsweep run is using this store; allowed: one run per store at a time";
}

}  // namespace

StoreLock::StoreLock(StoreLock&& other) noexcept
    : fd_(other.fd_), writable_(other.writable_), created_(std::move(other.created_)) {
  other.fd_ = -1;
  other.created_.clear();
}

StoreLock& StoreLock::operator=(StoreLock&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = other.fd_;
    writable_ = other.writable_;
    created_ = std::move(other.created_);
    other.fd_ = -1;
    other.created_.clear();
  }
  return *this;
}

StoreLock::~StoreLock() { release(); }

void StoreLock::release() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

std::string StoreLock::lock_existing(const std::string& path) {
  release();
  writable_ = true;
  fd_ = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd_ < 0 && (errno == EACCES || errno == EROFS)) {
    writable_ = false;
    fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  }
  if (fd_ < 0) return "--store = " + path + ": cannot be opened: " + std::strerror(errno);
  const int err = try_lock(fd_, writable_ ? F_WRLCK : F_RDLCK);
  if (err == 0) return {};
  release();
  if (busy(err)) return in_use(path);
  return "--store = " + path + ": cannot lock it (" + std::strerror(err) +
         "); the file system must support POSIX byte-range locks (Lustre: mount with -o flock)";
}

std::string StoreLock::lock_new(const std::string& path, const std::string& temp) {
  release();
  writable_ = true;
  fd_ = open(temp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  const bool made = fd_ >= 0;
  if (!made && errno == EEXIST) fd_ = open(temp.c_str(), O_RDWR | O_CLOEXEC);
  if (fd_ < 0) return "--store = " + path + ": cannot create '" + temp + "': " + std::strerror(errno);
  const int err = try_lock(fd_, F_WRLCK);
  if (err != 0) {
    release();
    if (made) unlink(temp.c_str());
    if (busy(err)) return in_use(path) + " (it is creating '" + temp + "')";
    return "--store = " + path + ": cannot lock '" + temp + "' (" + std::strerror(err) +
           "); the file system must support POSIX byte-range locks (Lustre: mount with -o flock)";
  }
  // Points only run once the store has its real name, so a leftover holds no results.
  if (!made) log::warn("reusing '", temp, "', left by a run that was stopped while creating its store");
  created_ = temp;
  return {};
}

void StoreLock::discard() {
  if (!created_.empty()) unlink(created_.c_str());
  created_.clear();
  release();
}

}  // namespace lsweep::cli
