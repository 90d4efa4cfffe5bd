// A mistake in a query's text, with the place it was found, so that both the CLI (caret under
// the column) and the HTTP API (`{"error":..., "position":N}`) can point at it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace lode::query {

struct QueryError {
  size_t offset = 0;  // byte offset in the query text (== its size for "at the end")
  int line = 1;       // 1-based
  int column = 1;     // 1-based, in characters (UTF-8 code points) from the line's start
  int position = 1;   // 1-based, in characters from the query's start (== column on one line)
  std::string message;

  // Builds the error for byte `offset` of `query`, computing line, column and position.
  static QueryError At(std::string_view query, size_t offset, std::string message);

  // `error at 1:17: expected ')'`
  std::string ToString() const;
  // ToString(), then the query line the error is on, then a caret line under the column:
  //   error at 1:9: expected a term after 'OR'
  //   error OR
  //           ^
  // Each ends with '\n'. Tabs before the column are kept in the caret line so it lines up.
  std::string Display(std::string_view query) const;
  // InvalidArgumentError(ToString()).
  absl::Status ToStatus() const;
};

}  // namespace lode::query
