// One query from text to printed output: parse, compile the filter and the pipe stages, run over
// a store, format. RunQuery is the whole of `lode query` after flag parsing, kept here so that the
// table-driven tests run exactly what the CLI runs; QueryRun is the part the HTTP handler shares.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "common/record_batch.h"
#include "query/pipeline.h"
#include "query/query_cursor.h"
#include "query/query_error.h"
#include "query/result_formatter.h"
#include "storage/store.h"

namespace lode::query {

struct QueryRequest {
  std::string text;  // the query, pipes included
  // search.limit caps the records printed after the pipes (0: none); search.memory_budget bounds
  // the cursor and, separately, what a sort holds.
  SearchOptions search;
  bool count = false;    // print only the number of records the query outputs
  bool explain = false;  // print the plan and what the search touched (to `err`)
  // The query fails once this long has passed since it started (InfiniteDuration: never).
  absl::Duration timeout = absl::InfiniteDuration();
  OutputFormat format = OutputFormat::kNdjson;
};

// Exit codes of RunQuery (and `lode query`).
inline constexpr int kQueryOk = 0;
inline constexpr int kQueryIncomplete = 1;  // some data could not be read and was skipped
// Bad query, the store could not be listed, or the query stopped early: it ran past its timeout
// or needed more memory than its budget (with a message saying which; output printed before
// the stop is not the whole result).
inline constexpr int kQueryFailed = 2;

// A query parsed, compiled and opened, pulled for formatted results: what RunQuery and the HTTP
// handler share. The cursor is planned from the pipeline: its limit is the pipeline's early-stop
// bound (none when a sort comes first), and it decodes only the columns printed or sorted on.
//
// Not thread-safe. The store must outlive it.
class QueryRun {
 public:
  // Parses `req.text`, compiles it and opens the cursor. A mistake in the query text is
  // InvalidArgument with `*query_error` set (for a caret or a position); other errors (listing
  // the store) are returned as they are. With `req.count` the final limit (req.search.limit) does
  // not apply.
  static absl::StatusOr<std::unique_ptr<QueryRun>> Start(storage::Store* store,
                                                         const QueryRequest& req,
                                                         std::optional<QueryError>* query_error);

  // Appends formatted results (newest first unless sorted) to `out` until it grew by at least
  // `bytes`; returns false once the results are exhausted (the last ones may have been appended
  // in that call) or the query stopped early (status()).
  bool Fill(std::string* out, size_t bytes);
  // Runs the search until its first results are known (or it ends), without formatting; for the
  // HTTP handler, so that an early failure can still change the status code.
  void Prime();
  // The number of records the query outputs (after the pipes). Call instead of Fill(); check
  // status() after.
  uint64_t Count();

  // OK, or why the query stopped early: DeadlineExceeded, ResourceExhausted (the cursor's or a
  // sort's budget), or another cursor error.
  absl::Status status() const;
  // status() as one line for a person, e.g. `query timed out after 2s (read 37 of 120 blocks);
  // narrow the time window or raise --timeout`, naming the timeout as `timeout_knob`.
  std::string StopMessage(std::string_view timeout_knob) const;
  // The cursor's plan and statistics, then one `pipe: ...` line per stage.
  std::string Explain() const;
  const std::vector<std::string>& warnings() const { return cursor_->warnings(); }

 private:
  QueryRun() = default;
  // Gets the next output batch into batch_. False at the end or on an error.
  bool Pull();

  QueryRequest req_;  // as given, with the deadline resolved
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<QueryCursor> cursor_;
  std::unique_ptr<ResultFormatter> formatter_;
  RecordBatch batch_;
  uint32_t next_row_ = 0;
  bool done_ = false;
};

// A query timeout as given to `lode query --timeout` and `timeout=`: a duration (`30s`, `500ms`,
// `2m`, `1m30s`); `0` means none (InfiniteDuration). InvalidArgument otherwise.
absl::StatusOr<absl::Duration> ParseQueryTimeout(std::string_view s);

// Runs `req` against `store`. Results go to `out` in pieces of about 64 KiB as they become final;
// the count with `req.count`; with `req.explain` the plan and statistics to `err` afterwards.
// Errors and warnings go to `err` as full lines: a bad query prints `error at L:C: ...`, the
// query line and a caret line; a timeout or a budget overrun `lode query: query timed out ...`.
// Returns an exit code.
int RunQuery(storage::Store* store, const QueryRequest& req,
             absl::FunctionRef<void(std::string_view)> out,
             absl::FunctionRef<void(std::string_view)> err);

}  // namespace lode::query
