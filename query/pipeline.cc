#include "query/pipeline.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>

#include "common/strings.h"
#include "query/internal/batch_gather.h"
#include "query/internal/number.h"

namespace lode::query {
namespace {

// Rows per batch a blocking operator hands out.
constexpr uint32_t kOutputRows = 8192;
constexpr uint64_t kHeadDefault = 10;

constexpr std::string_view kStages = "fields, sort, limit, head";
constexpr std::string_view kPlannedStages[] = {"stats", "top", "uniq", "count"};

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// "512 MiB", "64 KiB" or "1000 bytes": budgets in error messages, as they were given.
std::string FormatBytes(uint64_t n) {
  if (n >= (uint64_t{1} << 20) && n % (uint64_t{1} << 20) == 0) return StrCat(n >> 20, " MiB");
  if (n >= 1024 && n % 1024 == 0) return StrCat(n >> 10, " KiB");
  return StrCat(n, " bytes");
}

// ---------------------------------------------------------------------------------------------
// fields a, b, _time, _msg

class FieldsOperator : public PipeOperator {
 public:
  explicit FieldsOperator(std::vector<std::string> names) : names_(std::move(names)) {}

  // Copying the kept columns costs time; it only matters when a later stage reads columns
  // (the formatter prints by name anyway).
  void set_project(bool project) { project_ = project; }

  absl::Status Consume(RecordBatch* batch) override {
    if (!project_) return absl::OkStatus();
    bool extra = false;
    for (const Column& c : batch->columns()) extra = extra || !Contains(names_, c.name);
    if (!extra) return absl::OkStatus();
    RecordBatch kept;
    *kept.mutable_times() = std::move(*batch->mutable_times());
    *kept.mutable_messages() = std::move(*batch->mutable_messages());
    for (const Column& c : batch->columns()) {
      if (Contains(names_, c.name)) *kept.MutableColumn(c.name, c.type) = c;
    }
    *batch = std::move(kept);
    return absl::OkStatus();
  }

  bool KeepsRowCount() const override { return true; }
  void InputColumns(std::optional<std::vector<std::string>>* columns) const override {
    Narrow(columns);
  }
  void OutputColumns(std::optional<std::vector<std::string>>* columns) const override {
    Narrow(columns);
  }
  std::string Describe() const override {
    std::string s = "fields ";
    for (size_t i = 0; i < names_.size(); ++i) StrAppend(&s, i > 0 ? ", " : "", names_[i]);
    return s;
  }

 private:
  // Our names, in our order, that are also in `columns` (all of them when it is nullopt).
  void Narrow(std::optional<std::vector<std::string>>* columns) const {
    std::vector<std::string> out;
    for (const std::string& n : names_) {
      if (!columns->has_value() || Contains(**columns, n)) out.push_back(n);
    }
    *columns = std::move(out);
  }

  std::vector<std::string> names_;
  bool project_ = true;
};

// ---------------------------------------------------------------------------------------------
// limit N, head [N]

class LimitOperator : public PipeOperator {
 public:
  LimitOperator(std::string_view name, uint64_t n) : name_(name), limit_(n), remaining_(n) {}

  absl::Status Consume(RecordBatch* batch) override {
    if (batch->num_rows() > remaining_) {
      std::vector<uint32_t> rows(remaining_);
      std::iota(rows.begin(), rows.end(), 0);
      *batch = batch->Select(rows);
    }
    remaining_ -= batch->num_rows();
    return absl::OkStatus();
  }
  bool Done() const override { return remaining_ == 0; }
  std::optional<uint64_t> MaxRows() const override { return limit_; }
  std::string Describe() const override { return StrCat(name_, " ", limit_); }

 private:
  std::string name_;
  uint64_t limit_;
  uint64_t remaining_;
};

// ---------------------------------------------------------------------------------------------
// sort by (a, b desc) [desc]

struct SortKey {
  std::string field;
  bool desc = false;
};

// One row's value of one sort key. Order: numbers (int64 and double compared exactly), then
// bools (false < true), then strings (bytewise); a missing value sorts last in either direction.
struct KeyValue {
  enum Rank : uint8_t { kNumber = 0, kBool = 1, kString = 2, kMissing = 3 };
  Rank rank = kMissing;
  bool is_double = false;
  int64_t i = 0;
  double d = 0;
  std::string_view s;
};

int CompareNumbers(const KeyValue& a, const KeyValue& b) {
  if (!a.is_double && !b.is_double) return a.i < b.i ? -1 : a.i > b.i ? 1 : 0;
  // NaN cannot come from JSON, but keep the order total: after every other number.
  const bool an = a.is_double && std::isnan(a.d);
  const bool bn = b.is_double && std::isnan(b.d);
  if (an || bn) return an == bn ? 0 : an ? 1 : -1;
  if (!a.is_double) return internal::CompareIntDouble(a.i, b.d);
  if (!b.is_double) return -internal::CompareIntDouble(b.i, a.d);
  return a.d < b.d ? -1 : a.d > b.d ? 1 : 0;
}

class SortOperator : public PipeOperator {
 public:
  SortOperator(std::vector<SortKey> keys, const PipeContext* context)
      : keys_(std::move(keys)), context_(context) {}

  absl::Status Consume(RecordBatch* batch) override {
    if (batch->empty()) return absl::OkStatus();
    const size_t nk = keys_.size();
    ExtractKeys(*batch, &scratch_keys_);
    rows_.clear();
    for (uint32_t r = 0; r < batch->num_rows(); ++r) {
      // Equal to the worst kept row is not good enough: it arrived later, so it loses the tie.
      if (threshold_.empty() || Compare(&scratch_keys_[r * nk], threshold_.data()) < 0) {
        rows_.push_back(r);
      }
    }
    if (!rows_.empty()) internal::AppendRows(*batch, rows_, &held_);
    batch->Clear();
    if (top_n_ > 0 && held_.num_rows() >= top_n_ + std::max<uint64_t>(top_n_, kOutputRows)) {
      Compact();
    }
    if (Footprint() > context_->memory_budget) {
      if (top_n_ > 0 && held_.num_rows() > top_n_) Compact();
      if (Footprint() > context_->memory_budget) {
        held_.Clear();
        return absl::ResourceExhaustedError(
            StrCat("query needs more than ", FormatBytes(context_->memory_budget),
                   " to sort; narrow the time window or add | limit"));
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<bool> Finish(RecordBatch* out) override {
    if (!sorted_) {
      order_ = SortedOrder();
      if (top_n_ > 0 && order_.size() > top_n_) order_.resize(top_n_);
      std::vector<KeyValue>().swap(held_keys_);
      sorted_ = true;
    }
    if (next_ >= order_.size()) {
      held_.Clear();
      return false;
    }
    const size_t end = std::min<size_t>(order_.size(), next_ + kOutputRows);
    *out = held_.Select(std::vector<uint32_t>(order_.begin() + next_, order_.begin() + end));
    next_ = end;
    return true;
  }

  bool PassesRowsThrough() const override { return false; }
  bool KeepsRowCount() const override { return true; }
  void InputColumns(std::optional<std::vector<std::string>>* columns) const override {
    if (!columns->has_value()) return;
    for (const SortKey& k : keys_) {
      if (!Contains(**columns, k.field)) (*columns)->push_back(k.field);
    }
  }
  void LimitOutput(uint64_t n) override { top_n_ = n; }
  std::string Describe() const override {
    std::string s = "sort by (";
    for (size_t i = 0; i < keys_.size(); ++i) {
      StrAppend(&s, i > 0 ? ", " : "", keys_[i].field, keys_[i].desc ? " desc" : "");
    }
    s.push_back(')');
    if (top_n_ > 0) StrAppend(&s, " keeping the first ", top_n_);
    return s;
  }

 private:
  // Fills `out` with the key values of every row of `b`, row-major (row r's keys start at
  // r * keys_.size()). Strings point into `b`.
  void ExtractKeys(const RecordBatch& b, std::vector<KeyValue>* out) const {
    const size_t nk = keys_.size();
    out->assign(b.num_rows() * nk, KeyValue{});
    for (size_t k = 0; k < nk; ++k) {
      const std::string& f = keys_[k].field;
      if (f == "_time") {
        for (size_t r = 0; r < b.num_rows(); ++r) {
          KeyValue& v = (*out)[r * nk + k];
          v.rank = KeyValue::kNumber;
          v.i = b.time(r);
        }
        continue;
      }
      if (f == "_msg") {
        for (size_t r = 0; r < b.num_rows(); ++r) {
          KeyValue& v = (*out)[r * nk + k];
          v.rank = KeyValue::kString;
          v.s = b.message(r);
        }
        continue;
      }
      for (const Column& c : b.columns()) {
        if (c.name != f) continue;
        for (size_t i = 0; i < c.rows.size(); ++i) {
          KeyValue& v = (*out)[c.rows[i] * nk + k];
          switch (c.type) {
            case FieldType::kInt64:
              v.rank = KeyValue::kNumber;
              v.i = c.ints[i];
              break;
            case FieldType::kDouble:
              v.rank = KeyValue::kNumber;
              v.is_double = true;
              v.d = c.doubles[i];
              break;
            case FieldType::kBool:
              v.rank = KeyValue::kBool;
              v.i = c.ints[i];
              break;
            case FieldType::kString:
              v.rank = KeyValue::kString;
              v.s = c.strings.Get(i);
              break;
          }
        }
      }
    }
  }

  // Three-way comparison of two rows' keys in output order.
  int Compare(const KeyValue* a, const KeyValue* b) const {
    for (size_t k = 0; k < keys_.size(); ++k) {
      const KeyValue& x = a[k];
      const KeyValue& y = b[k];
      if (x.rank == KeyValue::kMissing || y.rank == KeyValue::kMissing) {
        if (x.rank == y.rank) continue;
        return x.rank == KeyValue::kMissing ? 1 : -1;
      }
      int c = 0;
      if (x.rank != y.rank) {
        c = x.rank < y.rank ? -1 : 1;
      } else if (x.rank == KeyValue::kString) {
        c = x.s.compare(y.s);
        c = c < 0 ? -1 : c > 0 ? 1 : 0;
      } else if (x.rank == KeyValue::kBool) {
        c = x.i < y.i ? -1 : x.i > y.i ? 1 : 0;
      } else {
        c = CompareNumbers(x, y);
      }
      if (c != 0) return keys_[k].desc ? -c : c;
    }
    return 0;
  }

  // The rows of held_ in output order (stable: ties keep arrival order).
  std::vector<uint32_t> SortedOrder() {
    ExtractKeys(held_, &held_keys_);
    std::vector<uint32_t> order(held_.num_rows());
    std::iota(order.begin(), order.end(), 0);
    const size_t nk = keys_.size();
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      return Compare(&held_keys_[a * nk], &held_keys_[b * nk]) < 0;
    });
    return order;
  }

  // Keeps only the best top_n_ rows held, in order, and remembers the worst of them.
  void Compact() {
    std::vector<uint32_t> order = SortedOrder();
    if (order.size() > top_n_) order.resize(top_n_);
    if (order.size() == top_n_) {
      const size_t nk = keys_.size();
      const KeyValue* worst = &held_keys_[order.back() * nk];
      threshold_strings_.assign(nk, std::string());
      threshold_.assign(worst, worst + nk);
      for (size_t k = 0; k < nk; ++k) {
        if (threshold_[k].rank != KeyValue::kString) continue;
        threshold_strings_[k] = std::string(threshold_[k].s);
        threshold_[k].s = threshold_strings_[k];
      }
    }
    held_ = held_.Select(order);
    std::vector<KeyValue>().swap(held_keys_);
  }

  // Bytes held: the records, and the keys SortedOrder() will need for them.
  uint64_t Footprint() const {
    return held_.ByteSize() + held_.num_rows() * (keys_.size() * sizeof(KeyValue) + 4);
  }

  const std::vector<SortKey> keys_;
  const PipeContext* context_;
  uint64_t top_n_ = 0;  // 0: keep everything

  RecordBatch held_;
  std::vector<KeyValue> threshold_;  // the worst of top_n_ kept rows, once that many are held
  std::vector<std::string> threshold_strings_;
  std::vector<KeyValue> scratch_keys_;
  std::vector<uint32_t> rows_;
  std::vector<KeyValue> held_keys_;  // SortedOrder()'s, for held_

  bool sorted_ = false;
  std::vector<uint32_t> order_;
  size_t next_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Compiling the stages.

// An argument after splitting the parser's words at `(`, `)` and `,` (which the stages use as
// punctuation), so a stage reads the same whether the parser split them or not.
struct Token {
  std::string text;
  bool quoted = false;
  size_t pos = 0;
  size_t end = 0;  // byte offset just past the token in the query

  bool Is(char c) const { return !quoted && text.size() == 1 && text[0] == c; }
  bool IsWord(std::string_view w) const { return !quoted && text == w; }
  bool IsPunct() const { return Is('(') || Is(')') || Is(','); }
};

// Where a quoted argument starting at `pos` ends (past the closing quote).
size_t QuotedEnd(std::string_view query, size_t pos) {
  for (size_t i = pos + 1; i < query.size(); ++i) {
    if (query[i] == '\\') {
      ++i;
    } else if (query[i] == '"') {
      return i + 1;
    }
  }
  return query.size();
}

std::vector<Token> Tokenize(std::string_view query, const PipeStage& stage) {
  std::vector<Token> out;
  for (const PipeStage::Arg& a : stage.args) {
    if (a.quoted) {
      out.push_back({a.text, true, a.pos, QuotedEnd(query, a.pos)});
      continue;
    }
    size_t start = 0;
    for (size_t i = 0; i <= a.text.size(); ++i) {
      const bool punct =
          i < a.text.size() && (a.text[i] == '(' || a.text[i] == ')' || a.text[i] == ',');
      if (i < a.text.size() && !punct) continue;
      if (i > start) {
        out.push_back({a.text.substr(start, i - start), false, a.pos + start, a.pos + i});
      }
      if (punct) out.push_back({std::string(1, a.text[i]), false, a.pos + i, a.pos + i + 1});
      start = i + 1;
    }
  }
  return out;
}

std::string Quote(const Token& t) { return StrCat("'", t.text, "'"); }

class StageCompiler {
 public:
  StageCompiler(std::string_view query, const PipeStage& stage, const PipeContext* context,
                QueryError* error)
      : query_(query),
        stage_(stage),
        context_(context),
        error_(error),
        tokens_(Tokenize(query, stage)) {}

  std::unique_ptr<PipeOperator> Compile() {
    const std::string& name = stage_.name;
    if (name == "fields") return Fields();
    if (name == "sort") return Sort();
    if (name == "limit") return Limit(false);
    if (name == "head") return Limit(true);
    for (std::string_view planned : kPlannedStages) {
      if (name == planned) {
        return Fail(stage_.pos, StrCat("pipe stage '", name, "' is not supported yet"));
      }
    }
    return Fail(stage_.pos, StrCat("unknown pipe stage '", name, "' (stages: ", kStages, ")"));
  }

 private:
  std::unique_ptr<PipeOperator> Fail(size_t pos, std::string message) {
    *error_ = QueryError::At(query_, pos, std::move(message));
    return nullptr;
  }
  // Just past the stage so far (for "expected ... after ..." at the end).
  size_t End() const {
    return tokens_.empty() ? stage_.pos + stage_.name.size() : tokens_.back().end;
  }

  std::unique_ptr<PipeOperator> Fields() {
    std::vector<std::string> names;
    bool after_comma = false;
    for (const Token& t : tokens_) {
      if (t.Is(',')) {
        if (names.empty() || after_comma) return Fail(t.pos, "expected a field name before ','");
        after_comma = true;
        continue;
      }
      if (t.IsPunct()) return Fail(t.pos, StrCat("unexpected ", Quote(t), " in 'fields'"));
      if (t.text.empty()) return Fail(t.pos, "expected a field name, got an empty string");
      if (!Contains(names, t.text)) names.push_back(t.text);
      after_comma = false;
    }
    if (names.empty()) return Fail(End(), "expected field names after 'fields'");
    if (after_comma) return Fail(End(), "expected a field name after ','");
    return std::make_unique<FieldsOperator>(std::move(names));
  }

  std::unique_ptr<PipeOperator> Limit(bool head) {
    const std::string& name = stage_.name;
    if (tokens_.empty()) {
      if (head) return std::make_unique<LimitOperator>(name, kHeadDefault);
      return Fail(End(), StrCat("expected a number after '", name, "'"));
    }
    const Token& t = tokens_[0];
    uint64_t n = 0;
    auto [p, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), n);
    if (t.quoted || t.text.empty() || ec != std::errc() || p != t.text.data() + t.text.size()) {
      return Fail(t.pos, StrCat("expected a number after '", name, "', got ", Quote(t)));
    }
    if (n == 0) return Fail(t.pos, StrCat("'", name, "' needs a number of at least 1"));
    if (tokens_.size() > 1) {
      return Fail(tokens_[1].pos,
                  StrCat("unexpected ", Quote(tokens_[1]), " after '", name, " ", t.text, "'"));
    }
    return std::make_unique<LimitOperator>(name, n);
  }

  std::unique_ptr<PipeOperator> Sort() {
    size_t i = 0;
    const size_t n = tokens_.size();
    if (i < n && tokens_[i].IsWord("by")) ++i;
    if (i >= n) return Fail(End(), "expected the fields to sort by, e.g. 'sort by (field desc)'");
    const bool paren = tokens_[i].Is('(');
    if (paren) ++i;
    std::vector<SortKey> keys;
    for (;;) {
      if (i >= n) return Fail(End(), "expected a field name to sort by");
      const Token& t = tokens_[i];
      if (t.IsPunct())
        return Fail(t.pos, StrCat("expected a field name to sort by, got ", Quote(t)));
      if (t.text.empty()) return Fail(t.pos, "expected a field name, got an empty string");
      SortKey key{t.text, false};
      ++i;
      if (i < n && (tokens_[i].IsWord("desc") || tokens_[i].IsWord("asc"))) {
        key.desc = tokens_[i].IsWord("desc");
        ++i;
      }
      keys.push_back(std::move(key));
      if (i < n && tokens_[i].Is(',')) {
        ++i;
        continue;
      }
      break;
    }
    if (paren) {
      if (i >= n) return Fail(End(), "expected ')'");
      if (!tokens_[i].Is(')')) {
        return Fail(tokens_[i].pos, StrCat("expected ',' or ')', got ", Quote(tokens_[i])));
      }
      ++i;
      // `desc` after the list reverses the whole order.
      if (i < n && (tokens_[i].IsWord("desc") || tokens_[i].IsWord("asc"))) {
        if (tokens_[i].IsWord("desc")) {
          for (SortKey& k : keys) k.desc = !k.desc;
        }
        ++i;
      }
    }
    if (i < n) {
      return Fail(tokens_[i].pos, StrCat("unexpected ", Quote(tokens_[i]),
                                         " in 'sort' (separate fields with ',')"));
    }
    return std::make_unique<SortOperator>(std::move(keys), context_);
  }

  std::string_view query_;
  const PipeStage& stage_;
  const PipeContext* context_;
  QueryError* error_;
  std::vector<Token> tokens_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Pipeline>> Pipeline::Compile(std::string_view query_text,
                                                            const std::vector<PipeStage>& stages,
                                                            QueryError* error) {
  std::unique_ptr<Pipeline> p(new Pipeline());
  for (const PipeStage& stage : stages) {
    QueryError e;
    std::unique_ptr<PipeOperator> op = StageCompiler(query_text, stage, &p->context_, &e).Compile();
    if (op == nullptr) {
      if (error != nullptr) *error = e;
      return e.ToStatus();
    }
    p->ops_.push_back(std::move(op));
  }
  p->Plan();
  return p;
}

void Pipeline::AddOutputLimit(uint64_t n) {
  if (n == 0) return;
  ops_.push_back(std::make_unique<LimitOperator>("output limit", n));
  Plan();
}

void Pipeline::Plan() {
  output_fields_.reset();
  for (const auto& op : ops_) op->OutputColumns(&output_fields_);
  for (size_t i = 0; i < ops_.size(); ++i) {
    std::optional<uint64_t> bound;
    bool later_reads = false;  // a later stage that is not a plain pass-through
    for (size_t j = i + 1; j < ops_.size(); ++j) {
      if (!ops_[j]->PassesRowsThrough()) {
        later_reads = true;
        break;
      }
      if (auto m = ops_[j]->MaxRows()) bound = bound ? std::min(*bound, *m) : *m;
    }
    if (bound) ops_[i]->LimitOutput(*bound);
    if (auto* f = dynamic_cast<FieldsOperator*>(ops_[i].get())) f->set_project(later_reads);
  }
}

uint64_t Pipeline::CursorLimit() const {
  uint64_t limit = 0;
  for (const auto& op : ops_) {
    if (!op->PassesRowsThrough()) break;
    if (auto m = op->MaxRows()) limit = limit == 0 ? *m : std::min(limit, *m);
  }
  return limit;
}

std::optional<std::vector<std::string>> Pipeline::DecodeFields(bool printing) const {
  std::optional<std::vector<std::string>> columns;
  if (!printing) columns.emplace();
  for (auto it = ops_.rbegin(); it != ops_.rend(); ++it) (*it)->InputColumns(&columns);
  return columns;
}

bool Pipeline::KeepsRowCount() const {
  for (const auto& op : ops_) {
    if (!op->KeepsRowCount()) return false;
  }
  return true;
}

std::string Pipeline::Explain() const {
  std::string s;
  for (const auto& op : ops_) StrAppend(&s, "pipe: ", op->Describe(), "\n");
  return s;
}

bool Pipeline::Push(size_t from, RecordBatch* batch) {
  for (size_t i = from; i < ops_.size() && !batch->empty(); ++i) {
    status_ = ops_[i]->Consume(batch);
    if (!status_.ok()) return false;
    if (ops_[i]->Done()) {
      // Nothing before it matters any more: finish from here.
      finishing_ = input_done_ ? std::max(finishing_, i) : i;
      input_done_ = true;
    }
  }
  return true;
}

bool Pipeline::Next(absl::FunctionRef<bool(RecordBatch*)> source, RecordBatch* out) {
  if (!status_.ok()) return false;
  for (;;) {
    if (!input_done_) {
      if (!source(out)) {
        input_done_ = true;
        finishing_ = 0;
        continue;
      }
      if (!Push(0, out)) return false;
      if (!out->empty()) return true;
      continue;
    }
    if (finishing_ >= ops_.size()) {
      out->Clear();
      return false;
    }
    const size_t i = finishing_;
    absl::StatusOr<bool> more = ops_[i]->Finish(out);
    if (!more.ok()) {
      status_ = more.status();
      return false;
    }
    if (!*more) {
      // Push() may have moved finishing_ past i already.
      finishing_ = std::max(finishing_, i + 1);
      continue;
    }
    if (!Push(i + 1, out)) return false;
    if (!out->empty()) return true;
  }
}

}  // namespace lode::query
