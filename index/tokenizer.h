// How text becomes index terms (docs/QUERY.md, "How text is indexed").
//
// A token is a maximal run of token bytes: ASCII letters and digits, '_', and every byte >= 0x80
// (so UTF-8 letters and digits stay inside their word). Tokens are ASCII case-folded. Tokens
// joined by exactly one joiner character ('.', '-', ':', '@') form a compound run, such as an
// IPv4 address, a host name, a dotted class name or a hyphenated id; every contiguous piece of
// 2 to kMaxCompoundParts tokens of a run (with its joiners) is a term too. So `10.0.0.1`,
// `com.example.Foo` and `needle-7f3a9c` are each one lookup, and a piece of a longer run
// (`10.0.0.1` inside `10.0.0.1.5`) is found as well, which keeps the index a superset of what
// a word query matches on token boundaries.
//
// Stateless; thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace lode::index {

inline constexpr std::array<bool, 256> kTokenByte = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c >= 0x80;
  }
  return t;
}();
inline bool IsTokenByte(char c) { return kTokenByte[static_cast<unsigned char>(c)]; }
inline bool IsJoiner(char c) { return c == '.' || c == '-' || c == ':' || c == '@'; }

// The longest compound piece that is indexed whole, in tokens. A longer query run is looked up
// as its overlapping pieces of this many tokens.
inline constexpr size_t kMaxCompoundParts = 4;
// Longer tokens are cut to this many bytes in the index (the query side cuts the same way, and
// the filter checks the whole token afterwards).
inline constexpr size_t kMaxTermBytes = 64;

inline char FoldAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
// Writes the folded bytes of `s` to `out` (s.size() bytes; may not overlap `s`).
inline void FoldAsciiInto(std::string_view s, char* out) {
  const char* in = s.data();
  for (size_t i = 0, n = s.size(); i < n; ++i) out[i] = FoldAscii(in[i]);
}
inline std::string FoldedCopy(std::string_view s) {
  std::string f(s);
  for (char& c : f) c = FoldAscii(c);
  return f;
}

// Calls `emit(std::string_view term)` for every token and compound piece of `text`, in order
// of appearance (a term may be emitted more than once). `folded` is working memory: the terms
// point into it and are valid until the next call with the same buffer.
template <typename Emit>
void TokenizeFolded(std::string_view t, Emit&& emit);

template <typename Emit>
void Tokenize(std::string_view text, std::string* folded, Emit&& emit) {
  folded->resize(text.size());
  char* f = folded->data();
  for (size_t i = 0; i < text.size(); ++i) f[i] = FoldAscii(text[i]);
  TokenizeFolded(std::string_view(f, text.size()), emit);
}

// Tokenize() of text that is already ASCII-folded; the terms point into `t`.
template <typename Emit>
void TokenizeFolded(std::string_view t, Emit&& emit) {
  // Token boundaries of the current compound run (begin/end offsets of its last parts).
  size_t starts[kMaxCompoundParts];
  size_t parts = 0;  // tokens in the current run so far
  size_t i = 0;
  const size_t n = t.size();
  while (i < n) {
    if (!IsTokenByte(t[i])) {
      ++i;
      continue;
    }
    const size_t b = i;
    while (i < n && IsTokenByte(t[i])) ++i;
    const size_t e = i;
    // Does this token continue the run? Only if exactly one joiner precedes it, and that joiner
    // follows the previous token directly.
    if (!(parts > 0 && b >= 2 && IsJoiner(t[b - 1]) && IsTokenByte(t[b - 2]))) parts = 0;
    starts[parts % kMaxCompoundParts] = b;
    ++parts;
    emit(t.substr(b, std::min(e - b, kMaxTermBytes)));
    // Pieces ending at this token: 2..kMaxCompoundParts tokens long.
    const size_t have = std::min(parts, kMaxCompoundParts);
    for (size_t k = 2; k <= have; ++k) {
      const size_t s = starts[(parts - k) % kMaxCompoundParts];
      if (e - s <= kMaxTermBytes) emit(t.substr(s, e - s));
    }
  }
}

}  // namespace lode::index
