// The pipe stages after a query's filter (`error | fields _time, _msg | sort by (x) desc | head`),
// compiled from the parser's generic PipeStage list (query/ast.h) into a chain of operators that
// the matching records flow through, in order.
//
// Each stage is a PipeOperator. Consume() takes the next input rows and leaves in the batch the
// rows to pass on now; Finish() is called after the last input, repeatedly, to hand out rows
// the operator held back, a batch at a time. Streaming operators (fields, limit, head) work in
// place and hold nothing; blocking ones (sort) keep what they need and emit from Finish(). The
// Pipeline drives the chain pull-style (Next), like QueryCursor, so the HTTP handler can stream
// even a sorted result without formatting all of it at once.
//
// Before running, the runner plans the cursor from the pipeline:
//   - CursorLimit(): records the cursor must deliver at most (a limit before any blocking stage),
//     so it can stop early; with a sort first, it must deliver everything;
//   - DecodeFields(): the columns to decode (the projection, plus what later stages read);
//   - OutputFields(): the columns to print, in order.
// Each operator contributes through its planning virtuals (MaxRows, PassesRowsThrough,
// KeepsRowCount, InputColumns, OutputColumns, LimitOutput).
//
// Aggregations (`| stats count() by (level)`, not built yet) slot in as another blocking
// operator: Consume() folds rows into per-group partial states (kept mergeable, so several
// cursors can later feed copies that are merged), Finish() emits one row per group with the
// group keys and results as fields, InputColumns() replaces the set with its `by` fields and
// arguments, PassesRowsThrough() and KeepsRowCount() are false. Nothing else changes.
//
// Not thread-safe. A Pipeline runs once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "common/record_batch.h"
#include "query/ast.h"
#include "query/query_error.h"

namespace lode::query {

// What every operator may read while running. Owned by the Pipeline.
struct PipeContext {
  // Bytes of records a blocking operator may hold; past it the query fails with
  // ResourceExhausted instead of growing.
  uint64_t memory_budget = uint64_t{512} << 20;
};

// One stage of a pipeline. See the file comment for the protocol.
class PipeOperator {
 public:
  virtual ~PipeOperator() = default;

  // Takes the next input rows (in order). On return `batch` holds the rows to pass on now: all,
  // some, transformed, or none when the operator keeps them. An error stops the query.
  virtual absl::Status Consume(RecordBatch* batch) = 0;
  // Called after the last input until it returns false: replaces `out` with the next rows held
  // back. Streaming operators return false at once.
  virtual absl::StatusOr<bool> Finish(RecordBatch* out) {
    (void)out;
    return false;
  }
  // True once more input cannot change the output (a full limit): the pipeline stops pulling.
  virtual bool Done() const { return false; }

  // Planning (before any input).
  // At most this many rows ever leave the operator (nullopt: no bound).
  virtual std::optional<uint64_t> MaxRows() const { return std::nullopt; }
  // True when the output is a prefix of the input rows, in input order (fields, limit): a bound
  // after it then bounds the input it needs too. False for sort and aggregations.
  virtual bool PassesRowsThrough() const { return true; }
  // True when as many rows leave as arrive (fields, sort): `--count` can skip the operator.
  virtual bool KeepsRowCount() const { return false; }
  // Given the columns needed from the output (nullopt: all), sets those needed from the input.
  // `_time` and `_msg` name the timestamp and the message.
  virtual void InputColumns(std::optional<std::vector<std::string>>* columns) const {
    (void)columns;
  }
  // Given the columns its input offers for printing (nullopt: all, in stored order), sets those
  // its output offers, in print order (fields narrows and orders them).
  virtual void OutputColumns(std::optional<std::vector<std::string>>* columns) const {
    (void)columns;
  }
  // A hint that only the first `n` output rows will be used (a limit follows): a sort then
  // keeps only the best n while consuming.
  virtual void LimitOutput(uint64_t n) { (void)n; }
  // One line for Explain, e.g. `sort by (latency desc) keeping the top 10`.
  virtual std::string Describe() const = 0;
};

// The compiled pipe stages of one query.
class Pipeline {
 public:
  // Compiles `stages` (parsed from `query_text`, used for error positions). On a mistake returns
  // InvalidArgumentError("error at L:C: ...") and fills `error` when not null, e.g.
  // `unknown pipe stage 'lmit' (stages: fields, sort, limit, head)`. An empty list compiles to
  // a pipeline that passes everything through.
  static absl::StatusOr<std::unique_ptr<Pipeline>> Compile(std::string_view query_text,
                                                           const std::vector<PipeStage>& stages,
                                                           QueryError* error = nullptr);

  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Appends a final cap of `n` rows (0: none): `--limit` of the CLI, `limit=` of the HTTP API.
  void AddOutputLimit(uint64_t n);
  void set_memory_budget(uint64_t bytes) { context_.memory_budget = bytes; }

  // The cursor's limit (0: none): the smallest bound before the first blocking stage.
  uint64_t CursorLimit() const;
  // The columns the cursor must decode; nullopt for all. With `printing` false (`--count`) only
  // what the stages themselves read.
  std::optional<std::vector<std::string>> DecodeFields(bool printing) const;
  // The columns to print, in order (the last `fields` stage); nullopt for all.
  const std::optional<std::vector<std::string>>& output_fields() const { return output_fields_; }
  // True when the pipeline outputs as many rows as it gets (only fields and sort stages).
  bool KeepsRowCount() const;
  bool empty() const { return ops_.empty(); }
  // One line per stage, e.g. `pipe: limit 10`.
  std::string Explain() const;

  // Fills `source` input (the cursor's Next) through the stages and replaces `out` with the next
  // output rows; false at the end or on an error (see status()). `source` returns false when it
  // has no more input; it is not called again after the pipeline is done.
  bool Next(absl::FunctionRef<bool(RecordBatch*)> source, RecordBatch* out);
  // OK, or why Next() stopped early (e.g. ResourceExhausted from a sort over the budget).
  const absl::Status& status() const { return status_; }

 private:
  Pipeline() = default;
  // Runs `batch` through the operators from index `from`. False on an error.
  bool Push(size_t from, RecordBatch* batch);
  // Recomputes the derived plan (output fields, top-N hints) after a change of ops_.
  void Plan();

  PipeContext context_;
  std::vector<std::unique_ptr<PipeOperator>> ops_;
  std::optional<std::vector<std::string>> output_fields_;

  bool input_done_ = false;
  size_t finishing_ = 0;  // the operator whose Finish() runs next once input_done_
  absl::Status status_;
};

}  // namespace lode::query
