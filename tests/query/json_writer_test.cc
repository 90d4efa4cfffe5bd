#include "common/json_writer.h"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>

#include "gtest/gtest.h"

#include "query/result_formatter.h"

namespace lode::query {
namespace {

std::string Str(std::string_view s) {
  std::string out;
  AppendJsonString(s, &out);
  return out;
}

std::string Dbl(double d) {
  std::string out;
  AppendJsonDouble(d, &out);
  return out;
}

TEST(JsonWriterTest, StringEscapes) {
  EXPECT_EQ(Str(""), R"("")");
  EXPECT_EQ(Str("plain text"), R"("plain text")");
  EXPECT_EQ(Str("a\"b"), R"("a\"b")");
  EXPECT_EQ(Str("a\\b"), R"("a\\b")");
  EXPECT_EQ(Str("\n\r\t\b\f"), R"("\n\r\t\b\f")");
  EXPECT_EQ(Str(std::string("\0x", 2)), R"("\u0000x")");
  EXPECT_EQ(Str("\x1b[0m"), R"("\u001b[0m")");
  EXPECT_EQ(Str("\x1f"), R"("\u001f")");
  // DEL and non-ASCII UTF-8 (including U+2028) are valid JSON as they are.
  EXPECT_EQ(Str("\x7f"), "\"\x7f\"");
  EXPECT_EQ(Str("caf\xC3\xA9 \xE2\x80\xA8 \xF0\x9F\x98\x80"),
            "\"caf\xC3\xA9 \xE2\x80\xA8 \xF0\x9F\x98\x80\"");
  EXPECT_EQ(Str("/"), R"("/")");
}

TEST(JsonWriterTest, EveryControlCharacterIsEscaped) {
  for (int c = 0; c < 0x20; ++c) {
    std::string s = Str(std::string(1, static_cast<char>(c)));
    char want[16];
    std::snprintf(want, sizeof(want), "\"\\u%04x\"", c);
    const char* short_form = c == '\n'   ? "\"\\n\""
                             : c == '\r' ? "\"\\r\""
                             : c == '\t' ? "\"\\t\""
                             : c == '\b' ? "\"\\b\""
                             : c == '\f' ? "\"\\f\""
                                         : want;
    EXPECT_EQ(s, short_form) << c;
  }
}

TEST(JsonWriterTest, Doubles) {
  EXPECT_EQ(Dbl(0.1), "0.1");
  EXPECT_EQ(Dbl(1.5), "1.5");
  EXPECT_EQ(Dbl(3.0), "3.0");
  EXPECT_EQ(Dbl(-0.0), "-0.0");
  EXPECT_EQ(Dbl(0.0), "0.0");
  EXPECT_EQ(Dbl(1e21), "1e+21");
  EXPECT_EQ(Dbl(1e-7), "1e-07");
  EXPECT_EQ(Dbl(123456789012.0), "123456789012.0");
  EXPECT_EQ(Dbl(std::numeric_limits<double>::quiet_NaN()), "null");
  EXPECT_EQ(Dbl(std::numeric_limits<double>::infinity()), "null");
  EXPECT_EQ(Dbl(-std::numeric_limits<double>::infinity()), "null");
  EXPECT_EQ(Dbl(std::numeric_limits<double>::denorm_min()), "5e-324");
  EXPECT_EQ(Dbl(std::numeric_limits<double>::max()), "1.7976931348623157e+308");
}

TEST(JsonWriterTest, DoublesRoundTrip) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) {
    uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof(d));
    if (!std::isfinite(d)) continue;
    std::string s = Dbl(d);
    ASSERT_EQ(std::strtod(s.c_str(), nullptr), d) << s;
    ASSERT_NE(s.find_first_of(".e"), std::string::npos) << s;
  }
}

TEST(JsonWriterTest, Ints) {
  std::string out;
  AppendJsonInt(std::numeric_limits<int64_t>::min(), &out);
  out.push_back(' ');
  AppendJsonInt(0, &out);
  out.push_back(' ');
  AppendJsonInt(std::numeric_limits<int64_t>::max(), &out);
  EXPECT_EQ(out, "-9223372036854775808 0 9223372036854775807");
}

TEST(ResultFormatterTest, NdjsonRowWithSparseFields) {
  RecordBatch b;
  b.BeginRow();
  b.AddString("s", "x\ty");
  b.AddInt("i", -3);
  b.EndRow(1'000'000'001, "first");
  b.BeginRow();
  b.AddDouble("d", std::nan(""));
  b.AddBool("ok", false);
  b.EndRow(-1, "before \"1970\"");
  b.BeginRow();
  b.EndRow(0, "");
  ResultFormatter f(OutputFormat::kNdjson);
  f.SetBatch(&b);
  std::string out;
  for (uint32_t r = 0; r < b.num_rows(); ++r) f.AppendRow(r, &out);
  EXPECT_EQ(out,
            "{\"_time\":\"1970-01-01T00:00:01.000000001Z\",\"_msg\":\"first\",\"s\":\"x\\ty\","
            "\"i\":-3}\n"
            "{\"_time\":\"1969-12-31T23:59:59.999999999Z\",\"_msg\":\"before \\\"1970\\\"\","
            "\"d\":null,\"ok\":false}\n"
            "{\"_time\":\"1970-01-01T00:00:00.000000000Z\",\"_msg\":\"\"}\n");
}

TEST(ResultFormatterTest, TableEscapesTerminalControls) {
  RecordBatch b;
  b.BeginRow();
  b.AddString("k", "");
  b.AddString("q", "say \"hi\"");
  b.AddString("c1",
              "\xC2\x9B"
              "31m");  // U+009B, the 8-bit CSI
  b.EndRow(1'500'000'000, "line1\nline2\x1b[2J\x7f");
  ResultFormatter f(OutputFormat::kTable);
  f.SetBatch(&b);
  std::string out;
  f.AppendRow(0, &out);
  EXPECT_EQ(out,
            "1970-01-01T00:00:01.500Z  line1\\nline2\\x1b[2J\\x7f  k=\"\" q=\"say \\\"hi\\\"\" "
            "c1=\\u009b31m\n");
}

TEST(OutputFormatTest, Parse) {
  EXPECT_EQ(*ParseOutputFormat("ndjson"), OutputFormat::kNdjson);
  EXPECT_EQ(*ParseOutputFormat("json"), OutputFormat::kNdjson);
  EXPECT_EQ(*ParseOutputFormat("table"), OutputFormat::kTable);
  EXPECT_FALSE(ParseOutputFormat("csv").ok());
}

}  // namespace
}  // namespace lode::query
