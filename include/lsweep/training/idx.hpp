#pragma once
/// \file
/// Reader for IDX files (the MNIST / Fashion-MNIST format), gzipped or plain.

#include <cstdint>
#include <string>
#include <vector>

namespace lsweep::training {

/// An unsigned-byte IDX array: shape and row-major data.
struct IdxArray {
  std::vector<std::int64_t> shape;  ///< shape[0]: the items read
  std::vector<std::uint8_t> data;
  std::int64_t items_in_file = 0;  ///< the file's first dimension
};

/// Reads `path` (gzip is detected by zlib): its first `max_items` items along
/// the first dimension (all when negative or larger). Only element type 0x08
/// (unsigned byte) is supported. Throws StorageError for a missing file, a
/// bad magic number, an unsupported type, a truncated file, or trailing bytes
/// (checked when the whole file is read).
IdxArray read_idx(const std::string& path, std::int64_t max_items = -1);

}  // namespace lsweep::training
