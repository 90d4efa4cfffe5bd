#include "common/crc32c.h"

#include <string>

#include <gtest/gtest.h>

namespace lode {
namespace {

TEST(Crc32c, KnownVectors) {
  // Check values from RFC 3720 (iSCSI) B.4 and the common "123456789" vector.
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(std::string(32, '\xff')), 0x62A8AB43u);
  EXPECT_EQ(Crc32c(""), 0u);
}

TEST(Crc32c, ExtendEqualsWhole) {
  std::string s;
  for (int i = 0; i < 1000; ++i) s.push_back(static_cast<char>(i * 7));
  for (size_t cut : {0, 1, 7, 8, 9, 500, 999, 1000}) {
    uint32_t a = Crc32cExtend(0, s.data(), cut);
    a = Crc32cExtend(a, s.data() + cut, s.size() - cut);
    EXPECT_EQ(a, Crc32c(s)) << cut;
  }
}

// Inputs long enough for the three-stream paths (3 x 4096 and 3 x 256 bytes at a time), at
// every alignment of their ends, against a plain bit-at-a-time CRC.
TEST(Crc32c, LongInputsMatchBitwise) {
  auto bitwise = [](uint32_t crc, std::string_view s) {
    crc = ~crc;
    for (unsigned char b : s) {
      crc ^= b;
      for (int k = 0; k < 8; ++k) crc = (crc & 1) ? (crc >> 1) ^ 0x82f63b78u : crc >> 1;
    }
    return ~crc;
  };
  std::string s;
  uint64_t x = 88172645463325252ull;
  for (int i = 0; i < 40000; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s.push_back(static_cast<char>(x));
  }
  for (size_t len : {767, 768, 769, 1000, 12287, 12288, 12289, 13056, 25000, 40000}) {
    for (size_t start : {0, 1, 5}) {
      if (start + len > s.size()) continue;
      const std::string_view v(s.data() + start, len);
      EXPECT_EQ(Crc32c(v), bitwise(0, v)) << len << " at " << start;
      EXPECT_EQ(Crc32cExtend(0x12345678u, v.data(), v.size()), bitwise(0x12345678u, v)) << len;
    }
  }
}

}  // namespace
}  // namespace lode
