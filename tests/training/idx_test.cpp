#include "lsweep/training/idx.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <fstream>

#include "lsweep/common/error.hpp"

namespace lsweep::training {
namespace {

std::string idx_bytes(std::vector<std::uint32_t> dims, const std::vector<std::uint8_t>& data, std::uint8_t type = 8) {
  std::string out{'\0', '\0', static_cast<char>(type), static_cast<char>(dims.size())};
  for (auto d : dims) {
    for (int shift : {24, 16, 8, 0}) out += static_cast<char>((d >> shift) & 0xff);
  }
  out.append(data.begin(), data.end());
  return out;
}

class IdxTest : public ::testing::Test {
 protected:
  std::string write_plain(const std::string& bytes) {
    std::ofstream(path_, std::ios::binary) << bytes;
    return path_;
  }
  std::string write_gzip(const std::string& bytes) {
    gzFile f = gzopen(path_.c_str(), "wb");
    gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(f);
    return path_;
  }
  void TearDown() override { std::remove(path_.c_str()); }
  std::string path_ = ::testing::TempDir() + "lsweep_idx_test.idx";
};

std::string error_of(const std::string& path) {
  try {
    read_idx(path);
  } catch (const StorageError& e) {
    return e.what();
  }
  return "";
}

TEST_F(IdxTest, ReadsAGzippedImageArray) {
  std::vector<std::uint8_t> data;
  for (int i = 0; i < 2 * 3 * 4; ++i) data.push_back(static_cast<std::uint8_t>(i * 10));
  const IdxArray a = read_idx(write_gzip(idx_bytes({2, 3, 4}, data)));
  EXPECT_EQ(a.shape, (std::vector<std::int64_t>{2, 3, 4}));
  EXPECT_EQ(a.data, data);
}

TEST_F(IdxTest, ReadsOnlyTheFirstItemsWhenAsked) {
  std::vector<std::uint8_t> data;
  for (int i = 0; i < 5 * 2 * 2; ++i) data.push_back(static_cast<std::uint8_t>(i));
  const std::string path = write_gzip(idx_bytes({5, 2, 2}, data));
  const IdxArray a = read_idx(path, 2);
  EXPECT_EQ(a.shape, (std::vector<std::int64_t>{2, 2, 2}));
  EXPECT_EQ(a.items_in_file, 5);
  EXPECT_EQ(a.data, std::vector<std::uint8_t>(data.begin(), data.begin() + 8));
  EXPECT_EQ(read_idx(path, 9).shape[0], 5);  // more than the file holds: all of it
}

TEST_F(IdxTest, ReadsAPlainLabelArray) {
  const IdxArray a = read_idx(write_plain(idx_bytes({5}, {9, 0, 3, 3, 1})));
  EXPECT_EQ(a.shape, (std::vector<std::int64_t>{5}));
  EXPECT_EQ(a.data, (std::vector<std::uint8_t>{9, 0, 3, 3, 1}));
}

TEST_F(IdxTest, ReadsLargeDimensionsBigEndian) {
  std::vector<std::uint8_t> data(70000, 7);
  const IdxArray a = read_idx(write_gzip(idx_bytes({70000}, data)));
  EXPECT_EQ(a.shape[0], 70000);
}

TEST_F(IdxTest, RejectsAMissingFile) {
  EXPECT_THROW(read_idx("/nonexistent/x.idx"), StorageError);
  EXPECT_NE(error_of("/nonexistent/x.idx").find("cannot be opened"), std::string::npos);
}

TEST_F(IdxTest, RejectsABadMagicNumber) {
  std::string bytes = idx_bytes({2}, {1, 2});
  bytes[0] = 'P';
  write_plain(bytes);
  EXPECT_NE(error_of(path_).find("bad magic"), std::string::npos) << error_of(path_);
}

TEST_F(IdxTest, RejectsNonByteElements) {
  write_plain(idx_bytes({1}, {0, 0, 0, 1}, 0x0C));
  EXPECT_NE(error_of(path_).find("not supported"), std::string::npos) << error_of(path_);
}

TEST_F(IdxTest, RejectsTruncatedData) {
  write_gzip(idx_bytes({2, 3}, {1, 2, 3, 4, 5}));
  EXPECT_NE(error_of(path_).find("truncated: header promises 6 bytes of data, found 5"), std::string::npos)
      << error_of(path_);
}

TEST_F(IdxTest, RejectsATruncatedHeader) {
  write_plain(std::string("\0\0\x08\x02\0\0", 6));
  EXPECT_NE(error_of(path_).find("truncated inside its header"), std::string::npos) << error_of(path_);
}

TEST_F(IdxTest, RejectsTrailingBytes) {
  write_plain(idx_bytes({2}, {1, 2, 3}));
  EXPECT_NE(error_of(path_).find("bytes after"), std::string::npos) << error_of(path_);
}

TEST_F(IdxTest, RejectsZeroDimensions) {
  write_plain(std::string("\0\0\x08\0", 4));
  EXPECT_NE(error_of(path_).find("0 dimensions"), std::string::npos) << error_of(path_);
}

}  // namespace
}  // namespace lsweep::training
