#include "query/internal/regex_matcher.h"

#include <memory>
#include <string>

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
  EXPECT_TRUE(m->MayMatch("request took 0ms", /*digits_unknown=*/true));
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
