#include "ingest/line_parser.h"

#include <gtest/gtest.h>

#include "common/time_util.h"
#include "tests/testing/record_util.h"

namespace lode::ingest {
namespace {

constexpr int64_t kNow = 4'000'000'000'000'000'000;  // 2096: "ingest time" in these tests
const int64_t kT = *ParseRfc3339("2026-11-27T10:00:00.123Z");

struct Parsed {
  RecordBatch batch;
  ParseStats stats;
  std::vector<std::string> rows;
};

Parsed ParseAll(std::string_view input, InputFormat format = InputFormat::kAuto) {
  LineParser p(format);
  Parsed out;
  p.Parse(input, 1, kNow, &out.batch);
  out.stats = p.stats();
  out.rows = lode::testing::AllRows(out.batch);
  return out;
}

std::string One(std::string_view line) {
  Parsed p = ParseAll(line);
  EXPECT_EQ(p.rows.size(), 1u) << line;
  EXPECT_TRUE(p.stats.errors.empty()) << (p.stats.errors.empty() ? "" : p.stats.errors[0].reason);
  return p.rows.empty() ? "" : p.rows[0];
}

std::string T(int64_t ns) { return std::to_string(ns); }

TEST(LineParser, TimestampKeysAndFormats) {
  const std::string t = T(kT);
  EXPECT_EQ(One(R"({"_time":"2026-11-27T10:00:00.123Z","_msg":"m"})"), t + "|m|");
  EXPECT_EQ(One(R"({"@timestamp":"2026-11-27T11:00:00.123+01:00","message":"m"})"), t + "|m|");
  EXPECT_EQ(One(R"({"timestamp":"2026-11-27T10:00:00.123000000Z","msg":"m"})"), t + "|m|");
  EXPECT_EQ(One(R"({"time":"2026-11-27 10:00:00.123","log":"m"})"), t + "|m|");
  EXPECT_EQ(One(R"({"ts":1795773600.123,"msg":"m"})"), t + "|m|");
  EXPECT_EQ(One(R"({"ts":1795773600123,"msg":"m"})"), t + "|m|");        // ms
  EXPECT_EQ(One(R"({"ts":1795773600123000,"msg":"m"})"), t + "|m|");     // us
  EXPECT_EQ(One(R"({"ts":1795773600123000000,"msg":"m"})"), t + "|m|");  // ns
  EXPECT_EQ(One(R"({"ts":"1795773600123","msg":"m"})"), t + "|m|");      // numeric string
  EXPECT_EQ(One(R"({"ts":"1795773600.123","msg":"m"})"), t + "|m|");
  EXPECT_EQ(One(R"({"ts":1.795773600123e9,"msg":"m"})"), t + "|m|");
  // Priority: _time beats timestamp even when it comes later; the loser stays a field.
  EXPECT_EQ(One(R"({"timestamp":"2020-01-01T00:00:00Z","_time":"2026-11-27T10:00:00.123Z"})"),
            t + "||timestamp:string=2020-01-01T00:00:00Z;");
}

TEST(LineParser, UnparseableOrMissingTimeUsesIngestTime) {
  EXPECT_EQ(One(R"({"msg":"no time"})"), T(kNow) + "|no time|");
  EXPECT_EQ(One(R"({"timestamp":"yesterday","msg":"m"})"),
            T(kNow) + "|m|timestamp:string=yesterday;");
  EXPECT_EQ(One(R"({"_time":"soon","msg":"m"})"), T(kNow) + "|m|_time_raw:string=soon;");
  EXPECT_EQ(One(R"({"ts":1e300,"msg":"m"})"), T(kNow) + "|m|ts:double=1.0000000000000001e+300;");
  // A non-scalar under a time key is an ordinary field.
  EXPECT_EQ(One(R"({"time":{"zone":"utc"},"msg":"m"})"), T(kNow) + "|m|time.zone:string=utc;");
}

TEST(LineParser, MessageKeys) {
  EXPECT_EQ(One(R"({"_time":0,"message":"a","msg":"b"})"), "0|a|msg:string=b;");
  EXPECT_EQ(One(R"({"_time":0,"log":"l","_msg":"m"})"), "0|m|log:string=l;");
  // ECS-style object under "log" is a field, not the message.
  EXPECT_EQ(One(R"({"_time":0,"log":{"level":"info"},"message":"m"})"),
            "0|m|log.level:string=info;");
  EXPECT_EQ(One(R"({"_time":0,"msg":42})"), "0||msg:int64=42;");
  EXPECT_EQ(One(R"({"_time":0})"), "0||");
}

TEST(LineParser, FieldTypesAndFlattening) {
  EXPECT_EQ(
      One(R"({"_time":0,"http":{"status":503,"latency_ms":12.5,"tls":true,"req":{"path":"/a"}},"tags":["x",1,{"y":null}],"gone":null,"empty":{},"big":18446744073709551615,"neg":-7,"esc":"a\"b\\c\u00e9\n"})"),
      "0||big:double=1.8446744073709552e+19;empty:string={};esc:string=a\"b\\c\xC3\xA9\n;"
      "http.latency_ms:double=12.5;http.req.path:string=/a;http.status:int64=503;"
      "http.tls:bool=true;neg:int64=-7;tags:string=[\"x\",1,{\"y\":null}];");
}

TEST(LineParser, MalformedLinesAreRejectedWithLineNumbersOthersStored) {
  const std::string input =
      "{\"_time\":1,\"msg\":\"ok1\"}\n"
      "{\"msg\": }\n"
      "not json but auto mode makes it text\n"
      "{\"msg\":\"unterminated}\n"
      "[1,2,3]\n"
      "{\"msg\":\"x\"} trailing\n"
      "{\"_time\":2,\"msg\":\"ok2\"}\n";
  Parsed p = ParseAll(input, InputFormat::kAuto);
  EXPECT_EQ(p.stats.lines, 7u);
  EXPECT_EQ(p.stats.accepted,
            4u);  // ok1, text line, [1,2,3] as text (does not start with '{'), ok2
  EXPECT_EQ(p.stats.rejected, 3u);
  ASSERT_EQ(p.stats.errors.size(), 3u);
  EXPECT_EQ(p.stats.errors[0].line, 2u);
  EXPECT_EQ(p.stats.errors[1].line, 4u);
  EXPECT_EQ(p.stats.errors[2].line, 6u);
  EXPECT_EQ(p.stats.errors[0].reason.rfind("invalid JSON at column 9", 0), 0u)
      << p.stats.errors[0].reason;
  EXPECT_EQ(
      p.stats.errors[1].reason.rfind("invalid JSON: unterminated string starting at column 8", 0),
      0u)
      << p.stats.errors[1].reason;
  EXPECT_EQ(p.stats.errors[2].reason.rfind(
                "invalid JSON: unexpected content after the object at column 13 (the line starts "
                "with '{', so it was read as JSON",
                0),
            0u)
      << p.stats.errors[2].reason;
  EXPECT_EQ(p.rows[0], "1000000000|ok1|");  // small epochs are seconds
  EXPECT_EQ(p.rows[3], "2000000000|ok2|");

  Parsed strict = ParseAll(input, InputFormat::kNdjson);
  EXPECT_EQ(strict.stats.accepted, 2u);
  EXPECT_EQ(strict.stats.rejected, 5u);
  EXPECT_EQ(strict.stats.errors[1].line, 3u);
  EXPECT_EQ(strict.stats.errors[3].reason, "not a JSON object");
}

TEST(LineParser, EmptyBlankCrlfAndNoFinalNewline) {
  EXPECT_EQ(ParseAll("").rows.size(), 0u);
  Parsed p = ParseAll("\n\n  \r\n\t\n");
  EXPECT_EQ(p.rows.size(), 0u);
  EXPECT_EQ(p.stats.lines, 0u);
  Parsed crlf = ParseAll("first line\r\n{\"_time\":5,\"msg\":\"j\"}\r\nlast, no newline");
  ASSERT_EQ(crlf.rows.size(), 3u);
  EXPECT_EQ(crlf.rows[0], T(kNow) + "|first line|");
  EXPECT_EQ(crlf.rows[1], "5000000000|j|");
  EXPECT_EQ(crlf.rows[2], T(kNow) + "|last, no newline|");
}

TEST(LineParser, LineNumbersContinueAcrossCalls) {
  LineParser p(InputFormat::kNdjson);
  RecordBatch b;
  uint64_t next = 1;
  next += p.Parse("{\"a\":1}\n{\"a\":2}\n", next, kNow, &b);
  next += p.Parse("{\"a\":3}\n{bad\n", next, kNow, &b);
  EXPECT_EQ(next, 5u);
  ASSERT_EQ(p.stats().errors.size(), 1u);
  EXPECT_EQ(p.stats().errors[0].line, 4u);
  EXPECT_EQ(b.num_rows(), 3u);
}

TEST(LineParser, OneMebibyteLines) {
  std::string big(1 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 100) big[i] = ' ';
  std::string input = "{\"_time\":7,\"msg\":\"" + big + "\",\"k\":\"v\"}\n" + big + "\n" +
                      "{\"_time\":8,\"msg\":\"after\"}";
  Parsed p = ParseAll(input);
  ASSERT_EQ(p.rows.size(), 3u);
  EXPECT_EQ(p.batch.message(0), big);
  EXPECT_EQ(p.batch.message(1), big);
  EXPECT_EQ(p.rows[2], "8000000000|after|");
}

TEST(LineParser, InvalidUtf8IsReplacedNotRejected) {
  const std::string rep = "\xEF\xBF\xBD";
  Parsed p =
      ParseAll(std::string("{\"_time\":1,\"msg\":\"bad \xFF byte\",\"k\xC3\":\"v\xE2\x82\"}\n") +
               "text \xC0\xAF here\n");
  ASSERT_EQ(p.rows.size(), 2u) << (p.stats.errors.empty() ? "" : p.stats.errors[0].reason);
  EXPECT_EQ(p.rows[0], "1000000000|bad " + rep + " byte|k" + rep + ":string=v" + rep + ";");
  EXPECT_EQ(p.rows[1], T(kNow) + "|text " + rep + " here|");
}

TEST(LineParser, ReservedNamesNeverShadowTimeAndMessage) {
  EXPECT_EQ(One(R"({"_msg":"real","_time":false})"), T(kNow) + "|real|_time_raw:bool=false;");
  EXPECT_EQ(One(R"({"_time":0,"msg":"m","_msg":5})"), "0|m|_msg_raw:int64=5;");
  EXPECT_EQ(One(R"({"_time":0,"_msg":["a"]})"), "0||_msg_raw:string=[\"a\"];");
  // A repeated message key: the last one wins, as for any other key.
  EXPECT_EQ(One(R"({"_time":0,"msg":"a","msg":"b"})"), "0|b|");
}

TEST(LineParser, NumbersBeyondInt64AndDoubleAreKept) {
  EXPECT_EQ(
      One(R"({"_time":0,"v":123456789012345678901234567890,"w":1e400,"x":-9223372036854775809})"),
      "0||v:double=1.2345678901234568e+29;w:string=1e400;x:double=-9.2233720368547758e+18;");
}

// Found by tests/fuzz/line_parser_fuzz: a line the JSON parser cannot even start on (NUL bytes,
// a quote character JSON does not know) is rejected, not a crash.
TEST(LineParser, UnstartableJsonIsRejected) {
  const std::string line("{'\0\"\xb5\0\0]\0\"\xb5\0\0]", 14);
  Parsed p = ParseAll(line);
  EXPECT_EQ(p.rows.size(), 0u);
  EXPECT_EQ(p.stats.rejected, 1u);
}

TEST(LineParser, InvalidNumbersAreRejected) {
  for (const char* line : {R"({"a":0x1F})", R"({"a":1.5.5})", R"({"a":-})", R"({"ts":0x10})"}) {
    Parsed p = ParseAll(line);
    EXPECT_EQ(p.rows.size(), 0u) << line;
    EXPECT_EQ(p.stats.rejected, 1u) << line;
  }
}

TEST(LineParser, OneTrailingNewlineOfTheMessageIsDropped) {
  EXPECT_EQ(One(R"({"log":"docker line\n","stream":"stdout","time":"2026-11-27T10:00:00.123Z"})"),
            T(kT) + "|docker line|stream:string=stdout;");
  EXPECT_EQ(One(R"({"_time":0,"msg":"two\n\n"})"), "0|two\n|");
  EXPECT_EQ(One(R"({"_time":0,"msg":"crlf\r\n"})"), "0|crlf|");
}

TEST(LineParser, TextFormatKeepsJsonLookingLinesVerbatim) {
  Parsed p = ParseAll("{\"msg\":\"x\"}\n", InputFormat::kText);
  ASSERT_EQ(p.rows.size(), 1u);
  EXPECT_EQ(p.rows[0], T(kNow) + "|{\"msg\":\"x\"}|");
}

TEST(LineParser, DeepNestingIsKeptAsJsonText) {
  std::string deep = "{\"_time\":0,\"a\":";
  for (int i = 0; i < 40; ++i) deep += "{\"b\":";
  deep += "1";
  for (int i = 0; i < 40; ++i) deep += "}";
  deep += "}";
  Parsed p = ParseAll(deep);
  ASSERT_EQ(p.rows.size(), 1u);
  EXPECT_NE(p.rows[0].find(":string={\"b\":"), std::string::npos) << p.rows[0];
}

TEST(LineParser, FormatNames) {
  EXPECT_EQ(*ParseInputFormat("auto"), InputFormat::kAuto);
  EXPECT_EQ(*ParseInputFormat("ndjson"), InputFormat::kNdjson);
  EXPECT_EQ(*ParseInputFormat("text"), InputFormat::kText);
  EXPECT_FALSE(ParseInputFormat("xml").ok());
}

}  // namespace
}  // namespace lode::ingest
