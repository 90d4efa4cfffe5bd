// Status propagation helpers shared by every component.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define LODE_CONCAT_INNER_(a, b) a##b
#define LODE_CONCAT_(a, b) LODE_CONCAT_INNER_(a, b)

// Returns from the enclosing function when `expr` (an absl::Status) is not OK.
#define RETURN_IF_ERROR(expr)                    \
  do {                                           \
    ::absl::Status lode_status_ = (expr);        \
    if (!lode_status_.ok()) return lode_status_; \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, F())`: evaluates F() (an absl::StatusOr<T>), returns its status on
// error, otherwise moves the value into the declaration on the left.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(LODE_CONCAT_(lode_statusor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                           \
  if (!tmp.ok()) return tmp.status();          \
  lhs = std::move(tmp).value()
