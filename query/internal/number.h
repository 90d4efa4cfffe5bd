// Numbers in queries: parsing `N` of `field:>=N` / `field:N`, and exact comparison between
// int64 and double values (no rounding through double, so 2^53+1 compares correctly).
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>

namespace lode::query::internal {

struct Number {
  bool is_int = false;  // the text was an integer that fits int64; `i` holds it
  int64_t i = 0;
  double d = 0;  // the value as a double (also set when is_int)
};

// Parses a decimal integer or a decimal/exponent floating-point number with an optional sign
// (`500`, `-3`, `+2.5`, `1e3`, `.5`). Rejects anything else, including inf, nan and hex.
std::optional<Number> ParseNumber(std::string_view s);

// Three-way comparison of `a` with `b` (-1, 0, 1), exact for every int64 and finite double.
// `b` must not be NaN.
inline int CompareIntDouble(int64_t a, double b) {
  constexpr double kTwo63 = 9223372036854775808.0;
  if (b >= kTwo63) return -1;
  if (b < -kTwo63) return 1;
  const double t = std::trunc(b);
  const auto ti = static_cast<int64_t>(t);
  if (a != ti) return a < ti ? -1 : 1;
  const double frac = b - t;
  return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

// Three-way comparison of a stored value `v` with query number `n`; nullopt when `v` is NaN
// (a NaN never matches a comparison).
inline std::optional<int> CompareToNumber(int64_t v, const Number& n) {
  if (n.is_int) return v < n.i ? -1 : v > n.i ? 1 : 0;
  return CompareIntDouble(v, n.d);
}
inline std::optional<int> CompareToNumber(double v, const Number& n) {
  if (std::isnan(v)) return std::nullopt;
  if (n.is_int) return -CompareIntDouble(n.i, v);
  return v < n.d ? -1 : v > n.d ? 1 : 0;
}

// Three-way comparison of two query numbers, exact.
inline int CompareNumbers(const Number& a, const Number& b) {
  if (a.is_int && b.is_int) return a.i < b.i ? -1 : a.i > b.i ? 1 : 0;
  if (a.is_int) return CompareIntDouble(a.i, b.d);
  if (b.is_int) return -CompareIntDouble(b.i, a.d);
  return a.d < b.d ? -1 : a.d > b.d ? 1 : 0;
}

}  // namespace lode::query::internal
