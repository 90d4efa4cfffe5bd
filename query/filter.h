// A compiled query filter that runs on any RecordBatch: a decoded segment block today, the
// memtable and the alert stream later, so that search and alerts cannot disagree.
//
// Evaluation is column-at-a-time: every node narrows a row Selection by scanning one column (or
// the message bytes of the whole batch with one search), never by a call per row per field.
// AND passes its narrowed selection to the next child, so later children only look at rows that
// are still candidates; cheap field terms run before word searches.
//
// A Filter is immutable after Compile() and may be shared by threads; each thread passes its
// own FilterScratch.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/record_batch.h"
#include "query/ast.h"
#include "query/selection.h"

namespace lode::query {

// Working memory of Filter::Evaluate: case-folded copies of the string columns of the batch
// being evaluated, kept between calls so their buffers are reused. Not thread-safe.
class FilterScratch {
 public:
  FilterScratch() = default;

 private:
  friend class Filter;
  void Reset(size_t num_columns);

  std::string folded_messages_;
  bool have_messages_ = false;
  std::vector<std::string> folded_columns_;  // by index in RecordBatch::columns()
  std::vector<bool> have_columns_;
  std::string value_;         // one folded value (sparse search)
  std::vector<int8_t> memo_;  // per value code: -1 not decided yet, else the answer
};

class Filter {
 public:
  // Compiles the filter tree of a parsed query. Cannot fail: the parser rejects what cannot be
  // evaluated.
  static Filter Compile(const Node& root);

  Filter(Filter&&) noexcept;
  Filter& operator=(Filter&&) noexcept;
  ~Filter();

  // Narrows `sel` (which must have batch.num_rows() rows) to the selected rows of `batch` that
  // match the filter.
  void Evaluate(const RecordBatch& batch, Selection* sel, FilterScratch* scratch) const;

  // True when the filter matches every record (empty query, `*`), so counting needs no data.
  bool matches_all() const;
  // True when evaluating looks at the records' times (a `_time` term), so a batch read without
  // its times (storage::BlockReadOptions::times) must not be given to Evaluate().
  bool uses_times() const;

 private:
  struct CNode;
  class Evaluator;
  explicit Filter(std::unique_ptr<CNode> root);
  static std::unique_ptr<CNode> Lower(const Node& n);

  std::unique_ptr<CNode> root_;
};

}  // namespace lode::query
