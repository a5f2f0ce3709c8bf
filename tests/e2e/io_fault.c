/* Test-only LD_PRELOAD shim: real I/O errors at the system-call level.
 * Once the file LSWEEP_FAULT_TRIGGER exists, every pwrite()/pwrite64() to a
 * file whose path contains LSWEEP_FAULT_PATH fails with ENOSPC, optionally
 * only below the offset LSWEEP_FAULT_MAX_OFFSET (the HDF5 metadata region,
 * where end_time and the superblock live), as a full disk or a failing file
 * server would. Other files and writes are untouched. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

typedef ssize_t (*pwrite_fn)(int, const void*, size_t, off_t);

static int should_fail(int fd, off_t offset) {
  const char* trigger = getenv("LSWEEP_FAULT_TRIGGER");
  const char* match = getenv("LSWEEP_FAULT_PATH");
  if (!trigger || !match) return 0;
  struct stat st;
  if (stat(trigger, &st) != 0) return 0;
  const char* max = getenv("LSWEEP_FAULT_MAX_OFFSET");
  if (max && offset >= (off_t)atoll(max)) return 0;
  char link[64], path[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = readlink(link, path, sizeof path - 1);
  if (n <= 0) return 0;
  path[n] = '\0';
  return strstr(path, match) != NULL;
}

ssize_t pwrite64(int fd, const void* buf, size_t count, off_t offset) {
  static pwrite_fn real = NULL;
  if (!real) real = (pwrite_fn)dlsym(RTLD_NEXT, "pwrite64");
  if (should_fail(fd, offset)) {
    errno = ENOSPC;
    return -1;
  }
  return real(fd, buf, count, offset);
}

ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset) {
  static pwrite_fn real = NULL;
  if (!real) real = (pwrite_fn)dlsym(RTLD_NEXT, "pwrite");
  if (should_fail(fd, offset)) {
    errno = ENOSPC;
    return -1;
  }
  return real(fd, buf, count, offset);
}
