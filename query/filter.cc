#include "query/filter.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <type_traits>

#include "query/internal/number.h"
#include "query/internal/regex_matcher.h"
#include "query/internal/text_search.h"

namespace lode::query {

using internal::Number;
using internal::TokenMatcher;

namespace {

enum class CKind {
  kAll,
  kNone,
  kAnd,
  kOr,
  kNot,
  kText,         // word, phrase or prefix anywhere
  kEquals,       // field:value
  kCompare,      // field:>=N
  kExists,       // field:*
  kFieldPrefix,  // field:abc*
  kRange,        // field:[lo TO hi]
  kRegex,        // ~"re", field:~"re"
  kTime,         // _time:...
};

constexpr std::string_view kMessageField = "_msg";

// Below this share of selected rows, a word is searched value by value instead of scanning
// every value's bytes.
constexpr size_t kSparseDivisor = 16;

}  // namespace

struct Filter::CNode {
  CKind kind = CKind::kAll;
  std::vector<std::unique_ptr<CNode>> children;
  std::optional<TokenMatcher> matcher;            // kText
  std::unique_ptr<internal::RegexMatcher> regex;  // kRegex
  std::string field;                              // field terms
  bool is_message = false;                        // field is `_msg`
  std::string value;                              // kEquals
  bool quoted = false;                            // kEquals: strings only
  std::optional<Number> number;                   // kEquals (when the value is a number), kCompare
  std::optional<bool> boolean;                    // kEquals (value `true` / `false`)
  CompareOp op = CompareOp::kGreaterEqual;
  // kRange: the bounds (nullopt: open end) and whether each end is included.
  std::optional<Number> lo, hi;
  bool lo_inclusive = true;
  bool hi_inclusive = true;
  int64_t from_ns = 0, to_ns = 0;  // kTime: [from_ns, to_ns)
  int cost = 0;                    // rough evaluation cost, to order AND children
};

void FilterScratch::Reset(size_t num_columns) {
  have_messages_ = false;
  have_columns_.assign(num_columns, false);
  if (folded_columns_.size() < num_columns) folded_columns_.resize(num_columns);
}

// Lowers an AST node, simplifying: nested AND/OR are flattened, `*` vanishes from AND and
// absorbs OR, double negation cancels, and AND children are ordered cheapest first.
std::unique_ptr<Filter::CNode> Filter::Lower(const Node& n) {
  using CNodePtr = std::unique_ptr<CNode>;
  auto c = std::make_unique<CNode>();
  switch (n.kind) {
    case NodeKind::kMatchAll:
      c->kind = CKind::kAll;
      return c;
    case NodeKind::kWord:
    case NodeKind::kPhrase:
      c->kind = CKind::kText;
      c->matcher.emplace(n.text);
      c->cost = 3;
      return c;
    case NodeKind::kFieldEquals:
      c->kind = CKind::kEquals;
      c->field = n.field;
      c->is_message = n.field == kMessageField;
      c->value = n.text;
      c->quoted = n.quoted;
      if (!n.quoted) {
        c->number = internal::ParseNumber(n.text);
        if (n.text == "true") c->boolean = true;
        if (n.text == "false") c->boolean = false;
      }
      c->cost = 1;
      return c;
    case NodeKind::kFieldCompare:
      c->kind = CKind::kCompare;
      c->field = n.field;
      c->is_message = n.field == kMessageField;
      c->number = internal::ParseNumber(n.text);
      c->op = n.op;
      c->cost = 1;
      if (!c->number || c->is_message) c->kind = CKind::kNone;
      return c;
    case NodeKind::kFieldExists:
      c->field = n.field;
      c->is_message = n.field == kMessageField;
      c->kind = c->is_message ? CKind::kAll : CKind::kExists;
      return c;
    case NodeKind::kPrefix:
      if (n.field.empty()) {
        c->kind = CKind::kText;
        c->matcher.emplace(n.text, /*prefix=*/true);
        c->cost = 3;
        return c;
      }
      c->kind = CKind::kFieldPrefix;
      c->field = n.field;
      c->is_message = n.field == kMessageField;
      c->value = n.text;
      c->cost = 1;
      return c;
    case NodeKind::kFieldRange:
      c->kind = CKind::kRange;
      c->field = n.field;
      if (!n.lo_open) c->lo = internal::ParseNumber(n.lo);
      if (!n.hi_open) c->hi = internal::ParseNumber(n.hi);
      c->lo_inclusive = n.lo_inclusive;
      c->hi_inclusive = n.hi_inclusive;
      c->cost = 1;
      if (n.field == kMessageField || (!n.lo_open && !c->lo) || (!n.hi_open && !c->hi)) {
        c->kind = CKind::kNone;
      }
      return c;
    case NodeKind::kRegex: {
      c->kind = CKind::kRegex;
      c->field = n.field;
      c->is_message = n.field.empty() || n.field == kMessageField;
      std::string error;
      c->regex = internal::RegexMatcher::Compile(n.text, &error);
      if (c->regex == nullptr) c->kind = CKind::kNone;  // the parser rejects these
      c->cost = 5;
      return c;
    }
    case NodeKind::kTimeRange:
      c->kind = n.from_ns < n.to_ns ? CKind::kTime : CKind::kNone;
      c->from_ns = n.from_ns;
      c->to_ns = n.to_ns;
      c->cost = 0;
      return c;
    case NodeKind::kNot: {
      CNodePtr child = Lower(*n.children[0]);
      if (child->kind == CKind::kNot) return std::move(child->children[0]);
      if (child->kind == CKind::kAll || child->kind == CKind::kNone) {
        child->kind = child->kind == CKind::kAll ? CKind::kNone : CKind::kAll;
        return child;
      }
      c->kind = CKind::kNot;
      c->cost = child->cost;
      c->children.push_back(std::move(child));
      return c;
    }
    case NodeKind::kAnd:
    case NodeKind::kOr: {
      const bool is_and = n.kind == NodeKind::kAnd;
      c->kind = is_and ? CKind::kAnd : CKind::kOr;
      // The identity element (all for AND, none for OR) disappears; the absorbing one wins.
      const CKind identity = is_and ? CKind::kAll : CKind::kNone;
      const CKind absorbing = is_and ? CKind::kNone : CKind::kAll;
      for (const auto& child_ast : n.children) {
        CNodePtr child = Lower(*child_ast);
        if (child->kind == identity) continue;
        if (child->kind == absorbing) return child;
        if (child->kind == c->kind) {
          for (auto& g : child->children) c->children.push_back(std::move(g));
        } else {
          c->children.push_back(std::move(child));
        }
      }
      if (c->children.empty()) {
        c->kind = identity;
        return c;
      }
      if (c->children.size() == 1) return std::move(c->children[0]);
      if (is_and) {
        std::stable_sort(c->children.begin(), c->children.end(),
                         [](const CNodePtr& a, const CNodePtr& b) { return a->cost < b->cost; });
      }
      for (const auto& ch : c->children) c->cost = std::max(c->cost, ch->cost);
      return c;
    }
  }
  return c;
}

// Evaluates compiled nodes against one batch.
class Filter::Evaluator {
 public:
  Evaluator(const RecordBatch& batch, FilterScratch* scratch) : batch_(batch), scratch_(scratch) {}

  // Sets `out` to the rows of `in` that match `n`.
  void Eval(const CNode& n, const Selection& in, Selection* out) {
    switch (n.kind) {
      case CKind::kAll:
        *out = in;
        return;
      case CKind::kNone:
        out->ClearLike(in);
        return;
      case CKind::kAnd: {
        Selection cur = in;
        for (const auto& child : n.children) {
          Eval(*child, cur, out);
          if (out->None()) return;
          std::swap(cur, *out);
        }
        *out = std::move(cur);
        return;
      }
      case CKind::kOr: {
        out->ClearLike(in);
        Selection remaining = in;
        Selection hit;
        for (const auto& child : n.children) {
          Eval(*child, remaining, &hit);
          out->Or(hit);
          remaining.AndNot(hit);
          if (remaining.None()) return;
        }
        return;
      }
      case CKind::kNot: {
        Selection hit;
        Eval(*n.children[0], in, &hit);
        *out = in;
        out->AndNot(hit);
        return;
      }
      case CKind::kText:
        out->ClearLike(in);
        EvalText(*n.matcher, in, out);
        return;
      case CKind::kEquals:
        out->ClearLike(in);
        EvalEquals(n, in, out);
        return;
      case CKind::kCompare:
        out->ClearLike(in);
        EvalCompare(n, in, out);
        return;
      case CKind::kFieldPrefix:
        out->ClearLike(in);
        EvalStrings(n, in, out, [&](std::string_view v) { return v.starts_with(n.value); });
        return;
      case CKind::kRange:
        out->ClearLike(in);
        EvalRange(n, in, out);
        return;
      case CKind::kRegex:
        out->ClearLike(in);
        // Message templates that the read's expand predicate rejected hold no match of any
        // message regex of the query (the planner built the predicate from them all).
        EvalStrings(
            n, in, out, [&](std::string_view v) { return n.regex->PartialMatch(v); },
            n.is_message ? &batch_.messages().DictionaryAccepted() : nullptr);
        return;
      case CKind::kTime: {
        out->ClearLike(in);
        const std::vector<int64_t>& times = batch_.times();
        in.ForEach([&](size_t row) {
          if (times[row] >= n.from_ns && times[row] < n.to_ns) out->Set(row);
        });
        return;
      }
      case CKind::kExists:
        out->ClearLike(in);
        for (int t = 0; t < kNumFieldTypes; ++t) {
          const Column* col = batch_.FindColumn(n.field, static_cast<FieldType>(t));
          if (col == nullptr) continue;
          for (uint32_t row : col->rows) {
            if (in.Test(row)) out->Set(row);
          }
        }
        return;
    }
  }

 private:
  const std::string& FoldedMessages() {
    if (!scratch_->have_messages_) {
      internal::FoldAsciiCase(batch_.messages().bytes(), &scratch_->folded_messages_);
      scratch_->have_messages_ = true;
    }
    return scratch_->folded_messages_;
  }
  const std::string& FoldedColumn(size_t ci) {
    if (!scratch_->have_columns_[ci]) {
      internal::FoldAsciiCase(batch_.columns()[ci].strings.bytes(), &scratch_->folded_columns_[ci]);
      scratch_->have_columns_[ci] = true;
    }
    return scratch_->folded_columns_[ci];
  }
  // Folds value `i` of `sd` on its own (into scratch), for sparse searches.
  std::string_view FoldOne(const StringData& sd, size_t i) {
    internal::FoldAsciiCase(sd.Get(i), &scratch_->value_);
    return scratch_->value_;
  }

  // Sets in `out` the rows `row_of(i)` of the values i of `sd` (all of them when `row_of` is
  // null) that are in `in` and satisfy `pred`. Values with a code (StringData) are decided once
  // per code: a message template, a dictionary entry. A code that `accepted` (when given and
  // not empty) marks 0 is known to fail `pred`.
  template <typename Pred>
  void EvalValues(const StringData& sd, const uint32_t* row_of, const Selection& in, Selection* out,
                  Pred pred, const std::vector<uint8_t>* accepted = nullptr) {
    if (accepted != nullptr && accepted->size() == sd.num_codes() && sd.has_codes()) {
      auto judged = [&](uint32_t c) { return (*accepted)[c] != 0 && pred(sd.DictionaryValue(c)); };
      EvalCodes(sd, row_of, in, out, pred, judged);
      return;
    }
    EvalCodes(sd, row_of, in, out, pred, [&](uint32_t c) { return pred(sd.DictionaryValue(c)); });
  }
  // EvalValues with `by_code(c)`, the verdict for a code (used in dictionary form only).
  template <typename Pred, typename ByCode>
  void EvalCodes(const StringData& sd, const uint32_t* row_of, const Selection& in, Selection* out,
                 Pred pred, ByCode by_code) {
    if (!sd.has_codes()) {
      if (row_of == nullptr) {  // one value per row: visit only the selected ones
        in.ForEach([&](size_t row) {
          if (pred(sd.Get(row))) out->Set(row);
        });
        return;
      }
      for (size_t i = 0; i < sd.size(); ++i) {
        if (in.Test(row_of[i]) && pred(sd.Get(i))) out->Set(row_of[i]);
      }
      return;
    }
    std::vector<int8_t>& memo = scratch_->memo_;
    memo.assign(sd.num_codes(), -1);
    // A dictionary with a value in every row (a column present in all rows has its rows in
    // order, one each) and fewer entries than rows: decide every entry first, then build the
    // result 64 rows at a time without a branch per row.
    const size_t n = sd.size();
    if (sd.dictionary_form() && n == in.size() && sd.num_codes() <= n) {
      for (uint32_t c = 0; c < sd.num_codes(); ++c) memo[c] = by_code(c) ? 1 : 0;
      for (size_t w = 0; w < in.num_words(); ++w) {
        const uint64_t want = in.word(w);
        if (want == 0) continue;
        uint64_t bits = 0;
        const size_t end = std::min(n, w * 64 + 64);
        for (size_t i = w * 64; i < end; ++i) {
          const uint32_t code = sd.code(i);
          const bool hit = code != StringData::kNoCode
                               ? memo[code] != 0
                               : ((want >> (i - w * 64)) & 1) != 0 && pred(sd.Get(i));
          bits |= static_cast<uint64_t>(hit) << (i - w * 64);
        }
        out->OrWord(w, bits & want);
      }
      return;
    }
    for (size_t i = 0; i < sd.size(); ++i) {
      const size_t row = row_of != nullptr ? row_of[i] : i;
      if (!in.Test(row)) continue;
      const uint32_t code = sd.code(i);
      bool hit;
      if (code == StringData::kNoCode) {
        hit = pred(sd.Get(i));
      } else if (memo[code] >= 0) {
        hit = memo[code] != 0;
      } else {
        hit = sd.dictionary_form() ? by_code(code) : pred(sd.Get(i));
        memo[code] = hit ? 1 : 0;
      }
      if (hit) out->Set(row);
    }
  }

  // Whether a word search in `sd` is better done value by value, per code: when most values
  // have codes (then the folded copy of all bytes is not made).
  static bool ByCode(const StringData& sd) {
    if (sd.dictionary_form()) return true;  // bytes() lacks the coded values
    if (!sd.has_codes()) return false;
    size_t uncoded = 0;
    for (size_t i = 0; i < sd.size(); ++i) uncoded += sd.code(i) == StringData::kNoCode;
    return uncoded * kSparseDivisor < sd.size();
  }

  // Word or phrase in the message or any string field.
  void EvalText(const TokenMatcher& m, const Selection& in, Selection* out) {
    const size_t n = batch_.num_rows();
    Selection remaining = in;
    auto match_one = [&](std::string_view v) {
      internal::FoldAsciiCase(v, &scratch_->value_);
      return m.MatchFolded(scratch_->value_);
    };
    // Message.
    const StringData& msgs = batch_.messages();
    if (ByCode(msgs) && (msgs.dictionary_form() || !scratch_->have_messages_)) {
      EvalValues(msgs, nullptr, remaining, out, match_one);
    } else if (remaining.Count() * kSparseDivisor >= n) {
      m.SearchAll(FoldedMessages(), msgs.ends(), nullptr, remaining, out);
    } else {
      remaining.ForEach([&](size_t row) {
        if (m.MatchFolded(FoldOne(msgs, row))) out->Set(row);
      });
    }
    remaining.AndNot(*out);
    // String fields.
    const std::vector<Column>& cols = batch_.columns();
    for (size_t ci = 0; ci < cols.size(); ++ci) {
      const Column& col = cols[ci];
      if (col.type != FieldType::kString || col.rows.empty()) continue;
      const size_t left = remaining.Count();
      if (left == 0) return;
      if (ByCode(col.strings) && (col.strings.dictionary_form() || !scratch_->have_columns_[ci])) {
        EvalValues(col.strings, col.rows.data(), remaining, out, match_one);
      } else if (left * kSparseDivisor >= n || scratch_->have_columns_[ci]) {
        m.SearchAll(FoldedColumn(ci), col.strings.ends(), col.rows.data(), remaining, out);
      } else {
        for (size_t i = 0; i < col.rows.size(); ++i) {
          const uint32_t row = col.rows[i];
          if (remaining.Test(row) && m.MatchFolded(FoldOne(col.strings, i))) out->Set(row);
        }
      }
      remaining.AndNot(*out);
    }
  }

  void EvalEquals(const CNode& n, const Selection& in, Selection* out) {
    if (n.is_message) {
      const StringData& msgs = batch_.messages();
      in.ForEach([&](size_t row) {
        if (msgs.Get(row) == n.value) out->Set(row);
      });
      return;
    }
    if (const Column* col = batch_.FindColumn(n.field, FieldType::kString)) {
      EvalValues(col->strings, col->rows.data(), in, out,
                 [&](std::string_view v) { return v == n.value; });
    }
    if (n.number) {
      if (const Column* col = batch_.FindColumn(n.field, FieldType::kInt64)) {
        for (size_t i = 0; i < col->rows.size(); ++i) {
          const uint32_t row = col->rows[i];
          if (in.Test(row) && internal::CompareToNumber(col->ints[i], *n.number) == 0) {
            out->Set(row);
          }
        }
      }
      if (const Column* col = batch_.FindColumn(n.field, FieldType::kDouble)) {
        for (size_t i = 0; i < col->rows.size(); ++i) {
          const uint32_t row = col->rows[i];
          if (in.Test(row) && internal::CompareToNumber(col->doubles[i], *n.number) == 0) {
            out->Set(row);
          }
        }
      }
    }
    if (n.boolean) {
      if (const Column* col = batch_.FindColumn(n.field, FieldType::kBool)) {
        const int64_t want = *n.boolean ? 1 : 0;
        for (size_t i = 0; i < col->rows.size(); ++i) {
          const uint32_t row = col->rows[i];
          if (in.Test(row) && col->ints[i] == want) out->Set(row);
        }
      }
    }
  }

  // Rows of `in` whose message (n.is_message) or string value of n.field satisfies `pred`.
  template <typename Pred>
  void EvalStrings(const CNode& n, const Selection& in, Selection* out, Pred pred,
                   const std::vector<uint8_t>* accepted = nullptr) {
    if (n.is_message) {
      EvalValues(batch_.messages(), nullptr, in, out, pred, accepted);
      return;
    }
    if (const Column* col = batch_.FindColumn(n.field, FieldType::kString)) {
      EvalValues(col->strings, col->rows.data(), in, out, pred);
    }
  }

  template <typename T>
  static bool InRange(const CNode& n, T v) {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(v)) return false;
    }
    if (n.lo) {
      std::optional<int> c = internal::CompareToNumber(v, *n.lo);
      if (!c || *c < 0 || (*c == 0 && !n.lo_inclusive)) return false;
    }
    if (n.hi) {
      std::optional<int> c = internal::CompareToNumber(v, *n.hi);
      if (!c || *c > 0 || (*c == 0 && !n.hi_inclusive)) return false;
    }
    return true;
  }

  void EvalRange(const CNode& n, const Selection& in, Selection* out) {
    if (const Column* col = batch_.FindColumn(n.field, FieldType::kInt64)) {
      for (size_t i = 0; i < col->rows.size(); ++i) {
        const uint32_t row = col->rows[i];
        if (in.Test(row) && InRange(n, col->ints[i])) out->Set(row);
      }
    }
    if (const Column* col = batch_.FindColumn(n.field, FieldType::kDouble)) {
      for (size_t i = 0; i < col->rows.size(); ++i) {
        const uint32_t row = col->rows[i];
        if (in.Test(row) && InRange(n, col->doubles[i])) out->Set(row);
      }
    }
  }

  static bool Holds(CompareOp op, int cmp) {
    switch (op) {
      case CompareOp::kLess:
        return cmp < 0;
      case CompareOp::kLessEqual:
        return cmp <= 0;
      case CompareOp::kGreater:
        return cmp > 0;
      case CompareOp::kGreaterEqual:
        return cmp >= 0;
    }
    return false;
  }

  void EvalCompare(const CNode& n, const Selection& in, Selection* out) {
    if (const Column* col = batch_.FindColumn(n.field, FieldType::kInt64)) {
      for (size_t i = 0; i < col->rows.size(); ++i) {
        const uint32_t row = col->rows[i];
        if (!in.Test(row)) continue;
        std::optional<int> c = internal::CompareToNumber(col->ints[i], *n.number);
        if (c && Holds(n.op, *c)) out->Set(row);
      }
    }
    if (const Column* col = batch_.FindColumn(n.field, FieldType::kDouble)) {
      for (size_t i = 0; i < col->rows.size(); ++i) {
        const uint32_t row = col->rows[i];
        if (!in.Test(row)) continue;
        std::optional<int> c = internal::CompareToNumber(col->doubles[i], *n.number);
        if (c && Holds(n.op, *c)) out->Set(row);
      }
    }
  }

  const RecordBatch& batch_;
  FilterScratch* scratch_;
};

Filter::Filter(std::unique_ptr<CNode> root) : root_(std::move(root)) {}
Filter::Filter(Filter&&) noexcept = default;
Filter& Filter::operator=(Filter&&) noexcept = default;
Filter::~Filter() = default;

Filter Filter::Compile(const Node& root) { return Filter(Lower(root)); }

bool Filter::matches_all() const { return root_->kind == CKind::kAll; }

bool Filter::uses_times() const {
  auto uses = [](const CNode& n, const auto& self) -> bool {
    if (n.kind == CKind::kTime) return true;
    for (const auto& c : n.children) {
      if (self(*c, self)) return true;
    }
    return false;
  };
  return uses(*root_, uses);
}

void Filter::Evaluate(const RecordBatch& batch, Selection* sel, FilterScratch* scratch) const {
  if (root_->kind == CKind::kAll) return;
  scratch->Reset(batch.columns().size());
  Evaluator ev(batch, scratch);
  Selection out;
  ev.Eval(*root_, *sel, &out);
  *sel = std::move(out);
}

}  // namespace lode::query
