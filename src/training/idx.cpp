#include "lsweep/training/idx.hpp"

#include <zlib.h>

#include <memory>

#include "lsweep/common/error.hpp"

namespace lsweep::training {
namespace {

struct GzCloser {
  void operator()(gzFile_s* f) const {
    if (f) gzclose(f);
  }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

// Reads exactly n bytes; returns how many were read.
std::size_t read_bytes(gzFile f, std::uint8_t* out, std::size_t n, const std::string& path) {
  std::size_t done = 0;
  while (done < n) {
    const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(n - done, 1u << 30));
    const int got = gzread(f, out + done, chunk);
    if (got < 0) {
      int code = 0;
      throw StorageError("IDX file '" + path + "': read error: " + gzerror(f, &code));
    }
    if (got == 0) break;
    done += static_cast<std::size_t>(got);
  }
  return done;
}

}  // namespace

IdxArray read_idx(const std::string& path, std::int64_t max_items) {
  GzFile file(gzopen(path.c_str(), "rb"));
  if (!file) throw StorageError("IDX file '" + path + "' cannot be opened (missing or no permission)");
  std::uint8_t magic[4];
  if (read_bytes(file.get(), magic, 4, path) != 4) {
    throw StorageError("IDX file '" + path + "' is truncated: no 4-byte magic number");
  }
  if (magic[0] != 0 || magic[1] != 0) {
    throw StorageError("IDX file '" + path + "': bad magic number (first two bytes must be 0); not an IDX file");
  }
  if (magic[2] != 0x08) {
    throw StorageError("IDX file '" + path + "': element type 0x" + std::to_string(magic[2]) +
                       " is not supported; allowed: 0x08 (unsigned byte)");
  }
  const int ndims = magic[3];
  if (ndims < 1 || ndims > 4) {
    throw StorageError("IDX file '" + path + "': " + std::to_string(ndims) + " dimensions; allowed: 1 to 4");
  }
  IdxArray out;
  std::size_t total = 1;
  for (int i = 0; i < ndims; ++i) {
    std::uint8_t b[4];
    if (read_bytes(file.get(), b, 4, path) != 4) {
      throw StorageError("IDX file '" + path + "' is truncated inside its header");
    }
    std::int64_t dim = (std::int64_t{b[0]} << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
    if (i == 0) {
      out.items_in_file = dim;
      // Only the first max_items are decompressed: a 2048-image subset of
      // Fashion-MNIST reads 1.6 MB, not 47 MB.
      if (max_items >= 0 && max_items < dim) dim = max_items;
    }
    out.shape.push_back(dim);
    total *= static_cast<std::size_t>(dim);
  }
  out.data.resize(total);
  const std::size_t got = read_bytes(file.get(), out.data.data(), total, path);
  if (got != total) {
    throw StorageError("IDX file '" + path + "' is truncated: header promises " + std::to_string(total) +
                       " bytes of data, found " + std::to_string(got));
  }
  std::uint8_t extra = 0;
  if (out.shape[0] == out.items_in_file && read_bytes(file.get(), &extra, 1, path) != 0) {
    throw StorageError("IDX file '" + path + "' has bytes after the " + std::to_string(total) +
                       " its header promises; damaged or not an IDX file");
  }
  return out;
}

}  // namespace lsweep::training
