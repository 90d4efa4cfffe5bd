// The query language parser (grammar and examples in docs/QUERY.md).
//
//   query    := [or_expr] { '|' stage }
//   or_expr  := and_expr { 'OR' and_expr }
//   and_expr := unary { ['AND'] unary }          implicit AND between adjacent terms
//   unary    := 'NOT' unary | '-' unary | primary
//   primary  := '(' or_expr ')' | '*' | word | "phrase" | field ':' value
//   value    := word | "quoted" | '*' | ('>=' | '>' | '<=' | '<') number
//
// Precedence: NOT and '-' bind tightest, then AND, then OR. Keywords are upper-case only.
//
// Stateless and thread-safe.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"

#include "query/ast.h"
#include "query/query_error.h"

namespace lode::query {

// Parses `text`. An empty (or all-blank) query, and `*`, match everything. On failure returns
// InvalidArgumentError("error at L:C: ...") and, when `error` is not null, fills it with the
// position. Pipe stages are recognized but none is supported yet: they fail with an error
// pointing at the stage.
absl::StatusOr<Query> ParseQuery(std::string_view text, QueryError* error = nullptr);

}  // namespace lode::query
