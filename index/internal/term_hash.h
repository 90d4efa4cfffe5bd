// Helpers for the index builder's per-term loop (terms are hashed with index/hash.h's Hash64):
// an equality test for short byte strings that makes no call.
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
