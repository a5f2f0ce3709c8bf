#pragma once
/// \file
/// Reader for IDX files (the MNIST / Fashion-MNIST format), gzipped or plain.

#include <cstdint>
#include <string>
#include <vector>

namespace lsweep::training {

/// An unsigned-byte IDX array: shape and row-major data.
struct IdxArray {
  std::vector<std::int64_t> shape;
  std::vector<std::uint8_t> data;
};

/// Reads `path` (gzip is detected by zlib). Only element type 0x08 (unsigned
/// byte) is supported. Throws StorageError for a missing file, a bad magic
/// number, an unsupported type, a truncated file or trailing bytes.
IdxArray read_idx(const std::string& path);

}  // namespace lsweep::training
