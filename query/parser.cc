#include "query/parser.h"

#include <optional>

#include "common/strings.h"
#include "query/internal/number.h"

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

// Stage names the language reserves for the next steps (docs/QUERY.md).
constexpr std::string_view kPlannedStages[] = {"fields", "sort", "limit", "head",
                                               "stats",  "top",  "uniq",  "count"};

enum class TokKind { kEnd, kLParen, kRParen, kPipe, kAnd, kOr, kNot, kMinus, kStar, kTerm };

struct Token {
  TokKind kind = TokKind::kEnd;
  size_t pos = 0;
  size_t end = 0;
  std::unique_ptr<Node> term;  // kTerm
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
  }
  return "?";
}

bool StartsUnary(TokKind k) {
  return k == TokKind::kTerm || k == TokKind::kStar || k == TokKind::kLParen ||
         k == TokKind::kMinus || k == TokKind::kNot;
}

// Recursive-descent parser with a one-token lookahead lexer. Every failure records the first
// error and unwinds by returning null / false.
class Parser {
 public:
  // Fills `*error` on failure.
  Parser(std::string_view text, QueryError* error) : text_(text), error_(error) {}

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
    if (c == '"') {
      std::string s;
      if (!LexQuoted(&s)) return false;
      if (s.empty()) return Fail(t->pos, "empty phrase \"\"");
      t->term = Node::Make(NodeKind::kPhrase, t->pos);
      t->term->text = std::move(s);
      t->end = pos_;
      return true;
    }
    // field:value?
    if (IsFieldStart(c)) {
      size_t j = pos_ + 1;
      while (j < text_.size() && IsFieldChar(text_[j])) ++j;
      if (j < text_.size() && text_[j] == ':') {
        std::string_view name = text_.substr(pos_, j - pos_);
        pos_ = j + 1;
        t->term = LexFieldValue(t->pos, name);
        t->end = pos_;
        return t->term != nullptr;
      }
    }
    size_t j = pos_;
    while (j < text_.size() && !IsDelimiter(text_[j])) ++j;
    std::string_view w = text_.substr(pos_, j - pos_);
    if (w == "AND" || w == "OR" || w == "NOT" || w == "*") {
      t->kind = w == "AND"   ? TokKind::kAnd
                : w == "OR"  ? TokKind::kOr
                : w == "NOT" ? TokKind::kNot
                             : TokKind::kStar;
      t->end = pos_ = j;
      return true;
    }
    if (size_t star = w.find('*'); star != std::string_view::npos) {
      return Fail(pos_ + star,
                  "wildcards are not supported yet; quote the word to search for a literal '*'");
    }
    t->term = Node::Make(NodeKind::kWord, t->pos);
    t->term->text = std::string(w);
    t->end = pos_ = j;
    return true;
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

  // Lexes what follows `name:` (pos_ is just after the colon).
  std::unique_ptr<Node> LexFieldValue(size_t start, std::string_view name) {
    if (name == "_time") {
      return FailNull(start,
                      "_time cannot be filtered in the query yet; use --from/--to/--since "
                      "(from=/to=/since= over HTTP)");
    }
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
    if (c == '*' && (pos_ + 1 >= text_.size() || IsDelimiter(text_[pos_ + 1]))) {
      ++pos_;
      auto n = Node::Make(NodeKind::kFieldExists, start);
      n->field = std::string(name);
      return n;
    }
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
      return FailNull(pos_ + star, StrCat("wildcards are not supported yet; write ", name,
                                          ":\"...\" to match a literal '*'"));
    }
    auto n = Node::Make(NodeKind::kFieldEquals, start);
    n->field = std::string(name);
    n->text = std::string(v);
    pos_ = j;
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

  // Pipe stages, from byte `p` (just after the first '|'). Arguments are kept as written;
  // each stage's own grammar belongs to the stage.
  bool ParsePipes(size_t p, std::vector<PipeStage>* stages) {
    for (;;) {
      while (p < text_.size() && IsSpace(text_[p])) ++p;
      PipeStage st;
      st.pos = p;
      while (p < text_.size() &&
             (IsAlpha(text_[p]) || text_[p] == '_' || (p > st.pos && IsDigit(text_[p])))) {
        ++p;
      }
      st.name = std::string(text_.substr(st.pos, p - st.pos));
      if (st.name.empty()) return Fail(st.pos, "expected a pipe stage name after '|'");
      for (;;) {
        while (p < text_.size() && IsSpace(text_[p])) ++p;
        if (p >= text_.size() || text_[p] == '|') break;
        PipeStage::Arg arg;
        arg.pos = p;
        if (text_[p] == '"') {
          pos_ = p;
          if (!LexQuoted(&arg.text)) return false;
          arg.quoted = true;
          p = pos_;
        } else {
          size_t j = p;
          while (j < text_.size() && !IsSpace(text_[j]) && text_[j] != '|' && text_[j] != '"') {
            ++j;
          }
          arg.text = std::string(text_.substr(p, j - p));
          p = j;
        }
        st.args.push_back(std::move(arg));
      }
      stages->push_back(std::move(st));
      if (p >= text_.size()) break;
      ++p;  // '|'
    }
    // No stage runs yet: point at the first one.
    const PipeStage& first = stages->front();
    for (std::string_view planned : kPlannedStages) {
      if (first.name == planned) {
        return Fail(first.pos, StrCat("pipe stage '", first.name, "' is not supported yet"));
      }
    }
    return Fail(first.pos, StrCat("unknown pipe stage '", first.name, "'"));
  }

  std::string_view text_;
  size_t pos_ = 0;
  bool have_peek_ = false;
  Token peek_;
  bool failed_ = false;
  QueryError* error_;
};

}  // namespace

absl::StatusOr<Query> ParseQuery(std::string_view text, QueryError* error) {
  QueryError e;
  Parser p(text, &e);
  Query q;
  if (!p.Parse(&q)) {
    if (error != nullptr) *error = e;
    return e.ToStatus();
  }
  return q;
}

}  // namespace lode::query
