#include "query/internal/text_search.h"

#include <algorithm>

#include <string.h>  // memmem (GNU)

namespace lode::query::internal {

void FoldAsciiCase(std::string_view in, std::string* out) {
  out->resize(in.size());
  const auto* src = reinterpret_cast<const unsigned char*>(in.data());
  auto* dst = reinterpret_cast<unsigned char*>(out->data());
  // Branch-free so the compiler vectorizes it.
  for (size_t i = 0; i < in.size(); ++i) {
    const unsigned char c = src[i];
    dst[i] = static_cast<unsigned char>(c + (static_cast<unsigned char>(c - 'A') < 26 ? 32 : 0));
  }
}

TokenMatcher::TokenMatcher(std::string_view needle, bool prefix) {
  FoldAsciiCase(needle, &needle_);
  if (!needle_.empty()) {
    check_start_ = IsTokenByte(needle_.front());
    check_end_ = !prefix && IsTokenByte(needle_.back());
  }
}

// `off` is where the needle was found in `value` (which is the whole stored value).
bool TokenMatcher::BoundaryOk(std::string_view value, size_t off) const {
  if (check_start_ && off > 0 && IsTokenByte(value[off - 1])) return false;
  const size_t end = off + needle_.size();
  if (check_end_ && end < value.size() && IsTokenByte(value[end])) return false;
  return true;
}

bool TokenMatcher::MatchFolded(std::string_view folded) const {
  const size_t n = needle_.size();
  size_t pos = 0;
  while (pos + n <= folded.size()) {
    const void* hit = memmem(folded.data() + pos, folded.size() - pos, needle_.data(), n);
    if (hit == nullptr) return false;
    const size_t off = static_cast<const char*>(hit) - folded.data();
    if (BoundaryOk(folded, off)) return true;
    pos = off + 1;
  }
  return false;
}

void TokenMatcher::SearchAll(std::string_view folded, const std::vector<uint64_t>& ends,
                             const uint32_t* rows, const Selection& in, Selection* out) const {
  const size_t n = needle_.size();
  const char* base = folded.data();
  const size_t total = folded.size();
  size_t pos = 0;
  size_t v = 0;  // the value holding `pos`, or before it
  while (pos + n <= total) {
    const void* hit = memmem(base + pos, total - pos, needle_.data(), n);
    if (hit == nullptr) return;
    const size_t off = static_cast<const char*>(hit) - base;
    v = static_cast<size_t>(std::upper_bound(ends.begin() + v, ends.end(), off) - ends.begin());
    const size_t vbegin = v == 0 ? 0 : ends[v - 1];
    const size_t vend = ends[v];
    const size_t row = rows == nullptr ? v : rows[v];
    // A hit that runs past its value, or in a row that needs no more checking, ends the
    // search in this value.
    if (off + n > vend || !in.Test(row) || out->Test(row)) {
      pos = vend;
      continue;
    }
    if (BoundaryOk(std::string_view(base + vbegin, vend - vbegin), off - vbegin)) {
      out->Set(row);
      pos = vend;
    } else {
      pos = off + 1;
    }
  }
}

}  // namespace lode::query::internal
