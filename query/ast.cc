#include "query/ast.h"

#include <cstdint>
#include <limits>

#include "common/strings.h"

namespace lode::query {
namespace {

void AppendQuoted(std::string_view s, std::string* out) {
  out->push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('"');
}

void Append(const Node& n, std::string* out) {
  switch (n.kind) {
    case NodeKind::kMatchAll:
      out->append("all");
      return;
    case NodeKind::kAnd:
    case NodeKind::kOr:
    case NodeKind::kNot: {
      out->append(n.kind == NodeKind::kAnd ? "and(" : n.kind == NodeKind::kOr ? "or(" : "not(");
      for (size_t i = 0; i < n.children.size(); ++i) {
        if (i > 0) out->append(", ");
        Append(*n.children[i], out);
      }
      out->push_back(')');
      return;
    }
    case NodeKind::kWord:
      StrAppend(out, "word(", n.text, ")");
      return;
    case NodeKind::kPhrase:
      out->append("phrase(");
      AppendQuoted(n.text, out);
      out->push_back(')');
      return;
    case NodeKind::kFieldEquals:
      StrAppend(out, "eq(", n.field, ", ");
      if (n.quoted) {
        AppendQuoted(n.text, out);
      } else {
        out->append(n.text);
      }
      out->push_back(')');
      return;
    case NodeKind::kFieldCompare:
      StrAppend(out, "cmp(", n.field, " ", CompareOpText(n.op), " ", n.text, ")");
      return;
    case NodeKind::kFieldExists:
      StrAppend(out, "exists(", n.field, ")");
      return;
    case NodeKind::kPrefix:
      if (n.field.empty()) {
        StrAppend(out, "prefix(", n.text, ")");
      } else {
        StrAppend(out, "prefix(", n.field, ", ", n.text, ")");
      }
      return;
    case NodeKind::kFieldRange:
      StrAppend(out, "range(", n.field, " ", n.lo_inclusive ? "[" : "(", n.lo, ", ", n.hi,
                n.hi_inclusive ? "]" : ")", ")");
      return;
    case NodeKind::kRegex:
      StrAppend(out, "regex(", n.field, ", \"");
      for (char c : n.text) {
        if (c == '"') out->push_back('\\');
        out->push_back(c);
      }
      out->append("\")");
      return;
    case NodeKind::kTimeRange:
      out->append("time[");
      if (n.from_ns == std::numeric_limits<int64_t>::min()) {
        out->push_back('*');
      } else {
        StrAppend(out, n.from_ns);
      }
      out->append(", ");
      if (n.to_ns == std::numeric_limits<int64_t>::max()) {
        out->push_back('*');
      } else {
        StrAppend(out, n.to_ns);
      }
      out->push_back(')');
      return;
  }
}

}  // namespace

std::string_view CompareOpText(CompareOp op) {
  switch (op) {
    case CompareOp::kLess:
      return "<";
    case CompareOp::kLessEqual:
      return "<=";
    case CompareOp::kGreater:
      return ">";
    case CompareOp::kGreaterEqual:
      return ">=";
  }
  return "?";
}

std::unique_ptr<Node> Node::Make(NodeKind kind, size_t pos) {
  auto n = std::make_unique<Node>();
  n->kind = kind;
  n->pos = pos;
  return n;
}

std::string DebugString(const Node& node) {
  std::string out;
  Append(node, &out);
  return out;
}

}  // namespace lode::query
