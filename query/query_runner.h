// One query from text to printed output: parse, compile, run over a store, format. This is the
// whole of `lode query` after flag parsing, kept here so that the table-driven tests run exactly
// what the CLI runs.
#pragma once

#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"

#include "query/query_cursor.h"
#include "query/result_formatter.h"
#include "storage/store.h"

namespace lode::query {

struct QueryRequest {
  std::string text;  // the query
  SearchOptions search;
  bool count = false;  // print only the number of matches
  OutputFormat format = OutputFormat::kNdjson;
};

// Exit codes of RunQuery (and `lode query`).
inline constexpr int kQueryOk = 0;
inline constexpr int kQueryIncomplete = 1;  // some data could not be read and was skipped
inline constexpr int kQueryFailed = 2;      // bad query, or the store could not be listed

// Runs `req` against `store`. Results go to `out` in pieces of about 64 KiB as they become final
// (newest first); the count with `req.count`. Errors and warnings go to `err` as full lines: a
// bad query prints `error at L:C: ...`, the query line and a caret line. Returns an exit code.
int RunQuery(storage::Store* store, const QueryRequest& req,
             absl::FunctionRef<void(std::string_view)> out,
             absl::FunctionRef<void(std::string_view)> err);

}  // namespace lode::query
