#include "common/utf8.h"

#include <gtest/gtest.h>

namespace lode {
namespace {

TEST(Utf8, ValidInputsStayAsTheyAre) {
  for (std::string s : {"", "plain", "caf\xC3\xA9", "\xE2\x82\xAC 5", "\xF0\x9F\x98\x80 emoji",
                        "\xE6\x97\xA5\xE6\x9C\xAC"}) {
    EXPECT_TRUE(IsValidUtf8(s)) << s;
    EXPECT_EQ(SanitizeUtf8(s), s);
  }
}

TEST(Utf8, InvalidSequencesAreReplaced) {
  const std::string kRep = "\xEF\xBF\xBD";
  struct Case {
    std::string in, out;
  } cases[] = {
      {"a\xFF"
       "b",
       "a" + kRep + "b"},
      {"\xC3", kRep},                                // truncated 2-byte sequence
      {"x\xC0\xAF", "x" + kRep},                     // overlong '/'
      {"\xED\xA0\x80", kRep},                        // UTF-16 surrogate
      {"\xF4\x90\x80\x80", kRep},                    // above U+10FFFF
      {"ok\x80\x80\x80 end", "ok" + kRep + " end"},  // a run of bad bytes becomes one U+FFFD
      {"\xE2\x82", kRep},                            // truncated 3-byte sequence at the end
  };
  for (const Case& c : cases) {
    EXPECT_FALSE(IsValidUtf8(c.in));
    std::string got = SanitizeUtf8(c.in);
    EXPECT_EQ(got, c.out);
    EXPECT_TRUE(IsValidUtf8(got));
  }
}

}  // namespace
}  // namespace lode
