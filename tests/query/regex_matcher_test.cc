#include "query/internal/regex_matcher.h"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace lode::query::internal {
namespace {

std::unique_ptr<RegexMatcher> Compile(std::string_view pattern) {
  std::string error;
  auto m = RegexMatcher::Compile(pattern, &error);
  EXPECT_NE(m, nullptr) << error;
  return m;
}

// RE2's prefilter turns `took [0-9]ms` into the literals "took 0ms" ... "took 9ms". On a
// skeleton (numbers read "0") such a literal may be there when its runs of non-digits are.
TEST(RegexMatcher, LiteralsWithDigitsOnSkeletons) {
  auto m = Compile("took [0-9]ms");
  ASSERT_FALSE(m->atoms().empty());
  EXPECT_TRUE(m->MayMatch("request took 0ms", /*skeleton=*/true));
  EXPECT_TRUE(m->MayMatch("REQUEST TOOK 0MS", true));  // the prefilter folds ASCII case
  // "ms" is nowhere: no value of this template can match, whatever its numbers.
  EXPECT_FALSE(m->MayMatch("request took 0 retries", true));
  EXPECT_FALSE(m->MayMatch("nothing to see", true));
  // With the digits known, the literal itself must be there.
  EXPECT_TRUE(m->MayMatch("request took 7ms"));
  EXPECT_FALSE(m->MayMatch("request took 17 ms"));
  EXPECT_TRUE(m->PartialMatch("request took 7ms"));
  EXPECT_FALSE(m->PartialMatch("request took 77ms"));
}

// What of a literal a skeleton must hold: not its digits, nor its runs of hex digits that may
// lie in a hex id (one with a digit, or one that reaches an end of the literal).
TEST(RegexMatcher, SkeletonPieces) {
  using V = std::vector<std::string>;
  EXPECT_EQ(SkeletonPieces("timeout after 30ms"), V({"timeout after ", "ms"}));
  EXPECT_EQ(SkeletonPieces("3fa9c0 done"), V({" done"}));
  EXPECT_EQ(SkeletonPieces("span 5a90c78e closed"), V({"span ", " closed"}));
  EXPECT_EQ(SkeletonPieces("cafe"), V());                    // may be inside "cafe12ab34"
  EXPECT_EQ(SkeletonPieces("bad cafe bed"), V({" cafe "}));  // "cafe" whole, without a digit
  EXPECT_EQ(SkeletonPieces("session-abc"), V({"session-"}));
  EXPECT_EQ(SkeletonPieces("v1.2"), V({"v", "."}));
  EXPECT_EQ(SkeletonPieces("user u-"), V({"user u-"}));
  // On a skeleton where the hex id reads "0": the literal may be in the value.
  auto m = Compile("session [0-9a-f]+ refreshed");
  EXPECT_TRUE(m->MayMatch("session 0 refreshed", /*skeleton=*/true));
  EXPECT_FALSE(m->MayMatch("span 0 closed", true));
  EXPECT_TRUE(Compile("ea1 refreshed")->MayMatch("session 0 refreshed", true));
  EXPECT_FALSE(Compile("ea1 refreshed")->MayMatch("session 0 refreshed"));
}

// The prefilter's AND/OR of literals, tabulated for few atoms, agrees with RE2 on texts that
// match: a text the regex matches is never ruled out.
TEST(RegexMatcher, PrefilterNeverRulesOutAMatch) {
  const char* patterns[] = {"status 5[0-9][0-9] in", "(timeout|refused) after \\d+",
                            "(?i)conn(ection)? reset", "a.*b.*c", "user u-0+42\\b"};
  const char* texts[] = {"GET status 503 in 3ms",
                         "call timeout after 30s",
                         "connection refused",
                         "CONN RESET by peer",
                         "abc",
                         "user u-00042 in",
                         "xyz",
                         ""};
  for (const char* p : patterns) {
    auto m = Compile(p);
    for (const char* t : texts) {
      if (m->PartialMatch(t)) {
        EXPECT_TRUE(m->MayMatch(t)) << p << " / " << t;
        EXPECT_TRUE(m->MayMatch(t, true)) << p << " / " << t;
      }
    }
  }
  EXPECT_TRUE(Compile("status 5[0-9][0-9] in")->PartialMatch("GET status 503 in 3ms"));
  EXPECT_TRUE(Compile("(?i)conn(ection)? reset")->PartialMatch("CONN RESET by peer"));
}

}  // namespace
}  // namespace lode::query::internal
