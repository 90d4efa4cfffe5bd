#include "common/utf8.h"

#include <cstdint>

namespace lode {
namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 when it is invalid (overlongs, surrogates and
// code points above U+10FFFF are invalid).
size_t ValidSeqLen(std::string_view s, size_t i) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  unsigned char c = p[i];
  if (c < 0x80) return 1;
  auto cont = [&](size_t k) { return i + k < n && (p[i + k] & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    unsigned char c1 = p[i + 1];
    if (c == 0xE0 && c1 < 0xA0) return 0;  // overlong
    if (c == 0xED && c1 > 0x9F) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    unsigned char c1 = p[i + 1];
    if (c == 0xF0 && c1 < 0x90) return 0;
    if (c == 0xF4 && c1 > 0x8F) return 0;
    return 4;
  }
  return 0;
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    size_t len = ValidSeqLen(s, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

void AppendSanitizedUtf8(std::string_view s, std::string* out) {
  size_t i = 0;
  size_t run = 0;  // start of the current valid run
  bool in_bad = false;
  while (i < s.size()) {
    size_t len = static_cast<unsigned char>(s[i]) < 0x80 ? 1 : ValidSeqLen(s, i);
    if (len == 0) {
      if (!in_bad) {
        out->append(s.data() + run, i - run);
        out->append("\xEF\xBF\xBD");
        in_bad = true;
      }
      ++i;
      run = i;
    } else {
      in_bad = false;
      i += len;
    }
  }
  out->append(s.data() + run, s.size() - run);
}

std::string SanitizeUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  AppendSanitizedUtf8(s, &out);
  return out;
}

}  // namespace lode
