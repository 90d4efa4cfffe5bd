// The parsed form of a query (docs/QUERY.md): a filter tree of And/Or/Not over leaf terms, then
// an optional list of pipe stages (`| fields ...`, `| sort ...`). The parser builds it, Filter
// compiles its filter tree, and later pipe stages consume it; nothing in it depends on storage.
//
// Plain data: not thread-safe to mutate, safe to read from several threads.
#pragma once

#include <cstddef>
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
  // kFieldCompare: the number as written.
  std::string text;
  bool quoted = false;  // kFieldEquals: the value was a quoted string (never matches numbers)
  CompareOp op = CompareOp::kGreaterEqual;  // kFieldCompare

  static std::unique_ptr<Node> Make(NodeKind kind, size_t pos);
};

// A pipe stage after the filter. Stages are parsed generically (name and arguments as written)
// so that the grammar of each stage can be added without touching the filter parser.
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

// A compact, unambiguous rendering of a filter tree for tests and debugging, e.g.
// `and(word(error), not(eq(http.status, 500)), or(phrase("a b"), cmp(latency >= 1.5)))`.
std::string DebugString(const Node& node);

}  // namespace lode::query
