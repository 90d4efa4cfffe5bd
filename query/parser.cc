#include "query/parser.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <optional>

#include "common/strings.h"
#include "common/time_util.h"
#include "query/internal/number.h"
#include "query/internal/regex_matcher.h"

namespace lode::query {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
// Characters that end a bare word (and are not part of one).
bool IsDelimiter(char c) { return IsSpace(c) || c == '(' || c == ')' || c == '"' || c == '|'; }
bool IsHighByte(char c) { return static_cast<unsigned char>(c) >= 0x80; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
// A field name starts with a letter, '_' or '@' (so `10:30:00` stays a word) and continues with
// letters, digits, '_', '.', '@', '-', '/' (Kubernetes labels: app.kubernetes.io/name).
bool IsFieldStart(char c) { return IsAlpha(c) || c == '_' || c == '@' || IsHighByte(c); }
bool IsFieldChar(char c) {
  return IsFieldStart(c) || IsDigit(c) || c == '.' || c == '-' || c == '/';
}

// Ends a word of a pipe stage (name or argument).
bool IsPipeDelimiter(char c) {
  return IsSpace(c) || c == '(' || c == ')' || c == ',' || c == '"' || c == '|';
}
// Ends a bound of a number range.
bool IsRangeDelimiter(char c) { return IsDelimiter(c) || c == ']' || c == '}'; }
// Ends a time of a time range.
bool IsTimeDelimiter(char c) { return IsSpace(c) || c == ',' || c == ']' || c == ')'; }

constexpr int64_t kOpenStart = std::numeric_limits<int64_t>::min();
constexpr int64_t kOpenEnd = std::numeric_limits<int64_t>::max();

constexpr std::string_view kWildcardHint =
    "only a trailing '*' is supported (prefix search); quote the word to search for a literal "
    "'*'";

enum class TokKind {
  kEnd,
  kLParen,
  kRParen,
  kPipe,
  kAnd,
  kOr,
  kNot,
  kMinus,
  kStar,
  kTerm,
  kFieldGroup,  // `field:(`; the leaves up to the matching ')' are values of the field
};

struct Token {
  TokKind kind = TokKind::kEnd;
  size_t pos = 0;
  size_t end = 0;
  std::unique_ptr<Node> term;  // kTerm
  std::string field;           // kFieldGroup
};

std::string_view TokenText(TokKind k) {
  switch (k) {
    case TokKind::kEnd:
      return "end of query";
    case TokKind::kLParen:
      return "'('";
    case TokKind::kRParen:
      return "')'";
    case TokKind::kPipe:
      return "'|'";
    case TokKind::kAnd:
      return "'AND'";
    case TokKind::kOr:
      return "'OR'";
    case TokKind::kNot:
      return "'NOT'";
    case TokKind::kMinus:
      return "'-'";
    case TokKind::kStar:
      return "'*'";
    case TokKind::kTerm:
      return "term";
    case TokKind::kFieldGroup:
      return "field group";
  }
  return "?";
}

bool StartsUnary(TokKind k) {
  return k == TokKind::kTerm || k == TokKind::kStar || k == TokKind::kLParen ||
         k == TokKind::kMinus || k == TokKind::kNot || k == TokKind::kFieldGroup;
}

// Recursive-descent parser with a one-token lookahead lexer. Every failure records the first
// error and unwinds by returning null / false.
class Parser {
 public:
  // Fills `*error` on failure.
  Parser(std::string_view text, const ParseOptions& options, QueryError* error)
      : text_(text), options_(options), error_(error) {}

  bool Parse(Query* q) {
    q->text = std::string(text_);
    if (!Peek()) return false;
    if (peek_.kind == TokKind::kEnd || peek_.kind == TokKind::kPipe) {
      q->filter = Node::Make(NodeKind::kMatchAll, peek_.pos);
    } else {
      q->filter = ParseOr();
      if (q->filter == nullptr) return false;
    }
    if (!Peek()) return false;
    if (peek_.kind == TokKind::kRParen) return Fail(peek_.pos, "unexpected ')' without '('");
    if (peek_.kind == TokKind::kPipe) return ParsePipes(peek_.end, &q->pipes);
    return true;
  }

 private:
  bool Fail(size_t offset, std::string message) {
    if (!failed_) *error_ = QueryError::At(text_, offset, std::move(message));
    failed_ = true;
    return false;
  }
  std::nullptr_t FailNull(size_t offset, std::string message) {
    Fail(offset, std::move(message));
    return nullptr;
  }

  // ---- Lexer ----

  bool Peek() {
    if (have_peek_) return true;
    if (!Lex(&peek_)) return false;
    have_peek_ = true;
    return true;
  }
  Token Take() {
    have_peek_ = false;
    return std::move(peek_);
  }

  bool Lex(Token* t) {
    while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
    *t = Token();
    t->pos = pos_;
    if (pos_ >= text_.size()) {
      t->kind = TokKind::kEnd;
      t->end = pos_;
      return true;
    }
    const char c = text_[pos_];
    auto single = [&](TokKind k) {
      t->kind = k;
      t->end = ++pos_;
      return true;
    };
    if (c == '(') return single(TokKind::kLParen);
    if (c == ')') return single(TokKind::kRParen);
    if (c == '|') return single(TokKind::kPipe);
    if (c == '-') {
      if (pos_ + 1 >= text_.size() || IsSpace(text_[pos_ + 1]) || text_[pos_ + 1] == ')' ||
          text_[pos_ + 1] == '|') {
        return Fail(pos_, "expected a term right after '-' (write \"-\" to search for a dash)");
      }
      return single(TokKind::kMinus);
    }
    t->kind = TokKind::kTerm;
    if (group_field_) return LexGroupLeaf(t);
    if (c == '"') {
      std::string s;
      if (!LexQuoted(&s)) return false;
      if (s.empty()) return Fail(t->pos, "empty phrase \"\"");
      t->term = Node::Make(NodeKind::kPhrase, t->pos);
      t->term->text = std::move(s);
      t->end = pos_;
      return true;
    }
    if (c == '~' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
      t->term = LexRegex(t->pos, "_msg");
      t->end = pos_;
      return t->term != nullptr;
    }
    // field:value or field:(...)?
    if (IsFieldStart(c)) {
      size_t j = pos_ + 1;
      while (j < text_.size() && IsFieldChar(text_[j])) ++j;
      if (j < text_.size() && text_[j] == ':') {
        std::string_view name = text_.substr(pos_, j - pos_);
        pos_ = j + 1;
        if (name != "_time" && pos_ < text_.size() && text_[pos_] == '(') {
          t->kind = TokKind::kFieldGroup;
          t->field = std::string(name);
          t->end = ++pos_;
          return true;
        }
        t->term = LexFieldValue(t->pos, name);
        t->end = pos_;
        return t->term != nullptr;
      }
    }
    size_t j = pos_;
    while (j < text_.size() && !IsDelimiter(text_[j])) ++j;
    std::string_view w = text_.substr(pos_, j - pos_);
    if (LexKeyword(w, t)) return true;
    if (size_t star = w.find('*'); star != std::string_view::npos) {
      if (star + 1 != w.size()) return Fail(pos_ + star, std::string(kWildcardHint));
      t->term = Node::Make(NodeKind::kPrefix, t->pos);
      t->term->text = std::string(w.substr(0, star));
      t->end = pos_ = j;
      return true;
    }
    t->term = Node::Make(NodeKind::kWord, t->pos);
    t->term->text = std::string(w);
    t->end = pos_ = j;
    return true;
  }

  // AND, OR, NOT and a lone `*` (whose meaning the caller decides).
  bool LexKeyword(std::string_view w, Token* t) {
    if (w != "AND" && w != "OR" && w != "NOT" && w != "*") return false;
    t->kind = w == "AND"   ? TokKind::kAnd
              : w == "OR"  ? TokKind::kOr
              : w == "NOT" ? TokKind::kNot
                           : TokKind::kStar;
    t->end = pos_ = pos_ + w.size();
    return true;
  }

  // A leaf inside `field:( ... )`: a value of that field (keywords stay keywords).
  bool LexGroupLeaf(Token* t) {
    size_t j = pos_;
    while (j < text_.size() && !IsDelimiter(text_[j])) ++j;
    std::string_view w = text_.substr(pos_, j - pos_);
    if (w != "*" && LexKeyword(w, t)) return true;
    t->term = LexFieldValue(t->pos, *group_field_);
    t->end = pos_;
    return t->term != nullptr;
  }

  // Reads a "quoted string" starting at pos_ (on the opening quote). `\"` and `\\` are escapes;
  // any other backslash is literal, so Windows paths need no doubling.
  bool LexQuoted(std::string* out) {
    const size_t open = pos_;
    size_t k = pos_ + 1;
    while (k < text_.size()) {
      const char c = text_[k];
      if (c == '\\' && k + 1 < text_.size() && (text_[k + 1] == '"' || text_[k + 1] == '\\')) {
        out->push_back(text_[k + 1]);
        k += 2;
      } else if (c == '"') {
        pos_ = k + 1;
        return true;
      } else {
        out->push_back(c);
        ++k;
      }
    }
    return Fail(open, "unterminated quoted string (missing closing '\"')");
  }

  // `~"pattern"` with pos_ on the '~'; the pattern must compile.
  std::unique_ptr<Node> LexRegex(size_t start, std::string_view field) {
    const size_t tilde = pos_;
    ++pos_;
    auto n = Node::Make(NodeKind::kRegex, start);
    n->field = std::string(field);
    if (!LexQuoted(&n->text)) return nullptr;
    if (n->text.empty()) {
      return FailNull(tilde, "empty regular expression (it would match everything)");
    }
    std::string error;
    if (internal::RegexMatcher::Compile(n->text, &error) == nullptr) {
      return FailNull(tilde, StrCat("invalid regular expression: ", error));
    }
    return n;
  }

  // Fails unless the value that ended at pos_ is followed by the end or a delimiter.
  bool ExpectValueEnd(std::string_view what) {
    if (pos_ >= text_.size() || IsDelimiter(text_[pos_])) return true;
    return Fail(pos_, StrCat("expected a space or ')' after ", what));
  }

  // Lexes what follows `name:` (pos_ is just after the colon).
  std::unique_ptr<Node> LexFieldValue(size_t start, std::string_view name) {
    if (name == "_time") return LexTime(start);
    const std::string prefix = StrCat("'", name, ":'");
    if (pos_ >= text_.size() || IsSpace(text_[pos_]) || text_[pos_] == ')' || text_[pos_] == '|' ||
        text_[pos_] == '(') {
      return FailNull(pos_, StrCat("expected a value after ", prefix, " (write ", name,
                                   ":\"\" for an empty value)"));
    }
    const char c = text_[pos_];
    if (c == '"') {
      auto n = Node::Make(NodeKind::kFieldEquals, start);
      n->field = std::string(name);
      n->quoted = true;
      if (!LexQuoted(&n->text)) return nullptr;
      return n;
    }
    if (c == '~' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
      return LexRegex(start, name);
    }
    if (c == '*' && (pos_ + 1 >= text_.size() || IsDelimiter(text_[pos_ + 1]))) {
      ++pos_;
      auto n = Node::Make(NodeKind::kFieldExists, start);
      n->field = std::string(name);
      return n;
    }
    if (c == '[' || c == '{') return LexRange(start, name);
    if (c == '<' || c == '>') {
      auto n = Node::Make(NodeKind::kFieldCompare, start);
      n->field = std::string(name);
      const bool eq = pos_ + 1 < text_.size() && text_[pos_ + 1] == '=';
      n->op = c == '<' ? (eq ? CompareOp::kLessEqual : CompareOp::kLess)
                       : (eq ? CompareOp::kGreaterEqual : CompareOp::kGreater);
      pos_ += eq ? 2 : 1;
      size_t j = pos_;
      while (j < text_.size() && !IsDelimiter(text_[j])) ++j;
      std::string_view num = text_.substr(pos_, j - pos_);
      if (num.empty()) {
        return FailNull(pos_,
                        StrCat("expected a number after '", name, ":", CompareOpText(n->op), "'"));
      }
      if (!internal::ParseNumber(num)) {
        return FailNull(pos_, StrCat("expected a number after '", name, ":", CompareOpText(n->op),
                                     "', got '", num, "'"));
      }
      n->text = std::string(num);
      pos_ = j;
      return n;
    }
    size_t j = pos_;
    while (j < text_.size() && !IsDelimiter(text_[j])) ++j;
    std::string_view v = text_.substr(pos_, j - pos_);
    if (size_t star = v.find('*'); star != std::string_view::npos) {
      if (star + 1 != v.size()) {
        return FailNull(pos_ + star,
                        StrCat("only a trailing '*' is supported (prefix match); write ", name,
                               ":\"...\" to match a literal '*'"));
      }
      auto n = Node::Make(NodeKind::kPrefix, start);
      n->field = std::string(name);
      n->text = std::string(v.substr(0, star));
      pos_ = j;
      return n;
    }
    auto n = Node::Make(NodeKind::kFieldEquals, start);
    n->field = std::string(name);
    n->text = std::string(v);
    pos_ = j;
    return n;
  }

  void SkipSpaces() {
    while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
  }
  std::string Where(size_t offset) const {
    QueryError at = QueryError::At(text_, offset, "");
    return StrCat(at.line, ":", at.column);
  }

  // One bound of a number range at pos_: a number or `*`. `which` is "lower" or "upper".
  bool LexRangeBound(std::string_view which, std::string* text, double* value, bool* open) {
    const size_t begin = pos_;
    while (pos_ < text_.size() && !IsRangeDelimiter(text_[pos_])) ++pos_;
    std::string_view b = text_.substr(begin, pos_ - begin);
    if (b == "*") {
      *open = true;
      text->assign(1, '*');
      *value = which == "lower" ? -HUGE_VAL : HUGE_VAL;
      return true;
    }
    std::optional<internal::Number> num = internal::ParseNumber(b);
    if (!num) {
      return Fail(begin, b.empty() ? StrCat("expected a number or '*' as the ", which,
                                            " bound of the range")
                                   : StrCat("expected a number or '*' as the ", which,
                                            " bound of the range, got '", b, "'"));
    }
    *text = std::string(b);
    *value = num->d;
    return true;
  }

  // `[lo TO hi]` and its exclusive / open variants, with pos_ on the opening bracket.
  std::unique_ptr<Node> LexRange(size_t start, std::string_view name) {
    const size_t open = pos_;
    auto n = Node::Make(NodeKind::kFieldRange, start);
    n->field = std::string(name);
    n->lo_inclusive = text_[pos_] == '[';
    ++pos_;
    SkipSpaces();
    if (!LexRangeBound("lower", &n->lo, &n->lo_value, &n->lo_open)) return nullptr;
    const size_t after_lo = pos_;
    SkipSpaces();
    if (pos_ == after_lo || text_.substr(pos_, 2) != "TO" || pos_ + 2 >= text_.size() ||
        !IsSpace(text_[pos_ + 2])) {
      return FailNull(pos_, "expected ' TO ' between the bounds of the range ([100 TO 200])");
    }
    pos_ += 2;
    SkipSpaces();
    if (!LexRangeBound("upper", &n->hi, &n->hi_value, &n->hi_open)) return nullptr;
    SkipSpaces();
    if (pos_ >= text_.size() || (text_[pos_] != ']' && text_[pos_] != '}')) {
      return FailNull(pos_,
                      StrCat("expected ']' or '}' to close the range opened at ", Where(open)));
    }
    n->hi_inclusive = text_[pos_] == ']';
    ++pos_;
    if (!n->lo_open && !n->hi_open) {
      const int cmp =
          internal::CompareNumbers(*internal::ParseNumber(n->lo), *internal::ParseNumber(n->hi));
      if (cmp > 0) {
        return FailNull(open, StrCat("empty range: the lower bound ", n->lo,
                                     " is greater than the upper bound ", n->hi));
      }
      if (cmp == 0 && !(n->lo_inclusive && n->hi_inclusive)) {
        return FailNull(open, StrCat("empty range: it excludes its only value ", n->lo, " (write [",
                                     n->lo, " TO ", n->hi, "])"));
      }
    }
    if (!ExpectValueEnd("the range")) return nullptr;
    return n;
  }

  // A time at pos_, up to a delimiter; `after` names what came before, for the error.
  std::optional<int64_t> LexTimestamp(std::string_view after) {
    const size_t begin = pos_;
    while (pos_ < text_.size() && !IsTimeDelimiter(text_[pos_]) && text_[pos_] != '|' &&
           text_[pos_] != '(' && text_[pos_] != '"') {
      ++pos_;
    }
    std::string_view s = text_.substr(begin, pos_ - begin);
    std::optional<int64_t> t = ParseTimestamp(s);
    if (!t) {
      Fail(begin, StrCat("expected a time (RFC 3339 as in 2026-11-27T10:00:00Z, a date or an "
                         "epoch number) after ",
                         after, s.empty() ? std::string() : StrCat(", got '", s, "'")));
    }
    return t;
  }

  // What follows `_time:` (pos_ just after the colon): a time range with `[` / `]` inclusive
  // and `(` / `)` exclusive ends, a comparison with a time, or a duration back from now.
  std::unique_ptr<Node> LexTime(size_t start) {
    auto n = Node::Make(NodeKind::kTimeRange, start);
    n->from_ns = kOpenStart;
    n->to_ns = kOpenEnd;
    const size_t value_pos = pos_;
    const char c = pos_ < text_.size() ? text_[pos_] : '\0';
    if (c == '[' || c == '(') {
      ++pos_;
      SkipSpaces();
      std::optional<int64_t> from = LexTimestamp(StrCat("'", std::string_view(&c, 1), "'"));
      if (!from) return nullptr;
      SkipSpaces();
      if (pos_ >= text_.size() || text_[pos_] != ',') {
        return FailNull(pos_, "expected ',' between the start and the end of the time range");
      }
      ++pos_;
      SkipSpaces();
      std::optional<int64_t> to = LexTimestamp("','");
      if (!to) return nullptr;
      SkipSpaces();
      if (pos_ >= text_.size() || (text_[pos_] != ']' && text_[pos_] != ')')) {
        return FailNull(pos_, StrCat("expected ']' or ')' to close the time range opened at ",
                                     Where(value_pos)));
      }
      n->from_ns = c == '[' ? *from : *from + 1;
      n->to_ns = text_[pos_] == ']' ? *to + 1 : *to;
      ++pos_;
    } else if (c == '<' || c == '>') {
      const bool eq = pos_ + 1 < text_.size() && text_[pos_ + 1] == '=';
      const size_t op_len = eq ? 2 : 1;
      std::string op(text_.substr(pos_, op_len));
      pos_ += op_len;
      std::optional<int64_t> t = LexTimestamp(StrCat("'_time:", op, "'"));
      if (!t) return nullptr;
      if (c == '>') {
        n->from_ns = eq ? *t : *t + 1;
      } else {
        n->to_ns = eq ? *t + 1 : *t;
      }
    } else if (c == '*' && (pos_ + 1 >= text_.size() || IsDelimiter(text_[pos_ + 1]))) {
      ++pos_;
      return Node::Make(NodeKind::kMatchAll, start);  // every record has a time
    } else {
      size_t j = pos_;
      while (j < text_.size() && !IsDelimiter(text_[j])) ++j;
      std::string_view d = text_.substr(pos_, j - pos_);
      std::optional<int64_t> dur = ParseDurationNanos(d);
      if (!dur || *dur <= 0) {
        return FailNull(pos_, StrCat("expected a duration (5m), a time range "
                                     "([2026-11-27T10:00:00Z, 2026-11-27T11:00:00Z)) or a "
                                     "comparison (>=2026-11-27T10:00:00Z) after '_time:'",
                                     d.empty() ? std::string() : StrCat(", got '", d, "'")));
      }
      pos_ = j;
      // [now - d, now], saturating for an extreme injected clock.
      if (__builtin_sub_overflow(options_.now_ns, *dur, &n->from_ns)) n->from_ns = kOpenStart;
      if (__builtin_add_overflow(options_.now_ns, 1, &n->to_ns)) n->to_ns = kOpenEnd;
    }
    if (n->from_ns >= n->to_ns) {
      return FailNull(value_pos, "empty time range: its start is not before its end");
    }
    if (!ExpectValueEnd("the time")) return nullptr;
    return n;
  }

  // ---- Grammar ----

  // Makes `kind` from `children`, or returns the single child.
  static std::unique_ptr<Node> Combine(NodeKind kind, std::vector<std::unique_ptr<Node>> children) {
    if (children.size() == 1) return std::move(children[0]);
    auto n = Node::Make(kind, children[0]->pos);
    n->children = std::move(children);
    return n;
  }

  std::unique_ptr<Node> ExpectTermAfter(const Token& op) {
    return FailNull(peek_.pos,
                    StrCat("expected a term after ", TokenText(op.kind),
                           peek_.kind == TokKind::kEnd ? std::string()
                                                       : StrCat(", got ", TokenText(peek_.kind))));
  }

  std::unique_ptr<Node> ParseOr() {
    std::vector<std::unique_ptr<Node>> children;
    auto first = ParseAnd();
    if (first == nullptr) return nullptr;
    children.push_back(std::move(first));
    for (;;) {
      if (!Peek()) return nullptr;
      if (peek_.kind != TokKind::kOr) break;
      Token op = Take();
      if (!Peek()) return nullptr;
      if (!StartsUnary(peek_.kind)) return ExpectTermAfter(op);
      auto next = ParseAnd();
      if (next == nullptr) return nullptr;
      children.push_back(std::move(next));
    }
    return Combine(NodeKind::kOr, std::move(children));
  }

  std::unique_ptr<Node> ParseAnd() {
    std::vector<std::unique_ptr<Node>> children;
    auto first = ParseUnary();
    if (first == nullptr) return nullptr;
    children.push_back(std::move(first));
    for (;;) {
      if (!Peek()) return nullptr;
      if (peek_.kind == TokKind::kAnd) {
        Token op = Take();
        if (!Peek()) return nullptr;
        if (!StartsUnary(peek_.kind)) return ExpectTermAfter(op);
      } else if (!StartsUnary(peek_.kind)) {
        break;
      }
      auto next = ParseUnary();
      if (next == nullptr) return nullptr;
      children.push_back(std::move(next));
    }
    return Combine(NodeKind::kAnd, std::move(children));
  }

  std::unique_ptr<Node> ParseUnary() {
    if (!Peek()) return nullptr;
    if (peek_.kind == TokKind::kNot || peek_.kind == TokKind::kMinus) {
      Token op = Take();
      if (!Peek()) return nullptr;
      if (!StartsUnary(peek_.kind)) return ExpectTermAfter(op);
      auto child = ParseUnary();
      if (child == nullptr) return nullptr;
      auto n = Node::Make(NodeKind::kNot, op.pos);
      n->children.push_back(std::move(child));
      return n;
    }
    return ParsePrimary();
  }

  std::unique_ptr<Node> ParsePrimary() {
    if (!Peek()) return nullptr;
    switch (peek_.kind) {
      case TokKind::kTerm:
        return Take().term;
      case TokKind::kStar:
        return Node::Make(NodeKind::kMatchAll, Take().pos);
      case TokKind::kLParen: {
        Token open = Take();
        if (!Peek()) return nullptr;
        if (peek_.kind == TokKind::kRParen) return FailNull(open.pos, "empty parentheses");
        if (!StartsUnary(peek_.kind)) {
          return FailNull(peek_.pos,
                          StrCat("expected a term after '(', got ", TokenText(peek_.kind)));
        }
        auto inner = ParseOr();
        if (inner == nullptr) return nullptr;
        if (!Peek()) return nullptr;
        if (peek_.kind != TokKind::kRParen) {
          QueryError at = QueryError::At(text_, open.pos, "");
          return FailNull(peek_.pos,
                          StrCat("expected ')' to close the '(' at ", at.line, ":", at.column));
        }
        Take();
        return inner;
      }
      case TokKind::kFieldGroup: {
        Token open = Take();
        const size_t paren = open.end - 1;
        group_field_ = open.field;
        if (!Peek()) return nullptr;
        if (peek_.kind == TokKind::kRParen) return FailNull(paren, "empty parentheses");
        if (!StartsUnary(peek_.kind)) {
          return FailNull(peek_.pos, StrCat("expected a value after '", open.field, ":(', got ",
                                            TokenText(peek_.kind)));
        }
        auto inner = ParseOr();
        if (inner == nullptr) return nullptr;
        if (!Peek()) return nullptr;
        if (peek_.kind != TokKind::kRParen) {
          return FailNull(peek_.pos, StrCat("expected ')' to close the '(' at ", Where(paren)));
        }
        Take();
        group_field_.reset();  // before the next token is lexed
        return inner;
      }
      case TokKind::kAnd:
      case TokKind::kOr:
        return FailNull(peek_.pos, StrCat("expected a term before ", TokenText(peek_.kind),
                                          " (write \"", peek_.kind == TokKind::kAnd ? "AND" : "OR",
                                          "\" to search for the word)"));
      case TokKind::kRParen:
        return FailNull(peek_.pos, "unexpected ')'");
      case TokKind::kPipe:
        return FailNull(peek_.pos, "expected a term before '|'");
      case TokKind::kEnd:
        return FailNull(peek_.pos, "expected a term");
      case TokKind::kNot:
      case TokKind::kMinus:
        break;  // handled by ParseUnary
    }
    return FailNull(peek_.pos, "unexpected token");
  }

  // Pipe stages, from byte `p` (just after the first '|'). Each stage is a name and its
  // arguments as written; the pipeline compiler gives them their meaning.
  bool ParsePipes(size_t p, std::vector<PipeStage>* stages) {
    auto word_end = [&](size_t j) {
      while (j < text_.size() && !IsPipeDelimiter(text_[j])) ++j;
      return j;
    };
    for (;;) {
      while (p < text_.size() && IsSpace(text_[p])) ++p;
      PipeStage st;
      st.pos = p;
      p = word_end(p);
      st.name = std::string(text_.substr(st.pos, p - st.pos));
      if (st.name.empty()) return Fail(st.pos, "expected a pipe stage name after '|'");
      for (;;) {
        while (p < text_.size() && IsSpace(text_[p])) ++p;
        if (p >= text_.size() || text_[p] == '|') break;
        PipeStage::Arg arg;
        arg.pos = p;
        const char c = text_[p];
        if (c == '"') {
          pos_ = p;
          if (!LexQuoted(&arg.text)) return false;
          arg.quoted = true;
          p = pos_;
        } else if (c == '(' || c == ')' || c == ',') {
          arg.text = std::string(1, c);
          ++p;
        } else {
          const size_t j = word_end(p);
          arg.text = std::string(text_.substr(p, j - p));
          p = j;
        }
        st.args.push_back(std::move(arg));
      }
      stages->push_back(std::move(st));
      if (p >= text_.size()) return true;
      ++p;  // '|'
    }
  }

  std::string_view text_;
  ParseOptions options_;
  size_t pos_ = 0;
  // Inside `field:( ... )`: the field that bare leaves are values of.
  std::optional<std::string> group_field_;
  bool have_peek_ = false;
  Token peek_;
  bool failed_ = false;
  QueryError* error_;
};

}  // namespace

absl::StatusOr<Query> ParseQuery(std::string_view text, const ParseOptions& options,
                                 QueryError* error) {
  QueryError e;
  Parser p(text, options, &e);
  Query q;
  if (!p.Parse(&q)) {
    if (error != nullptr) *error = e;
    return e.ToStatus();
  }
  return q;
}

absl::StatusOr<Query> ParseQuery(std::string_view text, QueryError* error) {
  ParseOptions options;
  options.now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return ParseQuery(text, options, error);
}

}  // namespace lode::query
