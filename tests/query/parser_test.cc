#include "query/parser.h"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "gtest/gtest.h"

#include "common/time_util.h"

namespace lode::query {
namespace {

std::string Ast(std::string_view text) {
  absl::StatusOr<Query> q = ParseQuery(text);
  if (!q.ok()) return std::string("ERROR ") + std::string(q.status().message());
  return DebugString(*q->filter);
}

QueryError Err(std::string_view text) {
  QueryError e;
  absl::StatusOr<Query> q = ParseQuery(text, &e);
  EXPECT_FALSE(q.ok()) << text;
  if (!q.ok()) {
    EXPECT_EQ(q.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(q.status().message()), e.ToString());
  }
  return e;
}

TEST(ParserTest, EmptyAndStarMatchAll) {
  EXPECT_EQ(Ast(""), "all");
  EXPECT_EQ(Ast("   \t\n"), "all");
  EXPECT_EQ(Ast("*"), "all");
}

TEST(ParserTest, Leaves) {
  EXPECT_EQ(Ast("error"), "word(error)");
  EXPECT_EQ(Ast("needle-7f3a9c"), "word(needle-7f3a9c)");
  EXPECT_EQ(Ast("10.0.0.1"), "word(10.0.0.1)");
  EXPECT_EQ(Ast("10:30:00"), "word(10:30:00)");  // a field name cannot start with a digit
  EXPECT_EQ(Ast("\"connection refused\""), "phrase(\"connection refused\")");
  EXPECT_EQ(Ast(R"("say \"hi\" \\ C:\dir")"), R"(phrase("say \"hi\" \\ C:\\dir"))");
  EXPECT_EQ(Ast("level:error"), "eq(level, error)");
  EXPECT_EQ(Ast("http.status:500"), "eq(http.status, 500)");
  EXPECT_EQ(Ast("user.name:\"x y\""), "eq(user.name, \"x y\")");
  EXPECT_EQ(Ast("empty:\"\""), "eq(empty, \"\")");
  EXPECT_EQ(Ast("url:http://a/b?c=d"), "eq(url, http://a/b?c=d)");
  EXPECT_EQ(Ast("@version:1"), "eq(@version, 1)");
  EXPECT_EQ(Ast("x-request-id:abc"), "eq(x-request-id, abc)");
  EXPECT_EQ(Ast("_msg:hello"), "eq(_msg, hello)");
  EXPECT_EQ(Ast("lat:>=1.5"), "cmp(lat >= 1.5)");
  EXPECT_EQ(Ast("n:>-3"), "cmp(n > -3)");
  EXPECT_EQ(Ast("n:<1e3"), "cmp(n < 1e3)");
  EXPECT_EQ(Ast("n:<=0"), "cmp(n <= 0)");
  EXPECT_EQ(Ast("host:*"), "exists(host)");
  EXPECT_EQ(Ast("eq:=5"), "eq(eq, =5)");
}

TEST(ParserTest, ImplicitAndExplicitAnd) {
  EXPECT_EQ(Ast("a b c"), "and(word(a), word(b), word(c))");
  EXPECT_EQ(Ast("a AND b"), "and(word(a), word(b))");
  EXPECT_EQ(Ast("a AND b c"), "and(word(a), word(b), word(c))");
}

TEST(ParserTest, Precedence) {
  EXPECT_EQ(Ast("a OR b c"), "or(word(a), and(word(b), word(c)))");
  EXPECT_EQ(Ast("a b OR c"), "or(and(word(a), word(b)), word(c))");
  EXPECT_EQ(Ast("NOT a b"), "and(not(word(a)), word(b))");
  EXPECT_EQ(Ast("NOT a OR b"), "or(not(word(a)), word(b))");
  EXPECT_EQ(Ast("-a -b"), "and(not(word(a)), not(word(b)))");
  EXPECT_EQ(Ast("(a OR b) c"), "and(or(word(a), word(b)), word(c))");
  EXPECT_EQ(Ast("-(a OR b)"), "not(or(word(a), word(b)))");
  EXPECT_EQ(Ast("NOT NOT a"), "not(not(word(a)))");
  EXPECT_EQ(Ast("--a"), "not(not(word(a)))");
  EXPECT_EQ(Ast("a OR b OR c"), "or(word(a), word(b), word(c))");
  EXPECT_EQ(Ast("((a))"), "word(a)");
  EXPECT_EQ(Ast("-field:x -\"p q\""), "and(not(eq(field, x)), not(phrase(\"p q\")))");
  EXPECT_EQ(Ast("a AND NOT c OR b AND NOT a"),
            "or(and(word(a), not(word(c))), and(word(b), not(word(a))))");
}

TEST(ParserTest, KeywordsAreUpperCaseOnly) {
  EXPECT_EQ(Ast("a and b"), "and(word(a), word(and), word(b))");
  EXPECT_EQ(Ast("\"OR\""), "phrase(\"OR\")");
  EXPECT_EQ(Ast("Not"), "word(Not)");
}

TEST(ParserTest, DelimitersSplitWords) {
  EXPECT_EQ(Ast("a(b)"), "and(word(a), word(b))");
  EXPECT_EQ(Ast("x\"y z\""), "and(word(x), phrase(\"y z\"))");
  EXPECT_EQ(Ast("a-b"), "word(a-b)");
}

TEST(ParserTest, NodePositions) {
  absl::StatusOr<Query> q = ParseQuery("  foo OR -bar:1");
  ASSERT_TRUE(q.ok());
  const Node& root = *q->filter;
  ASSERT_EQ(root.kind, NodeKind::kOr);
  EXPECT_EQ(root.pos, 2u);
  EXPECT_EQ(root.children[0]->pos, 2u);
  EXPECT_EQ(root.children[1]->kind, NodeKind::kNot);
  EXPECT_EQ(root.children[1]->pos, 9u);
  EXPECT_EQ(root.children[1]->children[0]->pos, 10u);
}

TEST(ParserTest, ErrorPositions) {
  QueryError e = Err("a AND (b OR c");
  EXPECT_EQ(e.line, 1);
  EXPECT_EQ(e.column, 14);
  EXPECT_EQ(e.position, 14);
  EXPECT_EQ(e.offset, 13u);
  EXPECT_EQ(e.message, "expected ')' to close the '(' at 1:7");
  EXPECT_EQ(e.ToString(), "error at 1:14: expected ')' to close the '(' at 1:7");

  e = Err("a OR");
  EXPECT_EQ(e.column, 5);
  EXPECT_EQ(e.message, "expected a term after 'OR'");

  e = Err("\"abc");
  EXPECT_EQ(e.column, 1);
  EXPECT_EQ(e.message, "unterminated quoted string (missing closing '\"')");

  e = Err("x:>=1.2.3");
  EXPECT_EQ(e.column, 5);
  EXPECT_EQ(e.message, "expected a number after 'x:>=', got '1.2.3'");

  e = Err("x:>inf");
  EXPECT_EQ(e.message, "expected a number after 'x:>', got 'inf'");

  e = Err("x:>0x10");
  EXPECT_EQ(e.column, 4);
}

TEST(ParserTest, ErrorColumnsCountCharactersAndLines) {
  // "日本" is 6 bytes but 2 characters.
  QueryError e = Err("日本 AND");
  EXPECT_EQ(e.offset, 10u);
  EXPECT_EQ(e.column, 7);
  EXPECT_EQ(e.position, 7);
  EXPECT_EQ(e.Display("日本 AND"),
            "error at 1:7: expected a term after 'AND'\n日本 AND\n      ^\n");

  // On the second line: column restarts, position does not.
  const std::string q = "a OR\n  (b";
  e = Err(q);
  EXPECT_EQ(e.line, 2);
  EXPECT_EQ(e.column, 5);
  EXPECT_EQ(e.position, 10);
  EXPECT_EQ(e.Display(q), "error at 2:5: expected ')' to close the '(' at 2:3\n  (b\n    ^\n");
}

TEST(ParserTest, CaretKeepsTabs) {
  const std::string q = "a\tOR";
  QueryError e = Err(q);
  EXPECT_EQ(e.column, 5);
  EXPECT_EQ(e.Display(q), "error at 1:5: expected a term after 'OR'\na\tOR\n \t  ^\n");
}

TEST(ParserTest, MiscErrors) {
  EXPECT_EQ(Err("()").message, "empty parentheses");
  EXPECT_EQ(Err("a )").message, "unexpected ')' without '('");
  EXPECT_EQ(Err("AND a").message,
            "expected a term before 'AND' (write \"AND\" to search for the word)");
  EXPECT_EQ(Err("a AND AND b").message, "expected a term after 'AND', got 'AND'");
  EXPECT_EQ(Err("-AND").message, "expected a term after '-', got 'AND'");
  EXPECT_EQ(Err("NOT )").message, "expected a term after 'NOT', got ')'");
  EXPECT_EQ(Err("a |").message, "expected a pipe stage name after '|'");
  EXPECT_EQ(Err("f:").column, 3);
  EXPECT_EQ(Err("f:*x").column, 3);
  EXPECT_EQ(Err("a*b").column, 2);
}

// ---- Prefixes ----

TEST(ParserTest, Prefixes) {
  EXPECT_EQ(Ast("connect*"), "prefix(connect)");
  EXPECT_EQ(Ast("10.0.*"), "prefix(10.0.)");
  EXPECT_EQ(Ast("user-12*"), "prefix(user-12)");
  EXPECT_EQ(Ast("caf\xC3\xA9*"), "prefix(caf\xC3\xA9)");
  EXPECT_EQ(Ast("host:web-*"), "prefix(host, web-)");
  EXPECT_EQ(Ast("_msg:GET*"), "prefix(_msg, GET)");
  EXPECT_EQ(Ast("\"quoted*\""), "phrase(\"quoted*\")");
  EXPECT_EQ(Ast("f:\"a*\""), "eq(f, \"a*\")");
  EXPECT_EQ(Ast("-conn*"), "not(prefix(conn))");
  EXPECT_EQ(Ast("a* OR b c*"), "or(prefix(a), and(word(b), prefix(c)))");
  EXPECT_EQ(Ast("AND*"), "prefix(AND)");
  EXPECT_EQ(Ast("*"), "all");
  EXPECT_EQ(Ast("f:*"), "exists(f)");
  absl::StatusOr<Query> q = ParseQuery("x web*");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->filter->children[1]->kind, NodeKind::kPrefix);
  EXPECT_EQ(q->filter->children[1]->pos, 2u);
  EXPECT_EQ(q->filter->children[1]->field, "");
  EXPECT_EQ(q->filter->children[1]->text, "web");
}

TEST(ParserTest, PrefixErrors) {
  QueryError e = Err("a*b");
  EXPECT_EQ(e.column, 2);
  EXPECT_EQ(e.message,
            "only a trailing '*' is supported (prefix search); quote the word to search for a "
            "literal '*'");
  EXPECT_EQ(Err("x *foo").column, 3);
  EXPECT_EQ(Err("foo**").column, 4);
  EXPECT_EQ(Err("**").column, 1);
  e = Err("host:w*b");
  EXPECT_EQ(e.column, 7);
  EXPECT_EQ(e.message,
            "only a trailing '*' is supported (prefix match); write host:\"...\" to match a "
            "literal '*'");
  EXPECT_EQ(Err("host:**").column, 6);
}

// ---- Field groups ----

TEST(ParserTest, FieldGroups) {
  EXPECT_EQ(Ast("level:(error OR warn)"), "or(eq(level, error), eq(level, warn))");
  EXPECT_EQ(Ast("level:(a b)"), "and(eq(level, a), eq(level, b))");
  EXPECT_EQ(Ast("f:(-a OR \"x y\" OR c*)"), "or(not(eq(f, a)), eq(f, \"x y\"), prefix(f, c))");
  EXPECT_EQ(Ast("f:(a OR (b c))"), "or(eq(f, a), and(eq(f, b), eq(f, c)))");
  EXPECT_EQ(Ast("n:(>=5 <10)"), "and(cmp(n >= 5), cmp(n < 10))");
  EXPECT_EQ(Ast("n:([1 TO 2] OR {5 TO *])"), "or(range(n [1, 2]), range(n (5, *]))");
  EXPECT_EQ(Ast("f:(~\"a+\" OR *)"), "or(regex(f, \"a+\"), exists(f))");
  EXPECT_EQ(Ast("f:(NOT a AND b)"), "and(not(eq(f, a)), eq(f, b))");
  EXPECT_EQ(Ast("f:(\"OR\")"), "eq(f, \"OR\")");
  EXPECT_EQ(Ast("f:(x:y)"), "eq(f, x:y)");  // inside, a colon is part of the value
  // The group ends at its ')': what follows is an ordinary term again.
  EXPECT_EQ(Ast("f:(a) b g:c"), "and(eq(f, a), word(b), eq(g, c))");
  EXPECT_EQ(Ast("x OR -f:(a OR b) y"), "or(word(x), and(not(or(eq(f, a), eq(f, b))), word(y)))");
  absl::StatusOr<Query> q = ParseQuery("f:(a OR bb)");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->filter->children[0]->pos, 3u);
  EXPECT_EQ(q->filter->children[1]->pos, 8u);
}

TEST(ParserTest, FieldGroupErrors) {
  QueryError e = Err("f:()");
  EXPECT_EQ(e.column, 3);
  EXPECT_EQ(e.message, "empty parentheses");
  e = Err("f:(a OR b");
  EXPECT_EQ(e.column, 10);
  EXPECT_EQ(e.message, "expected ')' to close the '(' at 1:3");
  e = Err("f:(a OR)");
  EXPECT_EQ(e.column, 8);
  EXPECT_EQ(e.message, "expected a term after 'OR', got ')'");
  e = Err("f:(OR a)");
  EXPECT_EQ(e.column, 4);
  e = Err("f:(a | b)");
  EXPECT_EQ(e.column, 6);
  EXPECT_EQ(Err("f:(a*b)").column, 5);
}

// ---- Number ranges ----

TEST(ParserTest, Ranges) {
  EXPECT_EQ(Ast("http.status:[100 TO 200]"), "range(http.status [100, 200])");
  EXPECT_EQ(Ast("n:{100 TO 200}"), "range(n (100, 200))");
  EXPECT_EQ(Ast("n:[100 TO 200}"), "range(n [100, 200))");
  EXPECT_EQ(Ast("n:{-1.5 TO 2e3]"), "range(n (-1.5, 2e3])");
  EXPECT_EQ(Ast("n:[100 TO *]"), "range(n [100, *])");
  EXPECT_EQ(Ast("n:[* TO *]"), "range(n [*, *])");
  EXPECT_EQ(Ast("n:[ 1   TO\t2 ]"), "range(n [1, 2])");
  EXPECT_EQ(Ast("n:[5 TO 5]"), "range(n [5, 5])");
  EXPECT_EQ(Ast("(n:[1 TO 2])"), "range(n [1, 2])");
  EXPECT_EQ(Ast("-n:[1 TO 2] x"), "and(not(range(n [1, 2])), word(x))");
  absl::StatusOr<Query> q = ParseQuery("n:{1 TO *]");
  ASSERT_TRUE(q.ok());
  const Node& r = *q->filter;
  EXPECT_EQ(r.kind, NodeKind::kFieldRange);
  EXPECT_EQ(r.field, "n");
  EXPECT_EQ(r.lo, "1");
  EXPECT_EQ(r.hi, "*");
  EXPECT_EQ(r.lo_value, 1.0);
  EXPECT_TRUE(std::isinf(r.hi_value) && r.hi_value > 0);
  EXPECT_FALSE(r.lo_inclusive);
  EXPECT_FALSE(r.lo_open);
  EXPECT_TRUE(r.hi_open);
  q = ParseQuery("n:[* TO 2.5}");
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(q->filter->lo_open);
  EXPECT_TRUE(std::isinf(q->filter->lo_value) && q->filter->lo_value < 0);
  EXPECT_EQ(q->filter->hi_value, 2.5);
  EXPECT_FALSE(q->filter->hi_inclusive);
}

TEST(ParserTest, RangeErrors) {
  QueryError e = Err("n:[200 TO 100]");
  EXPECT_EQ(e.column, 3);
  EXPECT_EQ(e.message, "empty range: the lower bound 200 is greater than the upper bound 100");
  e = Err("n:{5 TO 5]");
  EXPECT_EQ(e.column, 3);
  EXPECT_EQ(e.message, "empty range: it excludes its only value 5 (write [5 TO 5])");
  EXPECT_EQ(Err("n:[5.0 TO 5}").column, 3);
  EXPECT_EQ(Err("n:[9223372036854775807 TO 9223372036854775806]").column, 3);
  e = Err("n:[1 2]");
  EXPECT_EQ(e.column, 6);
  EXPECT_EQ(e.message, "expected ' TO ' between the bounds of the range ([100 TO 200])");
  EXPECT_EQ(Err("n:[1 to 2]").column, 6);
  EXPECT_EQ(Err("n:[1TO 2]").column, 4);  // "1TO" is not a number
  e = Err("n:[1 TO 2");
  EXPECT_EQ(e.column, 10);
  EXPECT_EQ(e.message, "expected ']' or '}' to close the range opened at 1:3");
  e = Err("n:[1 TO 2 3]");
  EXPECT_EQ(e.column, 11);
  e = Err("n:[a TO 2]");
  EXPECT_EQ(e.column, 4);
  EXPECT_EQ(e.message, "expected a number or '*' as the lower bound of the range, got 'a'");
  e = Err("n:[1 TO abc]");
  EXPECT_EQ(e.column, 9);
  EXPECT_EQ(e.message, "expected a number or '*' as the upper bound of the range, got 'abc'");
  e = Err("n:[ TO 2]");
  EXPECT_EQ(e.column, 5);
  EXPECT_EQ(Err("n:[1 TO ]").column, 9);
  e = Err("n:[1 TO 2]x");
  EXPECT_EQ(e.column, 11);
  EXPECT_EQ(e.message, "expected a space or ')' after the range");
  EXPECT_EQ(Err("n:[inf TO 2]").column, 4);
}

// ---- Regular expressions ----

TEST(ParserTest, Regex) {
  EXPECT_EQ(Ast(R"(~"timeout after \d+ms")"), R"(regex(_msg, "timeout after \d+ms"))");
  EXPECT_EQ(Ast(R"(f:~"^a.*b$")"), R"(regex(f, "^a.*b$"))");
  EXPECT_EQ(Ast(R"(_msg:~"(?i)err")"), R"(regex(_msg, "(?i)err"))");
  EXPECT_EQ(Ast(R"(~"say \"hi\"")"), R"(regex(_msg, "say \"hi\""))");
  EXPECT_EQ(Ast(R"(a -~"b" OR c)"), R"(or(and(word(a), not(regex(_msg, "b"))), word(c)))");
  EXPECT_EQ(Ast("f:~x"), "eq(f, ~x)");  // unquoted: a plain value
  EXPECT_EQ(Ast("~x"), "word(~x)");
  absl::StatusOr<Query> q = ParseQuery(R"(x ~"a\\b")");
  ASSERT_TRUE(q.ok());
  const Node& r = *q->filter->children[1];
  EXPECT_EQ(r.kind, NodeKind::kRegex);
  EXPECT_EQ(r.field, "_msg");
  EXPECT_EQ(r.text, "a\\b");  // `\\` is an escaped backslash, so the pattern is a\b
  EXPECT_EQ(r.pos, 2u);
}

TEST(ParserTest, RegexErrors) {
  QueryError e = Err(R"(a ~"(abc")");
  EXPECT_EQ(e.column, 3);
  EXPECT_EQ(e.message, "invalid regular expression: missing ): (abc");
  e = Err(R"(f:~"[z-a]")");
  EXPECT_EQ(e.column, 3);
  EXPECT_EQ(e.message.rfind("invalid regular expression: ", 0), 0u) << e.message;
  e = Err(R"(~"")");
  EXPECT_EQ(e.message, "empty regular expression (it would match everything)");
  e = Err(R"(~"abc)");
  EXPECT_EQ(e.column, 2);
  EXPECT_EQ(e.message, "unterminated quoted string (missing closing '\"')");
}

// ---- Time ----

constexpr int64_t kNow = 1'700'000'000'000'000'000;

std::string TimeAst(std::string_view text) {
  ParseOptions o;
  o.now_ns = kNow;
  absl::StatusOr<Query> q = ParseQuery(text, o);
  if (!q.ok()) return std::string("ERROR ") + std::string(q.status().message());
  return DebugString(*q->filter);
}

TEST(ParserTest, TimeRanges) {
  // 2026-11-27T10:00:00Z = 1795773600 s.
  EXPECT_EQ(TimeAst("_time:[2026-11-27T10:00:00Z, 2026-11-27T11:00:00Z)"),
            "time[1795773600000000000, 1795777200000000000)");
  EXPECT_EQ(TimeAst("_time:[2026-11-27T10:00:00Z, 2026-11-27T11:00:00Z]"),
            "time[1795773600000000000, 1795777200000000001)");
  EXPECT_EQ(TimeAst("_time:(2026-11-27T10:00:00Z,2026-11-27T11:00:00Z)"),
            "time[1795773600000000001, 1795777200000000000)");
  EXPECT_EQ(TimeAst("_time:( 2026-11-27 , 2026-11-28 ]"),
            "time[1795737600000000001, 1795824000000000001)");
  EXPECT_EQ(TimeAst("_time:[2026-11-27T11:00:00+01:00, 2026-11-27T10:00:00.5Z)"),
            "time[1795773600000000000, 1795773600500000000)");
  EXPECT_EQ(TimeAst("_time:[1700000000, 1700000001)"),
            "time[1700000000000000000, 1700000001000000000)");
  EXPECT_EQ(TimeAst("_time:[2026-11-27T10:00:00Z, 2026-11-27T10:00:00Z]"),
            "time[1795773600000000000, 1795773600000000001)");
  // Relative to the injected now: [now - d, now].
  EXPECT_EQ(TimeAst("_time:5m"), "time[1699999700000000000, 1700000000000000001)");
  EXPECT_EQ(TimeAst("_time:2h"), "time[1699992800000000000, 1700000000000000001)");
  EXPECT_EQ(TimeAst("_time:1d"), "time[1699913600000000000, 1700000000000000001)");
  EXPECT_EQ(TimeAst("_time:1h30m"), "time[1699994600000000000, 1700000000000000001)");
  // Comparisons.
  EXPECT_EQ(TimeAst("_time:>=2026-11-27T10:00:00Z"), "time[1795773600000000000, *)");
  EXPECT_EQ(TimeAst("_time:>2026-11-27T10:00:00Z"), "time[1795773600000000001, *)");
  EXPECT_EQ(TimeAst("_time:<2026-11-27T10:00:00Z"), "time[*, 1795773600000000000)");
  EXPECT_EQ(TimeAst("_time:<=2026-11-27T10:00:00Z"), "time[*, 1795773600000000001)");
  EXPECT_EQ(TimeAst("_time:*"), "all");
  EXPECT_EQ(TimeAst("(_time:[1700000000, 1700000001)) x"),
            "and(time[1700000000000000000, 1700000001000000000), word(x))");
  EXPECT_EQ(TimeAst("-_time:5m"), "not(time[1699999700000000000, 1700000000000000001))");
  ParseOptions o;
  o.now_ns = kNow;
  absl::StatusOr<Query> q = ParseQuery("a _time:5m", o);
  ASSERT_TRUE(q.ok());
  const Node& t = *q->filter->children[1];
  EXPECT_EQ(t.kind, NodeKind::kTimeRange);
  EXPECT_EQ(t.pos, 2u);
  EXPECT_EQ(t.from_ns, kNow - 300 * kNanosPerSecond);
  EXPECT_EQ(t.to_ns, kNow + 1);
  q = ParseQuery("_time:<2026-01-01");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->filter->from_ns, std::numeric_limits<int64_t>::min());
}

TEST(ParserTest, WallClockIsTheDefaultNow) {
  const int64_t before = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  absl::StatusOr<Query> q = ParseQuery("_time:1h");
  ASSERT_TRUE(q.ok());
  EXPECT_GE(q->filter->to_ns - 1, before);
  EXPECT_EQ(q->filter->to_ns - 1 - q->filter->from_ns, 3600 * kNanosPerSecond);
}

TEST(ParserTest, TimeErrors) {
  QueryError e = Err("_time:[2026-11-27T11:00:00Z, 2026-11-27T10:00:00Z)");
  EXPECT_EQ(e.column, 7);
  EXPECT_EQ(e.message, "empty time range: its start is not before its end");
  EXPECT_EQ(Err("_time:[2026-11-27, 2026-11-27)").column, 7);
  EXPECT_EQ(Err("_time:(2026-11-27, 2026-11-27]").column, 7);
  e = Err("_time:[2026-11-27 2026-11-28]");
  EXPECT_EQ(e.column, 19);
  EXPECT_EQ(e.message, "expected ',' between the start and the end of the time range");
  e = Err("_time:[yesterday, 2026-11-28]");
  EXPECT_EQ(e.column, 8);
  EXPECT_EQ(e.message,
            "expected a time (RFC 3339 as in 2026-11-27T10:00:00Z, a date or an epoch number) "
            "after '[', got 'yesterday'");
  EXPECT_EQ(Err("_time:[2026-11-27, x]").column, 20);
  e = Err("_time:[2026-11-27, 2026-11-28");
  EXPECT_EQ(e.column, 30);
  EXPECT_EQ(e.message, "expected ']' or ')' to close the time range opened at 1:7");
  e = Err("_time:2026");
  EXPECT_EQ(e.column, 7);
  EXPECT_EQ(e.message.rfind("expected a duration (5m), a time range", 0), 0u) << e.message;
  EXPECT_EQ(Err("_time:0s").column, 7);
  EXPECT_EQ(Err("_time:-5m").column, 7);
  EXPECT_EQ(Err("_time:").column, 7);
  EXPECT_EQ(Err("_time:>=").column, 9);
  EXPECT_EQ(Err("_time:>=2026-13-01").column, 9);
  e = Err("_time:>=2026-11-27,");
  EXPECT_EQ(e.column, 19);
  EXPECT_EQ(e.message, "expected a space or ')' after the time");
  EXPECT_EQ(Err("_time:[2026-11-27, 2026-11-28]x").column, 31);
  EXPECT_EQ(Err("a _time:\"5m\"").column, 9);
}

// ---- Pipes ----

std::string Pipes(std::string_view text) {
  absl::StatusOr<Query> q = ParseQuery(text);
  if (!q.ok()) return std::string("ERROR ") + std::string(q.status().message());
  std::string out = DebugString(*q->filter);
  for (const PipeStage& st : q->pipes) {
    out += " | " + st.name + "@" + std::to_string(st.pos);
    for (const PipeStage::Arg& a : st.args) {
      out += " " + (a.quoted ? "\"" + a.text + "\"" : a.text) + "@" + std::to_string(a.pos);
    }
  }
  return out;
}

TEST(ParserTest, PipesAreSplitIntoNameAndArgs) {
  EXPECT_EQ(Pipes("error | limit 5"), "word(error) | limit@8 5@14");
  EXPECT_EQ(Pipes("| limit 5"), "all | limit@2 5@8");
  EXPECT_EQ(Pipes("* | head"), "all | head@4");
  EXPECT_EQ(Pipes("a|b|c"), "word(a) | b@2 | c@4");
  EXPECT_EQ(Pipes("x | stats count() by (host, level)"),
            "word(x) | stats@4 count@10 (@15 )@16 by@18 (@21 host@22 ,@26 level@28 )@33");
  EXPECT_EQ(Pipes("x | fields \"a b\",c"), "word(x) | fields@4 \"a b\"@11 ,@16 c@17");
  EXPECT_EQ(Pipes("x | sort by _time desc"), "word(x) | sort@4 by@9 _time@12 desc@18");
  EXPECT_EQ(Pipes("x | f a:b>=3*"), "word(x) | f@4 a:b>=3*@6");
  EXPECT_EQ(Pipes("level:(a OR b) c* | top 3 host"),
            "and(or(eq(level, a), eq(level, b)), prefix(c)) | top@20 3@24 host@26");
  EXPECT_EQ(Pipes("x |\n  uniq  by\tf  "), "word(x) | uniq@6 by@12 f@15");
}

TEST(ParserTest, PipeErrors) {
  QueryError e = Err("a |");
  EXPECT_EQ(e.column, 4);
  EXPECT_EQ(e.message, "expected a pipe stage name after '|'");
  e = Err("a || b");
  EXPECT_EQ(e.column, 4);
  EXPECT_EQ(e.message, "expected a pipe stage name after '|'");
  e = Err("a | limit 5 |  ");
  EXPECT_EQ(e.column, 16);
  EXPECT_EQ(Err("a | (x)").column, 5);
  EXPECT_EQ(Err("a | \"x\"").column, 5);
  e = Err("error | fields \"x");
  EXPECT_EQ(e.message, "unterminated quoted string (missing closing '\"')");
  EXPECT_EQ(e.column, 16);
  // The filter is still checked.
  EXPECT_EQ(Err("(a | limit 1").message, "expected ')' to close the '(' at 1:1");
  EXPECT_EQ(Err("a OR | limit 1").column, 6);
}

TEST(ParserTest, NewKindsAndPrecedence) {
  EXPECT_EQ(TimeAst("err* OR n:[1 TO 2] ~\"x\" -_time:[1700000000, 1700000001)"),
            "or(prefix(err), and(range(n [1, 2]), regex(_msg, \"x\"), "
            "not(time[1700000000000000000, 1700000001000000000))))");
  EXPECT_EQ(TimeAst("NOT f:(a OR b*) AND n:{0 TO 1}"),
            "and(not(or(eq(f, a), prefix(f, b))), range(n (0, 1)))");
}

}  // namespace
}  // namespace lode::query
