// Timestamps: parsing the forms logs carry, formatting RFC 3339, durations, and the clock type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lode {

inline constexpr int64_t kNanosPerSecond = 1'000'000'000;
// The timestamps lode accepts: whole UTC days inside the int64-nanosecond range, so that day
// arithmetic (partitions, retention) never overflows. Anything outside does not parse.
inline constexpr int64_t kMinTimestamp = -9'223'286'400LL * kNanosPerSecond;     // 1677-09-22
inline constexpr int64_t kMaxTimestamp = 9'223'286'400LL * kNanosPerSecond - 1;  // 2262-04-10 end

// Parses an RFC 3339 / ISO 8601 date-time: `YYYY-MM-DD[T| ]HH:MM[:SS[.fraction]][Z|±HH[:MM|MM]]`
// (`t`/`z` accepted; no offset means UTC; any number of fraction digits, truncated to ns).
// Returns ns since the epoch, or nullopt when malformed or outside the int64-ns range
// (1677-09-21 .. 2262-04-11).
std::optional<int64_t> ParseRfc3339(std::string_view s);

// Interprets an epoch number, choosing its unit by magnitude: |v| < 1e11 seconds,
// < 1e14 milliseconds, < 1e17 microseconds, otherwise nanoseconds.
std::optional<int64_t> EpochToNanos(double v);
std::optional<int64_t> EpochToNanos(int64_t v);

// Parses a timestamp given as text: RFC 3339, a date alone (`2026-11-27`, midnight UTC), or an
// epoch number (integer or decimal) as above.
std::optional<int64_t> ParseTimestamp(std::string_view s);

// `2026-11-27T10:00:00.123456789Z`: always nine fraction digits, always UTC.
std::string FormatRfc3339Nanos(int64_t ns);
// Appends the same to `out` (no allocation when `out` has room).
void AppendRfc3339Nanos(int64_t ns, std::string* out);

// Parses a duration such as `15m`, `1h30m`, `500ms`, `2d`, `1w`, `10s`, `250us`, `5ns`.
std::optional<int64_t> ParseDurationNanos(std::string_view s);

// Days since 1970-01-01 of a civil date, and back (proleptic Gregorian).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);
void CivilFromDays(int64_t days, int64_t* y, unsigned* m, unsigned* d);
// `YYYY-MM-DD` of the UTC day containing `ns`.
std::string UtcDayString(int64_t ns);

}  // namespace lode
