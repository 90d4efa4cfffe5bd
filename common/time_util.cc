#include "common/time_util.h"

#include <cmath>
#include <cstdio>
#include <limits>

namespace lode {
namespace {

bool Digits(std::string_view s, size_t pos, size_t n, int64_t* out) {
  if (pos + n > s.size()) return false;
  int64_t v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    char c = s[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2) {
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return leap ? 29 : 28;
  }
  return kDays[m - 1];
}

// ns = secs * 1e9 + frac with overflow checks.
std::optional<int64_t> Combine(int64_t secs, int64_t frac_ns) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max() / kNanosPerSecond;
  if (secs > kMax || secs < -kMax - 1) return std::nullopt;
  int64_t ns;
  if (__builtin_mul_overflow(secs, kNanosPerSecond, &ns)) return std::nullopt;
  if (__builtin_add_overflow(ns, frac_ns, &ns)) return std::nullopt;
  return ns;
}

}  // namespace

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

namespace {
std::optional<int64_t> InRange(std::optional<int64_t> ns) {
  if (!ns || *ns < kMinTimestamp || *ns > kMaxTimestamp) return std::nullopt;
  return ns;
}
std::optional<int64_t> ParseRfc3339Unchecked(std::string_view s);
std::optional<int64_t> ParseTimestampUnchecked(std::string_view s);
std::optional<int64_t> EpochToNanosUnchecked(int64_t v);
std::optional<int64_t> EpochToNanosUnchecked(double v);
}  // namespace

std::optional<int64_t> ParseRfc3339(std::string_view s) {
  return InRange(ParseRfc3339Unchecked(s));
}
std::optional<int64_t> ParseTimestamp(std::string_view s) {
  return InRange(ParseTimestampUnchecked(s));
}
std::optional<int64_t> EpochToNanos(int64_t v) { return InRange(EpochToNanosUnchecked(v)); }
std::optional<int64_t> EpochToNanos(double v) { return InRange(EpochToNanosUnchecked(v)); }

namespace {
std::optional<int64_t> ParseRfc3339Unchecked(std::string_view s) {
  int64_t year, month, day, hour, minute, second = 0;
  if (!Digits(s, 0, 4, &year) || s.size() < 16 || s[4] != '-' || !Digits(s, 5, 2, &month) ||
      s[7] != '-' || !Digits(s, 8, 2, &day)) {
    return std::nullopt;
  }
  char sep = s[10];
  if (sep != 'T' && sep != 't' && sep != ' ') return std::nullopt;
  if (!Digits(s, 11, 2, &hour) || s[13] != ':' || !Digits(s, 14, 2, &minute)) return std::nullopt;
  size_t pos = 16;
  int64_t frac_ns = 0;
  if (pos < s.size() && s[pos] == ':') {
    if (!Digits(s, pos + 1, 2, &second)) return std::nullopt;
    pos += 3;
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
      ++pos;
      size_t start = pos;
      int64_t scale = 100'000'000;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        frac_ns += (s[pos] - '0') * scale;
        scale /= 10;
        ++pos;
      }
      if (pos == start) return std::nullopt;
    }
  }
  int64_t offset_s = 0;
  if (pos < s.size()) {
    char c = s[pos];
    if ((c == 'Z' || c == 'z') && pos + 1 == s.size()) {
      pos += 1;
    } else if (c == '+' || c == '-') {
      int64_t oh, om = 0;
      if (!Digits(s, pos + 1, 2, &oh)) return std::nullopt;
      size_t p = pos + 3;
      if (p < s.size() && s[p] == ':') ++p;
      if (p < s.size()) {
        if (!Digits(s, p, 2, &om)) return std::nullopt;
        p += 2;
      }
      if (p != s.size() || oh > 23 || om > 59) return std::nullopt;
      offset_s = (oh * 3600 + om * 60) * (c == '-' ? -1 : 1);
      pos = p;
    } else {
      return std::nullopt;
    }
  }
  if (pos != s.size()) return std::nullopt;
  if (month < 1 || month > 12 || day < 1 ||
      day > static_cast<int64_t>(DaysInMonth(year, static_cast<unsigned>(month))) || hour > 23 ||
      minute > 59 || second > 60) {
    return std::nullopt;
  }
  int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_s;
  return Combine(secs, frac_ns);
}

std::optional<int64_t> EpochToNanosUnchecked(int64_t v) {
  int64_t a = v < 0 ? -(v + 1) : v;  // avoid overflow on INT64_MIN
  int64_t mul;
  if (a < 100'000'000'000LL) {
    mul = 1'000'000'000;
  } else if (a < 100'000'000'000'000LL) {
    mul = 1'000'000;
  } else if (a < 100'000'000'000'000'000LL) {
    mul = 1'000;
  } else {
    mul = 1;
  }
  int64_t ns;
  if (__builtin_mul_overflow(v, mul, &ns)) return std::nullopt;
  return ns;
}

std::optional<int64_t> EpochToNanosUnchecked(double v) {
  if (!std::isfinite(v) || std::fabs(v) >= 9.2e18) return std::nullopt;
  double a = std::fabs(v);
  int64_t mul;
  if (a < 1e11) {
    mul = 1'000'000'000;
  } else if (a < 1e14) {
    mul = 1'000'000;
  } else if (a < 1e17) {
    mul = 1'000;
  } else {
    mul = 1;
  }
  // Scale the whole part in integers so large epochs keep every digit; only the fraction goes
  // through floating point.
  double whole = std::trunc(v);
  int64_t ns;
  if (__builtin_mul_overflow(static_cast<int64_t>(whole), mul, &ns)) return std::nullopt;
  // A double holding epoch seconds has about 0.2 us of precision today: round the fraction to
  // whole microseconds so that 1.795773600123e9 means .123000000, not .122999907.
  int64_t frac = mul == 1'000'000'000 ? std::llround((v - whole) * 1e6) * 1000
                                      : std::llround((v - whole) * static_cast<double>(mul));
  if (__builtin_add_overflow(ns, frac, &ns)) return std::nullopt;
  return ns;
}

std::optional<int64_t> ParseTimestampUnchecked(std::string_view s) {
  if (s.size() >= 16 && s[4] == '-') return ParseRfc3339(s);
  if (s.size() == 10 && s[4] == '-' && s[7] == '-') {
    // A date alone: midnight UTC.
    std::string full(s);
    full += "T00:00:00Z";
    return ParseRfc3339(full);
  }
  // Epoch number: [-]digits[.digits]
  if (s.empty() || s.size() > 40) return std::nullopt;
  size_t i = 0;
  bool neg = false;
  if (s[0] == '-') {
    neg = true;
    i = 1;
  }
  size_t int_start = i;
  int64_t whole = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    if (__builtin_mul_overflow(whole, 10, &whole) ||
        __builtin_add_overflow(whole, s[i] - '0', &whole)) {
      return std::nullopt;
    }
    ++i;
  }
  if (i == int_start) return std::nullopt;
  if (i == s.size()) return EpochToNanos(neg ? -whole : whole);
  if (s[i] != '.') return std::nullopt;
  size_t frac_start = ++i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  if (i != s.size() || i == frac_start) return std::nullopt;
  // Decimal: scale the integer part exactly, then add the fraction in the chosen unit.
  auto base = EpochToNanos(neg ? -whole : whole);
  if (!base) return std::nullopt;
  int64_t unit = whole == 0 ? kNanosPerSecond : *base / (neg ? -whole : whole);
  if (unit <= 1) return base;
  int64_t frac = 0;
  int64_t scale = unit / 10;
  for (size_t k = frac_start; k < s.size() && scale > 0; ++k, scale /= 10) {
    frac += (s[k] - '0') * scale;
  }
  int64_t out;
  if (neg ? __builtin_sub_overflow(*base, frac, &out) : __builtin_add_overflow(*base, frac, &out)) {
    return std::nullopt;
  }
  return out;
}

}  // namespace

void AppendRfc3339Nanos(int64_t ns, std::string* out) {
  int64_t secs = ns / kNanosPerSecond;
  int64_t frac = ns % kNanosPerSecond;
  if (frac < 0) {
    frac += kNanosPerSecond;
    secs -= 1;
  }
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    days -= 1;
  }
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[48];
  int n = std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%09lldZ",
                        static_cast<long long>(y), m, d, static_cast<long long>(rem / 3600),
                        static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60),
                        static_cast<long long>(frac));
  out->append(buf, n);
}

std::string FormatRfc3339Nanos(int64_t ns) {
  std::string s;
  AppendRfc3339Nanos(ns, &s);
  return s;
}

std::string UtcDayString(int64_t ns) {
  std::string s = FormatRfc3339Nanos(ns);
  return s.substr(0, s.find('T'));
}

std::optional<int64_t> ParseDurationNanos(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int64_t total = 0;
  size_t i = 0;
  while (i < s.size()) {
    size_t start = i;
    int64_t v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, s[i] - '0', &v)) {
        return std::nullopt;
      }
      ++i;
    }
    if (i == start) return std::nullopt;
    size_t ustart = i;
    while (i < s.size() && ((s[i] >= 'a' && s[i] <= 'z') || s[i] == 'M')) ++i;
    std::string_view unit = s.substr(ustart, i - ustart);
    int64_t mul;
    if (unit == "ns") {
      mul = 1;
    } else if (unit == "us" || unit == "µs") {
      mul = 1'000;
    } else if (unit == "ms") {
      mul = 1'000'000;
    } else if (unit == "s") {
      mul = kNanosPerSecond;
    } else if (unit == "m") {
      mul = 60 * kNanosPerSecond;
    } else if (unit == "h") {
      mul = 3600 * kNanosPerSecond;
    } else if (unit == "d") {
      mul = 86400 * kNanosPerSecond;
    } else if (unit == "w") {
      mul = 7 * 86400 * kNanosPerSecond;
    } else if (unit == "y") {
      mul = 365 * 86400 * kNanosPerSecond;
    } else {
      return std::nullopt;
    }
    int64_t part;
    if (__builtin_mul_overflow(v, mul, &part) || __builtin_add_overflow(total, part, &total)) {
      return std::nullopt;
    }
  }
  return total;
}

}  // namespace lode
