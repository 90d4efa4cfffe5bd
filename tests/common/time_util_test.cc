#include "common/time_util.h"

#include <gtest/gtest.h>

namespace lode {
namespace {

constexpr int64_t kS = kNanosPerSecond;
// 2026-11-27T10:00:00Z
constexpr int64_t kBase = 1795773600LL * kS;

TEST(TimeUtil, Rfc3339Forms) {
  struct Case {
    const char* in;
    int64_t want;
  } cases[] = {
      {"2026-11-27T10:00:00Z", kBase},
      {"2026-11-27T10:00:00.123Z", kBase + 123'000'000},
      {"2026-11-27T10:00:00.123456789Z", kBase + 123'456'789},
      {"2026-11-27T10:00:00.1234567891234Z", kBase + 123'456'789},  // extra digits truncated
      {"2026-11-27T10:00:00,5Z", kBase + 500'000'000},
      {"2026-11-27T11:30:00+01:30", kBase},
      {"2026-11-27T08:00:00-02:00", kBase},
      {"2026-11-27T12:00:00+0200", kBase},
      {"2026-11-27T12:00:00+02", kBase},
      {"2026-11-27 10:00:00", kBase},  // space separator, no offset = UTC
      {"2026-11-27t10:00:00z", kBase},
      {"2026-11-27T10:00Z", kBase},  // no seconds
      {"1970-01-01T00:00:00Z", 0},
      {"1969-12-31T23:59:59.5Z", -500'000'000},
      {"2024-02-29T00:00:00Z", 1709164800LL * kS},
  };
  for (const Case& c : cases) {
    auto got = ParseRfc3339(c.in);
    ASSERT_TRUE(got.has_value()) << c.in;
    EXPECT_EQ(*got, c.want) << c.in;
    EXPECT_EQ(ParseTimestamp(c.in), c.want) << c.in;
  }
}

TEST(TimeUtil, Rfc3339Rejects) {
  for (const char* in :
       {"", "2026", "2026-11-27", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
        "2023-02-29T00:00:00Z", "2026-11-27T24:00:00Z", "2026-11-27T10:60:00Z",
        "2026-11-27T10:00:00.Z", "2026-11-27T10:00:00+25:00", "2026-11-27T10:00:00 junk",
        "2026-11-27X10:00:00Z", "9999-01-01T00:00:00Z", "1500-01-01T00:00:00Z"}) {
    EXPECT_FALSE(ParseRfc3339(in).has_value()) << in;
  }
}

TEST(TimeUtil, EpochUnitsByMagnitude) {
  EXPECT_EQ(ParseTimestamp("1795773600"), kBase);                         // seconds
  EXPECT_EQ(ParseTimestamp("1795773600123"), kBase + 123'000'000);        // ms
  EXPECT_EQ(ParseTimestamp("1795773600123456"), kBase + 123'456'000);     // us
  EXPECT_EQ(ParseTimestamp("1795773600123456789"), kBase + 123'456'789);  // ns
  EXPECT_EQ(ParseTimestamp("1795773600.25"), kBase + 250'000'000);
  EXPECT_EQ(ParseTimestamp("1795773600123.5"), kBase + 123'500'000);
  EXPECT_EQ(ParseTimestamp("0"), 0);
  EXPECT_EQ(ParseTimestamp("2026-11-27"), *ParseRfc3339("2026-11-27T00:00:00Z"));
  // Only whole days inside the int64-ns range: 1677-09-22 .. 2262-04-10.
  EXPECT_EQ(ParseTimestamp("2262-04-10T23:59:59.999999999Z"), kMaxTimestamp);
  EXPECT_FALSE(ParseTimestamp("2262-04-11T00:00:00Z").has_value());
  EXPECT_FALSE(ParseTimestamp("9223372036.9").has_value());
  EXPECT_FALSE(ParseTimestamp("9223372036854775807").has_value());
  EXPECT_EQ(ParseTimestamp("1677-09-22"), kMinTimestamp);
  EXPECT_FALSE(ParseTimestamp("1677-09-21T23:59:59Z").has_value());
  EXPECT_FALSE(ParseTimestamp("2026-11-32").has_value());
  EXPECT_EQ(ParseTimestamp("-1"), -kS);
  EXPECT_EQ(EpochToNanos(int64_t{1795773600}), kBase);
  EXPECT_EQ(EpochToNanos(1795773600.5), kBase + 500'000'000);
  EXPECT_EQ(EpochToNanos(1795773600123.0), kBase + 123'000'000);
  for (const char* in : {"abc", "12a", "1.", ".5", "--1", "1e9", "99999999999999999999999"}) {
    EXPECT_FALSE(ParseTimestamp(in).has_value()) << in;
  }
}

TEST(TimeUtil, FormatRoundTrips) {
  EXPECT_EQ(FormatRfc3339Nanos(kBase + 123'456'789), "2026-11-27T10:00:00.123456789Z");
  EXPECT_EQ(FormatRfc3339Nanos(0), "1970-01-01T00:00:00.000000000Z");
  EXPECT_EQ(FormatRfc3339Nanos(-1), "1969-12-31T23:59:59.999999999Z");
  for (int64_t ns : {int64_t{0}, kBase, kBase + 1, int64_t{-123456789}, int64_t{951782400} * kS}) {
    EXPECT_EQ(ParseRfc3339(FormatRfc3339Nanos(ns)), ns);
  }
  EXPECT_EQ(UtcDayString(kBase), "2026-11-27");
}

TEST(TimeUtil, Durations) {
  EXPECT_EQ(ParseDurationNanos("15m"), 15 * 60 * kS);
  EXPECT_EQ(ParseDurationNanos("1h30m"), 90 * 60 * kS);
  EXPECT_EQ(ParseDurationNanos("500ms"), 500'000'000);
  EXPECT_EQ(ParseDurationNanos("2d"), 2 * 86400 * kS);
  EXPECT_EQ(ParseDurationNanos("1w"), 7 * 86400 * kS);
  EXPECT_EQ(ParseDurationNanos("10s"), 10 * kS);
  for (const char* in : {"", "m", "15", "15x", "1h-", "99999999999999999999h"}) {
    EXPECT_FALSE(ParseDurationNanos(in).has_value()) << in;
  }
}

}  // namespace
}  // namespace lode
