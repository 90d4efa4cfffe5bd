#include "query/time_window.h"

#include <charconv>

#include "common/strings.h"
#include "common/time_util.h"

namespace lode::query {
namespace {

absl::StatusOr<int64_t> ParseTimeArg(std::string_view name, std::string_view s) {
  std::optional<int64_t> t = ParseTimestamp(s);
  if (!t) {
    return absl::InvalidArgumentError(
        StrCat("invalid ", name, " time '", s,
               "': expected RFC 3339 (2026-11-27T10:00:00Z) or an epoch number"));
  }
  return *t;
}

}  // namespace

absl::StatusOr<TimeWindow> ResolveTimeWindow(std::optional<std::string_view> from,
                                             std::optional<std::string_view> to,
                                             std::optional<std::string_view> since,
                                             int64_t now_ns) {
  TimeWindow w;
  if (from && since) {
    return absl::InvalidArgumentError("give either a from time or a since duration, not both");
  }
  if (from) {
    auto t = ParseTimeArg("from", *from);
    if (!t.ok()) return t.status();
    w.from = *t;
  }
  if (to) {
    auto t = ParseTimeArg("to", *to);
    if (!t.ok()) return t.status();
    w.to = *t;
  }
  if (since) {
    std::optional<int64_t> d = ParseDurationNanos(*since);
    if (!d || *d <= 0) {
      return absl::InvalidArgumentError(
          StrCat("invalid since duration '", *since, "': expected e.g. 15m, 1h30m, 2d, 500ms"));
    }
    if (__builtin_sub_overflow(now_ns, *d, &w.from)) w.from = INT64_MIN;
  }
  if (w.from >= w.to) {
    return absl::InvalidArgumentError(StrCat("empty time window: from ", FormatRfc3339Nanos(w.from),
                                             " is not before to ", FormatRfc3339Nanos(w.to)));
  }
  return w;
}

absl::StatusOr<uint64_t> ParseLimit(std::string_view s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) {
    return absl::InvalidArgumentError(
        StrCat("invalid limit '", s, "': expected a non-negative integer (0 for no limit)"));
  }
  return v;
}

}  // namespace lode::query
