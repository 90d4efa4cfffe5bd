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

// The parts of a (lower-case) regex literal that a message skeleton holds whenever the value
// does: the literal without its digits and without its runs of letters and digits that may lie
// in a hex id (runs of 0-9a-f alone that have a digit or reach an end of the literal, where the
// token may go on). In a skeleton every number and hex id reads "0", and those are all a
// skeleton changes. "timeout after 30ms" gives "timeout after " and "ms"; "3fa9c0 done" gives
// " done"; "cafe" gives nothing (any text may hold it).
std::vector<std::string> SkeletonPieces(std::string_view atom);

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

  // The prefilter: RE2's required literals ("atoms", lower case), empty when the pattern has
  // none (then every text may match).
  const std::vector<std::string>& atoms() const { return atoms_; }
  // Whether the pattern turns on case-insensitive matching somewhere (`(?i)`, `(?si:...)`).
  // Then RE2 also matches `k` to U+212A and `s` to U+017F, which ASCII folding cannot see.
  bool folds_case() const { return folds_case_; }
  // Whether a text holding the atoms listed in `present` (indexes into atoms()) may match.
  bool MayMatchGivenAtoms(const std::vector<int>& present) const;
  // Whether a text may match, judged by the atoms alone. With `skeleton` the text is a message
  // skeleton (storage/internal/template_codec.h), where every number and hex id reads "0": an
  // atom then counts as present when each of its SkeletonPieces() is in the text.
  bool MayMatch(std::string_view text, bool skeleton = false) const;

 private:
  explicit RegexMatcher(std::unique_ptr<re2::RE2> re);

  std::unique_ptr<re2::RE2> re_;
  std::unique_ptr<re2::FilteredRE2> prefilter_;  // null when there are no atoms
  std::vector<std::string> atoms_;
  // Per atom: found or not by a search in the ASCII-folded text (no non-ASCII byte, no `k` or
  // `s` under folds_case), and whether a skeleton may hold less of it than the value.
  std::vector<bool> checkable_;
  std::vector<bool> cut_;
  // Per atom: its SkeletonPieces().
  std::vector<std::vector<std::string>> skeleton_pieces_;
  // With few atoms, MayMatchGivenAtoms's answer for every set of present atoms (bit a = atom
  // a), so that judging a text allocates nothing (FilteredRE2 does); empty otherwise.
  std::vector<bool> given_atoms_;
  bool folds_case_ = false;
};

}  // namespace lode::query::internal
