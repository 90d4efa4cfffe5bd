// The index builder's helpers: TermMap finds what was inserted (across growth and many
// Clear()s), keeps insertion order; Hash64 keeps the values the index files were written with;
// SameBytes equals ==.
#include "index/internal/term_map.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

#include "common/strings.h"
#include "index/hash.h"
#include "index/internal/term_hash.h"

namespace lode::index::internal {
namespace {

TEST(TermMapTest, InsertFindsAndKeepsOrder) {
  TermMap<int> m;
  std::vector<std::string> keys;
  for (int i = 0; i < 5000; ++i) keys.push_back(StrCat("key", i * 7919 % 5000));
  for (size_t i = 0; i < keys.size(); ++i) {
    auto [e, inserted] = m.Insert(keys[i], Hash64(keys[i]));
    ASSERT_TRUE(inserted) << keys[i];
    e->value = static_cast<int>(i);
  }
  EXPECT_EQ(m.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    auto [e, inserted] = m.Insert(keys[i], Hash64(keys[i]));
    EXPECT_FALSE(inserted);
    EXPECT_EQ(e->value, static_cast<int>(i));
    EXPECT_EQ(m.entries()[i].key, keys[i]);
  }
}

TEST(TermMapTest, EqualHashesAreToldApartByBytes) {
  TermMap<int> m;
  EXPECT_TRUE(m.Insert("a", 42).second);
  EXPECT_TRUE(m.Insert("b", 42).second);
  EXPECT_FALSE(m.Insert("a", 42).second);
  EXPECT_FALSE(m.Insert("b", 42).second);
  EXPECT_EQ(m.size(), 2u);
}

TEST(TermMapTest, ClearForgetsEverythingManyTimes) {
  TermMap<int> m;
  // More Clear()s than the epoch counter holds, with a table grown in between.
  for (int round = 0; round < 700; ++round) {
    const int n = round % 50 == 0 ? 3000 : 20;
    std::vector<std::string> keys;  // the map holds views: the bytes live here
    for (int i = 0; i < n; ++i) keys.push_back(StrCat("r", round % 3, "k", i));
    for (int i = 0; i < n; ++i) {
      auto [e, inserted] = m.Insert(keys[i], Hash64(keys[i]));
      ASSERT_TRUE(inserted) << round << " " << keys[i];
      e->value = i;
    }
    for (int i = 0; i < n; ++i) {
      auto [e, inserted] = m.Insert(keys[i], Hash64(keys[i]));
      ASSERT_FALSE(inserted);
      ASSERT_EQ(e->value, i);
    }
    ASSERT_EQ(m.size(), static_cast<size_t>(n));
    m.Clear();
    ASSERT_EQ(m.size(), 0u);
  }
}

// Hash64 as first written (the tail copied byte-wise into a zeroed word): index files store
// Bloom filters of these values, so Hash64 must give them forever.
uint64_t ReferenceHash64(std::string_view s) {
  const char* p = s.data();
  size_t n = s.size();
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xff51afd7ed558ccdull);
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w = 0;
    for (int k = 7; k >= 0; --k) w = (w << 8) | static_cast<unsigned char>(p[k]);
    h = HashMix(h ^ w, 0xa0761d6478bd642full);
  }
  uint64_t w = 0;
  for (size_t k = n; k-- > 0;) w = (w << 8) | static_cast<unsigned char>(p[k]);
  h = HashMix(h ^ w ^ (static_cast<uint64_t>(n) << 59), 0xe7037ed1a0b428dbull);
  return HashMix(h, 0x8ebc6af09c88c6e3ull);
}

TEST(TermHashTest, Hash64KeepsItsValues) {
  std::mt19937_64 rng(7);
  std::string buf;
  for (size_t len = 0; len <= 80; ++len) {
    for (int trial = 0; trial < 50; ++trial) {
      buf.resize(len + 16);
      for (char& c : buf) c = static_cast<char>(rng());
      // At several offsets into the buffer: the word reads must stay inside the term.
      for (size_t at : {size_t{0}, size_t{7}, size_t{16}}) {
        const std::string_view s(buf.data() + at, len);
        ASSERT_EQ(Hash64(s), ReferenceHash64(s)) << "len " << len << " at " << at;
      }
    }
  }
  EXPECT_EQ(Hash64(""), ReferenceHash64(""));
  EXPECT_EQ(Hash64("needle-7f3a9c"), 0xef4fec2c130abc06ull) << std::hex << Hash64("needle-7f3a9c");
}

TEST(TermHashTest, SameBytesEqualsOperator) {
  std::mt19937_64 rng(11);
  for (size_t len = 0; len <= 40; ++len) {
    std::string a(len, 'x');
    for (char& c : a) c = static_cast<char>('a' + rng() % 3);
    EXPECT_TRUE(SameBytes(a, std::string(a)));
    for (size_t i = 0; i < len; ++i) {
      std::string b = a;
      b[i] = static_cast<char>(b[i] ^ 0x40);
      EXPECT_FALSE(SameBytes(a, b)) << len << " " << i;
    }
    EXPECT_FALSE(SameBytes(a, a + "a"));
  }
}

}  // namespace
}  // namespace lode::index::internal
