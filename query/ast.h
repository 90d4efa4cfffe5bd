// The parsed form of a query (docs/QUERY.md): a filter tree of And/Or/Not over leaf terms, then
// an optional list of pipe stages (`| fields ...`, `| sort ...`). The parser builds it, Filter
// compiles its filter tree, and later pipe stages consume it; nothing in it depends on storage.
//
// Plain data: not thread-safe to mutate, safe to read from several threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lode::query {

enum class NodeKind {
  kMatchAll,      // `*` or an empty query
  kAnd,           // all children match (two or more)
  kOr,            // any child matches (two or more)
  kNot,           // the one child does not match
  kWord,          // bare word: whole tokens, case-insensitive, in the message or any string field
  kPhrase,        // "quoted phrase": same as a word, the text may hold spaces
  kFieldEquals,   // field:value, field:"value", _msg:value
  kFieldCompare,  // field:>=N, field:>N, field:<N, field:<=N
  kFieldExists,   // field:*
  kPrefix,        // word* (field empty: like a word, may end mid-token); field:abc* (starts with)
  kFieldRange,    // field:[lo TO hi], {lo TO hi}, mixed, `*` for an open end (numbers only)
  kRegex,         // ~"re" (field `_msg`), field:~"re": RE2 partial match of a string value
  kTimeRange,     // _time:[a, b), _time:5m, _time:>=T ...: from_ns <= record time < to_ns
};

enum class CompareOp { kLess, kLessEqual, kGreater, kGreaterEqual };
std::string_view CompareOpText(CompareOp op);

// One node of the filter tree. Which members are meaningful depends on `kind`.
struct Node {
  NodeKind kind = NodeKind::kMatchAll;
  size_t pos = 0;  // byte offset in the query text of the node's first character
  std::vector<std::unique_ptr<Node>> children;  // kAnd, kOr (>= 2), kNot (1)
  std::string field;  // field terms: the field name (`_msg` is the message)
  // kWord, kPhrase: the text to find (unescaped); kFieldEquals: the value;
  // kFieldCompare: the number as written; kPrefix: the prefix (without the `*`);
  // kRegex: the RE2 pattern (unescaped from its quotes; the parser checked that it compiles).
  std::string text;
  bool quoted = false;  // kFieldEquals: the value was a quoted string (never matches numbers)
  CompareOp op = CompareOp::kGreaterEqual;  // kFieldCompare

  // kFieldRange. `lo` / `hi` are the bounds as written (valid for internal::ParseNumber, which
  // gives them exactly) and `lo_value` / `hi_value` the same as doubles. An open end (`*`) has
  // `*_open` set, its text "*" and its value -inf / +inf; its `*_inclusive` is as written and
  // means nothing. The parser rejects empty ranges.
  std::string lo;
  std::string hi;
  double lo_value = 0;
  double hi_value = 0;
  bool lo_inclusive = true;
  bool hi_inclusive = true;
  bool lo_open = false;
  bool hi_open = false;

  // kTimeRange: the half-open window [from_ns, to_ns) of record times (inclusive upper bounds
  // are converted by adding 1 ns). An open end is INT64_MIN / INT64_MAX. Never empty.
  int64_t from_ns = 0;
  int64_t to_ns = 0;

  static std::unique_ptr<Node> Make(NodeKind kind, size_t pos);
};

// A pipe stage after the filter. Stages are parsed generically, without checking names or
// arguments: the pipeline compiler does that and reports its errors at the `pos` offsets. The
// arguments are the tokens up to the next `|`: words (which end at whitespace and at any of
// `( ) , " |`), quoted strings, and each `(`, `)` and `,` as an argument of its own, so
// `stats count() by (host, level)` has args `count ( ) by ( host , level )`.
struct PipeStage {
  std::string name;
  size_t pos = 0;  // byte offset of the name
  struct Arg {
    std::string text;  // unescaped when it was quoted
    bool quoted = false;
    size_t pos = 0;
  };
  std::vector<Arg> args;
};

struct Query {
  std::string text;              // the query as given
  std::unique_ptr<Node> filter;  // never null; kMatchAll for an empty query
  std::vector<PipeStage> pipes;
};

// A compact rendering of a filter tree for tests and debugging, e.g.
// `and(word(error), not(eq(http.status, 500)), or(phrase("a b"), cmp(latency >= 1.5)))`,
// `prefix(connect)`, `prefix(host, web-)`, `range(n [100, *])`, `regex(_msg, "\d+ms")`,
// `time[1700000000000000000, 1700000300000000000)` (open ends of a time range print as `*`).
// Regex patterns are printed as written, with only `"` escaped.
std::string DebugString(const Node& node);

}  // namespace lode::query
