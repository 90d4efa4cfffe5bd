#include <map>
#include <string>

#include <gtest/gtest.h>

#include "common/url.h"
#include "ingest/internal/json_util.h"

namespace lode::ingest::internal {
namespace {

TEST(HttpUrlTest, PercentDecode) {
  std::string out;
  EXPECT_TRUE(PercentDecode("a%20b+c%2Bd%2f", false, &out));
  EXPECT_EQ(out, "a b+c+d/");
  EXPECT_TRUE(PercentDecode("a%20b+c", true, &out));
  EXPECT_EQ(out, "a b c");
  EXPECT_TRUE(PercentDecode("", true, &out));
  EXPECT_EQ(out, "");
  EXPECT_TRUE(PercentDecode("%00%ff", false, &out));
  EXPECT_EQ(out, std::string("\0\xff", 2));
  EXPECT_FALSE(PercentDecode("100%", true, &out));
  EXPECT_FALSE(PercentDecode("%2", true, &out));
  EXPECT_FALSE(PercentDecode("%zz", true, &out));
  EXPECT_FALSE(PercentDecode("%%41", true, &out));
}

TEST(HttpUrlTest, ParseQueryString) {
  std::map<std::string, std::string> p;
  EXPECT_TRUE(ParseQueryString("q=_msg%3A%22a+b%22&&limit=5&x&=v&limit=9&e=", &p));
  EXPECT_EQ(p, (std::map<std::string, std::string>{
                   {"q", "_msg:\"a b\""}, {"limit", "5"}, {"x", ""}, {"", "v"}, {"e", ""}}));
  p.clear();
  EXPECT_TRUE(ParseQueryString("", &p));
  EXPECT_TRUE(p.empty());
  EXPECT_FALSE(ParseQueryString("a=%G0", &p));
}

TEST(HttpJsonTest, StringsAreEscapedAndValidUtf8) {
  std::string out;
  AppendJsonString("a\"b\\c\n\t\x01\x1f/\xC3\xA9", &out);
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\t\\u0001\\u001f/\xC3\xA9\"");
  out.clear();
  AppendJsonString("bad\xFFutf8", &out);
  EXPECT_EQ(out, "\"bad\xEF\xBF\xBDutf8\"");
  EXPECT_EQ(JsonError("no \"x\""), R"({"error":"no \"x\""})");
}

}  // namespace
}  // namespace lode::ingest::internal
