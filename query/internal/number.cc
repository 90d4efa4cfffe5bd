#include "query/internal/number.h"

#include <charconv>

namespace lode::query::internal {

std::optional<Number> ParseNumber(std::string_view s) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  // from_chars also accepts "inf", "nan" and (for doubles) forms we do not want; allow only
  // the characters of a decimal number, and require at least one digit.
  bool digit = false;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      digit = true;
    } else if (c != '-' && c != '.' && c != 'e' && c != 'E' && c != '+') {
      return std::nullopt;
    }
  }
  if (!digit) return std::nullopt;
  const char* end = s.data() + s.size();
  Number n;
  auto [ip, iec] = std::from_chars(s.data(), end, n.i);
  if (iec == std::errc() && ip == end) {
    n.is_int = true;
    n.d = static_cast<double>(n.i);
    return n;
  }
  auto [dp, dec] = std::from_chars(s.data(), end, n.d);
  if (dec != std::errc() || dp != end || !std::isfinite(n.d)) return std::nullopt;
  return n;
}

}  // namespace lode::query::internal
