#include "query/parser.h"

#include <string>

#include "gtest/gtest.h"

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

TEST(ParserTest, PipesAreParsedThenRejected) {
  QueryError e = Err("error | stats count() by (host)");
  EXPECT_EQ(e.column, 9);
  EXPECT_EQ(e.message, "pipe stage 'stats' is not supported yet");
  e = Err("error | fields a | sort b");
  EXPECT_EQ(e.column, 9);
  e = Err("error | \"x");
  EXPECT_EQ(e.message, "expected a pipe stage name after '|'");
  e = Err("error | fields \"x");
  EXPECT_EQ(e.message, "unterminated quoted string (missing closing '\"')");
  EXPECT_EQ(e.column, 16);
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
  EXPECT_EQ(Err("f:(a)").column, 3);
  EXPECT_EQ(Err("f:*x").column, 3);
  EXPECT_EQ(Err("a*b").column, 2);
  EXPECT_EQ(Err("_time:2026").column, 1);
}

}  // namespace
}  // namespace lode::query
