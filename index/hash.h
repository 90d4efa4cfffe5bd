// A fast 64-bit hash of bytes whose value never changes between builds, machines or processes
// (unlike absl::Hash), because index files store filters built from it.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace lode::index {

inline uint64_t HashMix(uint64_t a, uint64_t b) {
  const __uint128_t r = static_cast<__uint128_t>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

inline uint64_t Hash64(std::string_view s) {
  const char* p = s.data();
  size_t n = s.size();
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xff51afd7ed558ccdull);
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = HashMix(h ^ w, 0xa0761d6478bd642full);
    p += 8;
    n -= 8;
  }
  uint64_t w = 0;
  std::memcpy(&w, p, n);  // little-endian, zero-padded
  h = HashMix(h ^ w ^ (static_cast<uint64_t>(n) << 59), 0xe7037ed1a0b428dbull);
  return HashMix(h, 0x8ebc6af09c88c6e3ull);
}

}  // namespace lode::index
