// Helpers for the index builder's per-term loop: Hash64 (index/hash.h) with a faster read of
// the last bytes, and an equality test for short byte strings. Hash64's own tail read copies
// 0-7 bytes into a zeroed word through memory, which stalls when hashing millions of short
// tokens; here the same little-endian, zero-padded word is assembled from at most two loads.
// TermHash64(s) == Hash64(s) for every s (tests/index/term_map_test.cc checks it).
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include "common/coding.h"
#include "index/hash.h"

namespace lode::index::internal {

// Unaligned little-endian loads (the machine's order; DecodeFixed* of common/coding.h).
inline uint64_t Load64(const char* p) { return DecodeFixed64(p); }
inline uint64_t Load32(const char* p) { return DecodeFixed32(p); }

// The `n` (< 8) bytes that end at `end` as a little-endian word, zero-padded; `total` (>= n)
// bytes before `end` are readable.
inline uint64_t TailWord(const char* end, size_t n, size_t total) {
  if (n == 0) return 0;
  if (total >= 8) return Load64(end - 8) >> (8 * (8 - n));
  const char* p = end - n;
  if (n >= 4) return Load32(p) | (Load32(end - 4) << (8 * (n - 4)));
  return static_cast<uint64_t>(static_cast<unsigned char>(p[0])) |
         static_cast<uint64_t>(static_cast<unsigned char>(p[n / 2])) << (8 * (n / 2)) |
         static_cast<uint64_t>(static_cast<unsigned char>(p[n - 1])) << (8 * (n - 1));
}

inline uint64_t TermHash64(std::string_view s) {
  const char* p = s.data();
  size_t n = s.size();
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xff51afd7ed558ccdull);
  while (n >= 8) {
    h = HashMix(h ^ Load64(p), 0xa0761d6478bd642full);
    p += 8;
    n -= 8;
  }
  const uint64_t w = TailWord(p + n, n, s.size());
  h = HashMix(h ^ w ^ (static_cast<uint64_t>(n) << 59), 0xe7037ed1a0b428dbull);
  return HashMix(h, 0x8ebc6af09c88c6e3ull);
}

// a == b, without a call for the short strings that most terms are.
inline bool SameBytes(std::string_view a, std::string_view b) {
  const size_t n = a.size();
  if (n != b.size()) return false;
  const char* x = a.data();
  const char* y = b.data();
  if (n >= 8) {
    if (n > 16) return std::memcmp(x, y, n) == 0;
    return ((Load64(x) ^ Load64(y)) | (Load64(x + n - 8) ^ Load64(y + n - 8))) == 0;
  }
  if (n >= 4) return ((Load32(x) ^ Load32(y)) | (Load32(x + n - 4) ^ Load32(y + n - 4))) == 0;
  for (size_t i = 0; i < n; ++i) {
    if (x[i] != y[i]) return false;
  }
  return true;
}

}  // namespace lode::index::internal
