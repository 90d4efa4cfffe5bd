// Regular expressions of `~"..."` and `field:~"..."` (docs/QUERY.md, "Regular expressions"):
// RE2 behind a small interface, so that only one file of lode::query includes RE2.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace re2 {
class RE2;
class FilteredRE2;
}  // namespace re2

namespace lode::query::internal {

// A compiled RE2 pattern: case-sensitive, UTF-8, unanchored. Immutable after Compile() and
// safe to match from several threads at once.
class RegexMatcher {
 public:
  // Compiles `pattern`. Returns null and sets `*error` to RE2's message (e.g. "missing ): (a")
  // when the pattern is invalid or too large.
  static std::unique_ptr<RegexMatcher> Compile(std::string_view pattern, std::string* error);

  ~RegexMatcher();
  RegexMatcher(const RegexMatcher&) = delete;
  RegexMatcher& operator=(const RegexMatcher&) = delete;

  // True when the pattern matches somewhere in `value`. Values that lack the pattern's required
  // literals (RE2's prefilter) are answered without running the regex.
  bool PartialMatch(std::string_view value) const;

 private:
  explicit RegexMatcher(std::unique_ptr<re2::RE2> re);

  std::unique_ptr<re2::RE2> re_;
  // The prefilter: RE2's required literals (lower case) and their AND/OR structure. Null when
  // the pattern has none. A literal that ASCII folding cannot check (non-ASCII bytes; `k` and
  // `s`, which (?i) also matches to U+212A and U+017F) counts as present.
  std::unique_ptr<re2::FilteredRE2> prefilter_;
  std::vector<std::string> atoms_;
  std::vector<bool> checkable_;
};

}  // namespace lode::query::internal
