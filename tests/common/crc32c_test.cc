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

}  // namespace
}  // namespace lode
