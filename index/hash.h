// A fast 64-bit hash of bytes whose value never changes between builds, machines or processes
// (unlike absl::Hash), because index files store filters built from it.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include "common/coding.h"

namespace lode::index {

inline uint64_t HashMix(uint64_t a, uint64_t b) {
  const __uint128_t r = static_cast<__uint128_t>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

// The `n` (< 8) bytes that end at `end` as a little-endian word, zero-padded; `total` (>= n)
// bytes before `end` are readable. At most two loads: a byte-wise copy of the tail stalled the
// index build.
inline uint64_t HashTailWord(const char* end, size_t n, size_t total) {
  if (n == 0) return 0;
  if (total >= 8) return DecodeFixed64(end - 8) >> (8 * (8 - n));
  const char* p = end - n;
  if (n >= 4) {
    return DecodeFixed32(p) | (static_cast<uint64_t>(DecodeFixed32(end - 4)) << (8 * (n - 4)));
  }
  return static_cast<uint64_t>(static_cast<unsigned char>(p[0])) |
         static_cast<uint64_t>(static_cast<unsigned char>(p[n / 2])) << (8 * (n / 2)) |
         static_cast<uint64_t>(static_cast<unsigned char>(p[n - 1])) << (8 * (n - 1));
}

// 8 bytes at a time, then the remaining 0-7 bytes as one zero-padded little-endian word.
inline uint64_t Hash64(std::string_view s) {
  const char* p = s.data();
  size_t n = s.size();
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xff51afd7ed558ccdull);
  while (n >= 8) {
    h = HashMix(h ^ DecodeFixed64(p), 0xa0761d6478bd642full);
    p += 8;
    n -= 8;
  }
  const uint64_t w = HashTailWord(p + n, n, s.size());
  h = HashMix(h ^ w ^ (static_cast<uint64_t>(n) << 59), 0xe7037ed1a0b428dbull);
  return HashMix(h, 0x8ebc6af09c88c6e3ull);
}

}  // namespace lode::index
