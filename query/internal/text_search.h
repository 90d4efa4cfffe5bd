// Word and phrase search: ASCII case folding and substring search that only accepts matches
// starting and ending at token boundaries (docs/QUERY.md, "Words and phrases").
//
// Token bytes are ASCII letters and digits, '_' and every byte >= 0x80 (so UTF-8 letters stay
// inside their word); everything else separates tokens. A needle must sit on a boundary at an
// end only where its own byte at that end is a token byte: `refused` does not match
// "refusedX", `10.0.0.1` does not match "110.0.0.12", and `.1` matches "x.1" and "0.1".
// A prefix (`refus*`) checks only its start: it matches "refusedX" but not "unrefused".
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "index/tokenizer.h"
#include "query/selection.h"

namespace lode::query::internal {

// One definition of token bytes for search and index (index/tokenizer.h): the index is built on
// the same boundaries the search checks.
using index::IsTokenByte;
using index::kTokenByte;

// Writes `in` with ASCII 'A'-'Z' mapped to 'a'-'z' into `out` (resized to in.size()).
void FoldAsciiCase(std::string_view in, std::string* out);

// A compiled word, phrase or prefix. Immutable after construction; thread-safe.
class TokenMatcher {
 public:
  // With `prefix` (the `connect*` form) the needle must start on a token boundary but may end
  // inside a token; otherwise both ends follow the boundary rule.
  explicit TokenMatcher(std::string_view needle, bool prefix = false);

  const std::string& folded_needle() const { return needle_; }

  // True when the needle occurs in `folded` (an ASCII-folded value) at token boundaries.
  bool MatchFolded(std::string_view folded) const;

  // Searches every value of a string column at once. `folded` is the ASCII-folded copy of the
  // column's concatenated bytes, `ends[i]` the end offset of value i, and `rows[i]` the batch row
  // of value i (nullptr: value i is row i, as for the message column). Sets in `out` each row
  // that is in `in`, not yet in `out`, and whose value matches. Scans the whole buffer with one
  // memmem per candidate, so it pays when `in` holds a good part of the rows.
  void SearchAll(std::string_view folded, const std::vector<uint64_t>& ends, const uint32_t* rows,
                 const Selection& in, Selection* out) const;

 private:
  bool BoundaryOk(std::string_view value, size_t off) const;

  std::string needle_;
  bool check_start_ = false;
  bool check_end_ = false;
};

}  // namespace lode::query::internal
