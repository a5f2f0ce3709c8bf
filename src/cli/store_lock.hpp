#pragma once
// One run per store, whatever the path's spelling. The lock is an open file
// description lock (fcntl F_OFD_SETLK) on the store file itself (or, while a
// store is being created, on PATH.creating, which becomes the store by link(2),
// so the locked inode stays the same). Every spelling of the path (a symbolic
// or hard link, a relative or ".." path) reaches the same inode, hence the same
// lock. It covers one byte far beyond any data, so it never meets the byte
// range locks an MPI-IO library may take on the data, nor HDF5's own flock.
// The kernel releases it when the process ends, even on kill -9; no lock file
// is ever left behind.

#include <string>

namespace lsweep::cli {

class StoreLock {
 public:
  StoreLock() = default;
  StoreLock(StoreLock&& other) noexcept;
  StoreLock& operator=(StoreLock&& other) noexcept;
  StoreLock(const StoreLock&) = delete;
  StoreLock& operator=(const StoreLock&) = delete;
  ~StoreLock();  ///< releases the lock

  /// Locks the existing regular file `path`: for writing if it can be opened
  /// read-write, else shared (a read-only store can still be found finished).
  /// Returns "" or why not ("another lsweep run is using this store ...").
  std::string lock_existing(const std::string& path);

  /// Creates `temp` (PATH.creating) and locks it. A `temp` left by a run that
  /// was killed while creating is taken over (it holds no results); one that
  /// another run holds is refused. Returns "" or why not.
  std::string lock_new(const std::string& path, const std::string& temp);

  /// Removes the file made by lock_new and releases the lock (a refusal after
  /// planning must leave nothing behind).
  void discard();
  /// The PATH.creating of lock_new now has its real name: discard() leaves it.
  void published() { created_.clear(); }

  bool held() const { return fd_ >= 0; }
  bool writable() const { return writable_; }

 private:
  void release();
  int fd_ = -1;
  bool writable_ = false;
  std::string created_;  // the PATH.creating this lock made, until published
};

}  // namespace lsweep::cli
