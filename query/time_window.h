// The request arguments shared by `lode query` and the HTTP API: the time window
// (from / to / since) and the result limit, parsed the same way for both.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/status/statusor.h"

namespace lode::query {

// Half-open: from <= time < to.
struct TimeWindow {
  int64_t from = INT64_MIN;
  int64_t to = INT64_MAX;
};

// Resolves the window. `from` and `to` are RFC 3339 (`2026-11-27T10:00:00Z`) or epoch numbers
// (unit chosen by magnitude, see ParseTimestamp); `since` is a duration (`15m`, `1h30m`) meaning
// from = now_ns - since. Absent arguments leave the window open on that side.
// InvalidArgument when an argument does not parse, when both `from` and `since` are given, or
// when the window is empty (from >= to).
absl::StatusOr<TimeWindow> ResolveTimeWindow(std::optional<std::string_view> from,
                                             std::optional<std::string_view> to,
                                             std::optional<std::string_view> since, int64_t now_ns);

// A result limit: a non-negative integer; 0 means no limit.
absl::StatusOr<uint64_t> ParseLimit(std::string_view s);

}  // namespace lode::query
