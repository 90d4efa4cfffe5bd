// The query language parser (grammar and examples in docs/QUERY.md).
//
//   query    := [or_expr] { '|' stage }
//   or_expr  := and_expr { 'OR' and_expr }
//   and_expr := unary { ['AND'] unary }          implicit AND between adjacent terms
//   unary    := 'NOT' unary | '-' unary | primary
//   primary  := '(' or_expr ')' | '*' | word | prefix | "phrase" | regex
//             | field ':' value | field ':(' group ')' | '_time:' time
//   value    := word | prefix | "quoted" | '*' | ('>=' | '>' | '<=' | '<') number | range | regex
//   prefix   := word-text '*'                     a single trailing star
//   range    := ('[' | '{') (number | '*') 'TO' (number | '*') (']' | '}')
//   regex    := '~"' pattern '"'
//   group    := an or_expr whose leaves are values of the field
//   time     := ('[' | '(') T ',' T (']' | ')') | duration | ('>=' | '>' | '<=' | '<') T
//   stage    := name { word | "quoted" | '(' | ')' | ',' }
//
// Precedence: NOT and '-' bind tightest, then AND, then OR. Keywords are upper-case only.
//
// Stateless and thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

#include "query/ast.h"
#include "query/query_error.h"

namespace lode::query {

struct ParseOptions {
  // "now" for relative times (`_time:5m` is [now - 5m, now]), in ns since the epoch.
  int64_t now_ns = 0;
};

// Parses `text`. An empty (or all-blank) query, and `*`, match everything; a query may be only
// pipe stages (`| limit 5`). Pipe stages are split into name and arguments but not checked.
// On failure returns InvalidArgumentError("error at L:C: ...") and, when `error` is not null,
// fills it with the position.
absl::StatusOr<Query> ParseQuery(std::string_view text, const ParseOptions& options,
                                 QueryError* error = nullptr);

// The same with "now" taken from the wall clock.
absl::StatusOr<Query> ParseQuery(std::string_view text, QueryError* error = nullptr);

}  // namespace lode::query
