#pragma once
// The row checksum, shared by the writer (Store::write_point) and the reader
// (StoreReader::torn_rows): a 64-bit hash over a finished row's result and
// summary values in layout order, each value as stored (float64 bits, int64
// values, the text's fixed-length bytes). Not cryptographic: it detects rows
// torn by a crash (a status on disk without the values written before it).

#include <cstdint>
#include <cstring>

namespace lsweep::store::detail {

class RowHash {
 public:
  void add_word(std::uint64_t w) {
    // splitmix64 of each word, folded in with FNV-1a's prime: order matters.
    w += 0x9e3779b97f4a7c15ULL;
    w = (w ^ (w >> 30)) * 0xbf58476d1ce4e5b9ULL;
    w = (w ^ (w >> 27)) * 0x94d049bb133111ebULL;
    h_ = (h_ ^ (w ^ (w >> 31))) * 0x100000001b3ULL;
  }
  void add_double(double v) {
    std::uint64_t w = 0;
    std::memcpy(&w, &v, sizeof w);
    add_word(w);
  }
  void add_int(std::int64_t v) { add_word(static_cast<std::uint64_t>(v)); }
  void add_bytes(const char* p, std::size_t n) {
    for (std::size_t i = 0; i < n; i += 8) {
      std::uint64_t w = 0;
      std::memcpy(&w, p + i, n - i < 8 ? n - i : 8);
      add_word(w);
    }
  }
  /// Never 0, the checksum's fill value (a row never written).
  std::uint64_t value() const { return h_ == 0 ? 1 : h_; }

 private:
  std::uint64_t h_ = 0xcbf29ce484222325ULL;
};

}  // namespace lsweep::store::detail
