// Regular expressions of `~"..."` and `field:~"..."` (docs/QUERY.md, "Regular expressions"):
// RE2 behind a small interface, so that only one file of lode::query includes RE2.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace re2 {
class RE2;
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

  // True when the pattern matches somewhere in `value`.
  bool PartialMatch(std::string_view value) const;

 private:
  explicit RegexMatcher(std::unique_ptr<re2::RE2> re);

  std::unique_ptr<re2::RE2> re_;
};

}  // namespace lode::query::internal
