#include "query/planner.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <optional>
#include <set>

#include "common/strings.h"
#include "index/hash.h"
#include "index/terms.h"
#include "index/tokenizer.h"
#include "query/internal/number.h"
#include "query/internal/regex_matcher.h"
#include "storage/segment_format.h"

namespace lode::query {
namespace {

constexpr std::string_view kMsg = "_msg";
// A prefix that expands to more dictionary keys than this is not worth narrowing by.
constexpr size_t kMaxPrefixKeys = 20000;

// Per block: -1 the block must be read, 0 nothing matches, k > 0 exactly k records match.
using Counts = std::vector<int64_t>;

std::string Quote(std::string_view s) { return StrCat("\"", s, "\""); }

// Under (?i) RE2 also matches `k` to U+212A (Kelvin sign) and `s` to U+017F (long s), which the
// index, folding ASCII only, stores as other bytes: terms with those letters cannot narrow.
void DropNonAsciiFolds(index::NeedleTerms* t) {
  auto has_ks = [](std::string_view s) { return s.find_first_of("ks") != std::string_view::npos; };
  std::erase_if(t->exact, [&](const std::string& e) { return has_ks(e); });
  const size_t cut = t->partial.find_first_of("ks");
  if (cut != std::string::npos) t->partial.resize(cut);
  if (t->partial.size() < index::kTailPrefixBytes) t->partial.clear();
}

std::string DescribeTerms(const index::NeedleTerms& t) {
  std::string out;
  for (const std::string& e : t.exact) StrAppend(&out, out.empty() ? "" : " AND ", Quote(e));
  if (!t.partial.empty()) StrAppend(&out, out.empty() ? "" : " AND ", Quote(t.partial), "*");
  return out.empty() ? "nothing to look up (every block is read)" : out;
}

}  // namespace

struct Planner::Compiled {
  struct PNode {
    NodeKind kind = NodeKind::kMatchAll;
    std::vector<std::unique_ptr<PNode>> children;
    std::string field;  // "" for any text field
    std::string text;
    index::NeedleTerms terms;   // text leaves; kFieldEquals: the value's; kPrefix: the prefix's
    bool exact_needle = false;  // one dictionary term says exactly where the text occurs
    bool quoted = false;
    std::optional<internal::Number> number, lo, hi;
    std::optional<bool> boolean;
    bool lo_inclusive = true, hi_inclusive = true;
    int64_t from_ns = 0, to_ns = 0;
    std::unique_ptr<internal::RegexMatcher> regex;
    std::vector<index::NeedleTerms> atoms;  // kRegex: the terms of each prefilter atom
    bool regex_unfiltered = false;          // no atoms: every block is read
  };
  std::unique_ptr<PNode> root;
  bool skeleton_ok = true;
  // With message regexes: which templates must be decoded in full.
  std::shared_ptr<const storage::MessageExpandPredicate> expand;

  static std::unique_ptr<PNode> Lower(const Node& n);
  // Whether every part of the filter that reads the message is fine with skeletons; collects
  // the message regexes, whose templates decide what must be decoded in full.
  static bool SkeletonOk(const PNode& n, std::vector<const PNode*>* regexes);
};

bool MayMatchTemplate(const std::vector<const Planner::Compiled::PNode*>& regexes,
                      std::string_view skeleton);

bool Planner::Compiled::SkeletonOk(const PNode& n, std::vector<const PNode*>* regexes) {
  auto digit_free = [](std::string_view t) {
    return t.find_first_of("0123456789") == std::string_view::npos;
  };
  switch (n.kind) {
    case NodeKind::kAnd:
    case NodeKind::kOr:
    case NodeKind::kNot:
      for (const auto& c : n.children) {
        if (!SkeletonOk(*c, regexes)) return false;
      }
      return true;
    case NodeKind::kWord:
    case NodeKind::kPhrase:
      return digit_free(n.text);
    case NodeKind::kPrefix: {
      // A token that starts with letters a-f alone may be a hex id, which reads "0" in a
      // skeleton: such prefixes ("bb*", "session-cafe*") look at the values in full.
      size_t run = n.text.size();
      while (run > 0 && std::isalnum(static_cast<unsigned char>(n.text[run - 1]))) --run;
      const std::string_view last = std::string_view(n.text).substr(run);
      const bool may_start_hex_id =
          !last.empty() && last.find_first_not_of("abcdefABCDEF") == std::string_view::npos;
      return n.field.empty() ? digit_free(n.text) && !may_start_hex_id : n.field != kMsg;
    }
    case NodeKind::kRegex:
      if (!(n.field.empty() || n.field == kMsg)) return true;
      // A message regex with required literals: the templates that can hold them are decoded
      // in full, the others stay skeletons (where the regex cannot match either).
      if (n.regex == nullptr || n.regex_unfiltered) return false;
      regexes->push_back(&n);
      return true;
    case NodeKind::kFieldEquals:
      return n.field != kMsg;
    default:
      return true;
  }
}

// Whether a message of the template with this skeleton could match one of `regexes`, judged by
// their required literals (the skeleton's digits stand for unknown numbers).
bool MayMatchTemplate(const std::vector<const Planner::Compiled::PNode*>& regexes,
                      std::string_view skeleton) {
  for (const Planner::Compiled::PNode* r : regexes) {
    if (r->regex->MayMatch(skeleton, /*skeleton=*/true)) return true;
  }
  return false;
}

std::unique_ptr<Planner::Compiled::PNode> Planner::Compiled::Lower(const Node& n) {
  auto p = std::make_unique<PNode>();
  p->kind = n.kind;
  p->field = n.field;
  p->text = n.text;
  p->quoted = n.quoted;
  for (const auto& c : n.children) p->children.push_back(Lower(*c));
  switch (n.kind) {
    case NodeKind::kWord:
    case NodeKind::kPhrase: {
      p->terms = index::TermsOfNeedle(n.text, false);
      p->exact_needle = p->terms.exact.size() == 1 && p->terms.partial.empty() &&
                        p->terms.exact[0].size() < index::kMaxTermBytes &&
                        p->terms.exact[0] == index::FoldedCopy(n.text);
      break;
    }
    case NodeKind::kPrefix:
      p->terms = index::TermsOfNeedle(n.text, true);
      break;
    case NodeKind::kFieldEquals:
      p->terms = index::TermsOfNeedle(n.text, false);
      if (!n.quoted) {
        p->number = internal::ParseNumber(n.text);
        if (n.text == "true") p->boolean = true;
        if (n.text == "false") p->boolean = false;
      }
      break;
    case NodeKind::kFieldCompare: {
      std::optional<internal::Number> v = internal::ParseNumber(n.text);
      const bool strict = n.op == CompareOp::kLess || n.op == CompareOp::kGreater;
      if (n.op == CompareOp::kGreater || n.op == CompareOp::kGreaterEqual) {
        p->lo = v;
        p->lo_inclusive = !strict;
      } else {
        p->hi = v;
        p->hi_inclusive = !strict;
      }
      p->number = v;
      break;
    }
    case NodeKind::kFieldRange:
      if (!n.lo_open) p->lo = internal::ParseNumber(n.lo);
      if (!n.hi_open) p->hi = internal::ParseNumber(n.hi);
      p->lo_inclusive = n.lo_inclusive;
      p->hi_inclusive = n.hi_inclusive;
      break;
    case NodeKind::kRegex: {
      std::string error;
      p->regex = internal::RegexMatcher::Compile(n.text, &error);  // the parser checked it
      if (p->regex == nullptr || p->regex->atoms().empty()) {
        p->regex_unfiltered = true;
        break;
      }
      for (const std::string& a : p->regex->atoms()) {
        index::NeedleTerms t = index::TermsOfAtom(a);
        if (p->regex->folds_case()) DropNonAsciiFolds(&t);
        p->atoms.push_back(std::move(t));
      }
      break;
    }
    case NodeKind::kTimeRange:
      p->from_ns = n.from_ns;
      p->to_ns = n.to_ns;
      break;
    default:
      break;
  }
  return p;
}

namespace {

using PNode = Planner::Compiled::PNode;  // NOLINT: used by the evaluator below

}  // namespace

// Evaluates a plan tree over one source.
class PlanEval {
 public:
  PlanEval(const storage::BlockSource& src, BlockPlan* plan)
      : src_(src), meta_(src.meta()), ix_(src.index()), plan_(plan) {
    nb_ = meta_.blocks.size();
    in_window_.assign(nb_, true);
    for (size_t i = 0; i < meta_.fields.size(); ++i) {
      by_name_[meta_.fields[i].name].push_back(static_cast<uint32_t>(i));
    }
  }

  Counts Eval(const PNode& n) {
    switch (n.kind) {
      case NodeKind::kMatchAll:
        return All();
      case NodeKind::kAnd: {
        Counts acc = Eval(*n.children[0]);
        for (size_t k = 1; k < n.children.size(); ++k) {
          Counts c = Eval(*n.children[k]);
          for (size_t b = 0; b < nb_; ++b) acc[b] = And(acc[b], c[b], Rows(b));
        }
        return acc;
      }
      case NodeKind::kOr: {
        Counts acc = Eval(*n.children[0]);
        for (size_t k = 1; k < n.children.size(); ++k) {
          Counts c = Eval(*n.children[k]);
          for (size_t b = 0; b < nb_; ++b) acc[b] = Or(acc[b], c[b], Rows(b));
        }
        return acc;
      }
      case NodeKind::kNot: {
        Counts c = Eval(*n.children[0]);
        for (size_t b = 0; b < nb_; ++b) {
          if (c[b] >= 0) c[b] = Rows(b) - c[b];
        }
        return c;
      }
      case NodeKind::kWord:
      case NodeKind::kPhrase:
        return Text(n.terms, -1, n.exact_needle);
      case NodeKind::kPrefix:
        if (n.field.empty()) return Text(n.terms, -1, false);
        if (n.field == kMsg) return Text(n.terms, 0, false);
        return StringField(n.field, [&](int fn) { return Text(n.terms, fn, false); });
      case NodeKind::kFieldEquals:
        return Equals(n);
      case NodeKind::kFieldCompare:
      case NodeKind::kFieldRange:
        return NumericRange(n);
      case NodeKind::kFieldExists:
        return Exists(n.field);
      case NodeKind::kRegex:
        return Regex(n);
      case NodeKind::kTimeRange:
        return Time(n.from_ns, n.to_ns);
    }
    return Unknown();
  }

  Counts Time(int64_t from, int64_t to) {
    Counts c(nb_);
    for (size_t b = 0; b < nb_; ++b) {
      const storage::BlockMeta& bm = meta_.blocks[b];
      if (bm.max_time < from || bm.min_time >= to) {
        c[b] = 0;
      } else if (bm.min_time >= from && bm.max_time < to) {
        c[b] = Rows(b);
      } else {
        c[b] = -1;
      }
    }
    return c;
  }
  // The blocks of the query's time window (`window` from Time()): the others are not judged
  // further, so their chunk entries (for numeric ranges) stay unparsed.
  void SetWindow(const Counts& window) {
    for (size_t b = 0; b < nb_; ++b) in_window_[b] = window[b] != 0;
  }

  void Finish() {
    if (all_columns_ || ix_ == nullptr) {
      plan_->all_columns = true;
      return;
    }
    plan_->columns.assign(columns_.begin(), columns_.end());
  }

 private:
  int64_t Rows(size_t b) const { return meta_.blocks[b].num_rows; }
  Counts All() const {
    Counts c(nb_);
    for (size_t b = 0; b < nb_; ++b) c[b] = Rows(b);
    return c;
  }
  Counts Unknown() const { return Counts(nb_, -1); }
  static int64_t And(int64_t a, int64_t b, int64_t rows) {
    if (a == 0 || b == 0) return 0;
    if (a == rows) return b;
    if (b == rows) return a;
    return -1;
  }
  static int64_t Or(int64_t a, int64_t b, int64_t rows) {
    if (a == 0) return b;
    if (b == 0) return a;
    if (a == rows || b == rows) return rows;
    return -1;
  }

  void NeedField(std::string_view name) {
    if (name == kMsg) {
      columns_.insert(storage::kMessageColumnId);
      return;
    }
    auto it = by_name_.find(std::string(name));
    if (it == by_name_.end()) return;
    for (uint32_t i : it->second) columns_.insert(storage::kFirstFieldColumnId + i);
  }
  void NeedTextField(int fn) {
    if (fn == 0) {
      columns_.insert(storage::kMessageColumnId);
      return;
    }
    const std::string& name = ix_->text_fields()[fn];
    auto it = by_name_.find(name);
    if (it == by_name_.end()) return;
    for (uint32_t i : it->second) {
      if (meta_.fields[i].type == FieldType::kString) {
        columns_.insert(storage::kFirstFieldColumnId + i);
      }
    }
  }
  void NeedAllText(int only_field) {
    if (only_field >= 0) return NeedTextField(only_field);
    for (size_t f = 0; f < ix_->text_fields().size(); ++f) NeedTextField(static_cast<int>(f));
  }
  void IndexFailed(const absl::Status& s) {
    if (plan_->index_note.empty()) {
      plan_->index_note = StrCat(src_.name(), ": index unusable (", StatusMessage(s), ")");
    }
    all_columns_ = true;
  }

  // Calls fn(fn_number) for a string field of this segment; 0 when it has none.
  template <typename Fn>
  Counts StringField(const std::string& name, Fn fn) {
    if (ix_ == nullptr) {
      all_columns_ = true;
      return Unknown();
    }
    const int f = ix_->FieldNumber(name);
    if (f <= 0) return Counts(nb_, 0);
    return fn(f);
  }

  // Blocks where some text field (or only `only_field`) holds every term of `t`. With `exact`
  // (a single term that is the whole needle), blocks where only one field has the term get the
  // posting's row count.
  Counts Text(const index::NeedleTerms& t, int only_field, bool exact) {
    if (ix_ == nullptr) {
      all_columns_ = true;
      return Unknown();
    }
    const size_t nf = ix_->text_fields().size();
    if (t.exact.empty() && t.partial.empty()) {
      NeedAllText(only_field);
      return Unknown();
    }
    // has[f][b]: rows of block b with every condition so far in field f (-1: some, unknown).
    // Starts "all rows"; each condition intersects.
    std::vector<Counts> has(nf, All());
    auto apply = [&](const std::vector<Counts>& per_field) {
      for (size_t f = 0; f < nf; ++f) {
        for (size_t b = 0; b < nb_; ++b) has[f][b] = And(has[f][b], per_field[f][b], Rows(b));
      }
    };
    for (const std::string& term : t.exact) {
      std::vector<Counts> per_field(nf, Counts(nb_, 0));
      bool found = false;
      absl::Status s = ix_->ScanPrefix(
          index::TokenKeyPrefix(term), [&](std::string_view key, const auto& posting) {
            const uint16_t f = index::FieldOfTokenKey(key);
            found = true;
            if (f == index::kAnyField) {
              // A merge added blocks where the term may be a
              // tail term, in any field.
              for (const auto& e : posting) {
                for (size_t g = 0; g < nf; ++g) {
                  if (per_field[g][e.block] == 0) {
                    per_field[g][e.block] = -1;
                  }
                }
              }
              return true;
            }
            if (f >= nf) return true;
            for (const auto& e : posting) {
              per_field[f][e.block] = e.rows > 0 ? int64_t{e.rows} : int64_t{-1};
            }
            return true;
          });
      if (!s.ok()) {
        IndexFailed(s);
        return Unknown();
      }
      if (!found) {
        // A tail term: the block filters say which blocks, not which field. Only blocks with a
        // tail term of the same first bytes are probed (fewer false positives).
        std::vector<uint8_t> prefix_ok(nb_, 0);
        auto p = ix_->Find(index::TailPrefixKey(term));
        if (!p.ok()) {
          IndexFailed(p.status());
          return Unknown();
        }
        if (*p) {
          for (const auto& e : **p) prefix_ok[e.block] = 1;
        }
        const uint64_t h = index::Hash64(term);
        for (size_t b = 0; b < nb_; ++b) {
          if (!prefix_ok[b]) continue;
          absl::StatusOr<bool> m = ix_->TailMayContain(static_cast<uint32_t>(b), h);
          if (!m.ok()) {
            IndexFailed(m.status());
            return Unknown();
          }
          if (*m) {
            for (size_t f = 0; f < nf; ++f) per_field[f][b] = -1;
          }
        }
        exact = false;
      }
      apply(per_field);
    }
    if (!t.partial.empty()) {
      std::vector<Counts> per_field(nf, Counts(nb_, 0));
      size_t keys = 0;
      bool too_many = false;
      absl::Status s =
          ix_->ScanPrefix(StrCat("t", t.partial), [&](std::string_view key, const auto& posting) {
            if (++keys > kMaxPrefixKeys) {
              too_many = true;
              return false;
            }
            const uint16_t f = index::FieldOfTokenKey(key);
            if (f == index::kAnyField) {
              for (const auto& e : posting) {
                for (size_t g = 0; g < nf; ++g) per_field[g][e.block] = -1;
              }
              return true;
            }
            if (f >= nf) return true;
            for (const auto& e : posting) per_field[f][e.block] = -1;
            return true;
          });
      std::vector<uint8_t> tail(nb_, 0);
      if (s.ok() && !too_many) {
        auto mark = [&](std::string_view, const auto& posting) {
          for (const auto& e : posting) tail[e.block] = 1;
          return true;
        };
        if (t.partial.size() >= index::kTailPrefixBytes) {
          absl::StatusOr<std::optional<std::vector<index::PostingEntry>>> p =
              ix_->Find(index::TailPrefixKey(t.partial));
          if (!p.ok()) {
            s = p.status();
          } else if (*p) {
            for (const auto& e : **p) tail[e.block] = 1;
          }
        } else {
          s = ix_->ScanPrefix(index::TailPrefixKey(t.partial), mark);
        }
      }
      if (!s.ok()) {
        IndexFailed(s);
        return Unknown();
      }
      if (!too_many) {
        // A block matches the prefix in field f through the dictionary or a tail token.
        for (size_t f = 0; f < nf; ++f) {
          for (size_t b = 0; b < nb_; ++b) {
            const int64_t v = per_field[f][b] != 0 || tail[b] ? -1 : 0;
            has[f][b] = And(has[f][b], v, Rows(b));
          }
        }
      }
      exact = false;
    }
    Counts out(nb_, 0);
    for (size_t f = 0; f < nf; ++f) {
      if (only_field >= 0 && static_cast<int>(f) != only_field) continue;
      bool used = false;
      for (size_t b = 0; b < nb_; ++b) {
        const int64_t v = has[f][b];
        if (v == 0) continue;
        used = true;
        // Two fields with the term in one block: a record may have it in both.
        out[b] = out[b] == 0 && exact && v > 0 ? v : -1;
      }
      if (used) NeedTextField(static_cast<int>(f));
    }
    if (!exact) {
      for (int64_t& v : out) v = v != 0 ? -1 : 0;
    }
    return out;
  }

  // Calls fn(block, chunk) for each chunk of field `name` with a type `want` accepts, in the
  // blocks of the window.
  template <typename Want, typename Fn>
  void ForChunks(const std::string& name, Want want, Fn fn) {
    auto it = by_name_.find(name);
    if (it == by_name_.end()) return;
    for (uint32_t i : it->second) {
      if (!want(meta_.fields[i].type)) continue;
      const uint32_t col = storage::kFirstFieldColumnId + i;
      for (size_t b = 0; b < nb_; ++b) {
        if (!in_window_[b]) continue;
        auto chunks = src_.Chunks(b);
        if (!chunks.ok()) {
          // Corrupt chunk entries: a chunk without a range, so that the block is read and the
          // read reports them.
          storage::ChunkMeta unknown;
          unknown.column_id = col;
          fn(b, unknown);
          continue;
        }
        for (const storage::ChunkMeta& c : **chunks) {
          if (c.column_id == col) fn(b, c);
        }
      }
    }
  }
  template <typename Fn>
  void ForNumericChunks(const std::string& name, Fn fn) {
    ForChunks(
        name, [](FieldType t) { return t == FieldType::kInt64 || t == FieldType::kDouble; }, fn);
  }

  // May a chunk with this range hold a value in [lo, hi]?
  static bool Overlaps(const storage::ChunkMeta& c, const std::optional<internal::Number>& lo,
                       bool lo_inc, const std::optional<internal::Number>& hi, bool hi_inc) {
    if (c.range == storage::ChunkMeta::kNoRange) return true;
    auto cmp = [&](const internal::Number& n, bool max) -> std::optional<int> {
      if (c.range == storage::ChunkMeta::kIntRange) {
        return internal::CompareToNumber(max ? c.int_max : c.int_min, n);
      }
      return internal::CompareToNumber(max ? c.double_max : c.double_min, n);
    };
    if (lo) {
      std::optional<int> r = cmp(*lo, true);
      if (r && (*r < 0 || (*r == 0 && !lo_inc))) return false;
    }
    if (hi) {
      std::optional<int> r = cmp(*hi, false);
      if (r && (*r > 0 || (*r == 0 && !hi_inc))) return false;
    }
    return true;
  }

  Counts NumericRange(const PNode& n) {
    Counts c(nb_, 0);
    if (n.field == kMsg) return c;
    if (ix_ == nullptr) {  // memtables keep no per-block ranges
      all_columns_ = true;
      return Unknown();
    }
    NeedField(n.field);
    ForNumericChunks(n.field, [&](size_t b, const storage::ChunkMeta& chunk) {
      if (Overlaps(chunk, n.lo, n.lo_inclusive, n.hi, n.hi_inclusive)) c[b] = -1;
    });
    return c;
  }

  Counts Exists(const std::string& field) {
    if (field == kMsg) return All();
    NeedField(field);  // the filter checks presence on the decoded block
    if (ix_ == nullptr) {
      all_columns_ = true;
      return Unknown();
    }
    auto p = ix_->Find(index::PresenceKey(field));
    if (!p.ok()) {
      IndexFailed(p.status());
      return Unknown();
    }
    Counts c(nb_, 0);
    if (!*p) return c;
    auto it = by_name_.find(field);
    const bool one_type = it != by_name_.end() && it->second.size() == 1;
    for (const auto& e : **p) c[e.block] = one_type && e.rows > 0 ? int64_t{e.rows} : int64_t{-1};
    return c;
  }

  Counts Equals(const PNode& n) {
    if (n.field == kMsg) return Text(n.terms, 0, false);
    NeedField(n.field);
    Counts c(nb_, 0);
    if (ix_ == nullptr) {
      all_columns_ = true;
      return Unknown();
    }
    // The string value.
    const int f = ix_->FieldNumber(n.field);
    auto it = by_name_.find(n.field);
    const bool only_string = it != by_name_.end() && it->second.size() == 1;
    if (f > 0) {
      bool found = false;
      if (n.text.size() <= index::kMaxValueBytes) {
        auto p = ix_->Find(index::ValueKey(static_cast<uint16_t>(f), n.text));
        if (!p.ok()) {
          IndexFailed(p.status());
          return Unknown();
        }
        if (*p) {
          found = true;
          for (const auto& e : **p)
            c[e.block] = only_string && e.rows > 0 ? int64_t{e.rows} : int64_t{-1};
        }
      }
      if (!found) {
        // Values found in a single block are not in the dictionary: their tokens are.
        Counts t = n.terms.exact.empty() && n.terms.partial.empty() ? Exists(n.field)
                                                                    : Text(n.terms, f, false);
        for (size_t b = 0; b < nb_; ++b) c[b] = t[b] != 0 ? -1 : 0;
      }
    }
    // The number or bool.
    if (n.number) {
      ForNumericChunks(n.field, [&](size_t b, const storage::ChunkMeta& chunk) {
        if (Overlaps(chunk, n.number, true, n.number, true)) c[b] = -1;
      });
    }
    if (n.boolean) {
      ForChunks(
          n.field, [](FieldType t) { return t == FieldType::kBool; },
          [&](size_t b, const storage::ChunkMeta&) { c[b] = -1; });
    }
    return c;
  }

  Counts Regex(const PNode& n) {
    const bool message = n.field.empty() || n.field == kMsg;
    if (message) {
      columns_.insert(storage::kMessageColumnId);
    } else {
      NeedField(n.field);
    }
    if (ix_ == nullptr) {
      all_columns_ = true;
      return Unknown();
    }
    int f = 0;
    if (!message) {
      f = ix_->FieldNumber(n.field);
      if (f <= 0) return Counts(nb_, 0);
    }
    if (n.regex_unfiltered || n.regex == nullptr) return Unknown();
    std::vector<Counts> atom_blocks;
    for (const index::NeedleTerms& t : n.atoms) atom_blocks.push_back(Text(t, f, false));
    Counts c(nb_, 0);
    std::vector<int> matched;
    for (size_t b = 0; b < nb_; ++b) {
      matched.clear();
      for (size_t a = 0; a < atom_blocks.size(); ++a) {
        if (atom_blocks[a][b] != 0) matched.push_back(static_cast<int>(a));
      }
      c[b] = n.regex->MayMatchGivenAtoms(matched) ? -1 : 0;
    }
    return c;
  }

  const storage::BlockSource& src_;
  const storage::SegmentMeta& meta_;
  const index::SegmentIndex* ix_;
  BlockPlan* plan_;
  size_t nb_ = 0;
  std::vector<bool> in_window_;                           // see SetWindow()
  std::map<std::string, std::vector<uint32_t>> by_name_;  // field name -> indexes in fields
  std::set<uint32_t> columns_;
  bool all_columns_ = false;
};

Planner::Planner(const Node& root) : c_(std::make_unique<Compiled>()) {
  c_->root = Compiled::Lower(root);
  std::vector<const Compiled::PNode*> regexes;
  c_->skeleton_ok = Compiled::SkeletonOk(*c_->root, &regexes);
  if (c_->skeleton_ok && !regexes.empty()) {
    c_->expand = std::make_shared<const storage::MessageExpandPredicate>(
        [regexes](std::string_view skeleton) { return MayMatchTemplate(regexes, skeleton); });
  }
}
Planner::~Planner() = default;
Planner::Planner(Planner&&) noexcept = default;

BlockPlan Planner::Plan(const storage::BlockSource& source, int64_t from, int64_t to) const {
  BlockPlan plan;
  PlanEval eval(source, &plan);
  Counts window = eval.Time(from, to);
  eval.SetWindow(window);
  Counts c = eval.Eval(*c_->root);
  const size_t nb = source.num_blocks();
  plan.state.assign(nb, BlockPlan::kSkip);
  plan.rows.assign(nb, 0);
  for (size_t b = 0; b < nb; ++b) {
    const int64_t rows = source.meta().blocks[b].num_rows;
    int64_t v = window[b] == 0 || c[b] == 0 ? 0 : window[b] == rows ? c[b] : -1;
    if (v < 0) {
      plan.state[b] = BlockPlan::kRead;
    } else if (v > 0) {
      plan.state[b] = BlockPlan::kCounted;
      plan.rows[b] = static_cast<uint32_t>(v);
    }
  }
  eval.Finish();
  plan.message_skeleton = c_->skeleton_ok;
  plan.message_expand = c_->expand;
  return plan;
}

std::string Planner::Describe() const {
  std::string out;
  auto line = [&](int depth, std::string_view s) {
    out.append(2 * depth, ' ');
    StrAppend(&out, s, "\n");
  };
  auto walk = [&](auto& self, const Compiled::PNode& n, int depth) -> void {
    const std::string f = n.field.empty() ? std::string("any text field") : n.field;
    switch (n.kind) {
      case NodeKind::kMatchAll:
        return line(depth, "all records: block row counts");
      case NodeKind::kAnd:
      case NodeKind::kOr:
        line(depth, n.kind == NodeKind::kAnd ? "AND (blocks in every branch)"
                                             : "OR (blocks in any branch)");
        for (const auto& c : n.children) self(self, *c, depth + 1);
        return;
      case NodeKind::kNot:
        line(depth, "NOT (exact counts are negated; other blocks are read)");
        return self(self, *n.children[0], depth + 1);
      case NodeKind::kWord:
      case NodeKind::kPhrase:
        return line(
            depth,
            StrCat(n.kind == NodeKind::kWord ? "word " : "phrase ", Quote(n.text), ": terms ",
                   DescribeTerms(n.terms), " in one text field",
                   n.exact_needle ? " (counted from postings where one field holds it)" : ""));
      case NodeKind::kPrefix:
        return line(depth, StrCat("prefix ", Quote(n.text), "* in ", f, ": terms ",
                                  DescribeTerms(n.terms)));
      case NodeKind::kFieldEquals:
        return line(depth,
                    StrCat(n.field, " = ", Quote(n.text), ": value key, else terms ",
                           DescribeTerms(n.terms), n.number ? "; numbers by block min/max" : ""));
      case NodeKind::kFieldCompare:
      case NodeKind::kFieldRange:
        return line(depth, StrCat(n.field, " range: block min/max of the field"));
      case NodeKind::kFieldExists:
        return line(depth, StrCat(n.field, " present: presence key"));
      case NodeKind::kRegex: {
        std::string atoms;
        for (const index::NeedleTerms& t : n.atoms) {
          StrAppend(&atoms, atoms.empty() ? "" : "; ", DescribeTerms(t));
        }
        return line(depth,
                    StrCat("regex ", Quote(n.text), " in ", n.field.empty() ? "_msg" : n.field,
                           n.regex_unfiltered ? ": no required literal, every block is read"
                                              : StrCat(": required literals -> ", atoms)));
      }
      case NodeKind::kTimeRange:
        return line(depth, "_time range: block time ranges");
    }
  };
  walk(walk, *c_->root, 0);
  return out;
}

}  // namespace lode::query
