#include "cli/retention_flags.h"

#include <cstdio>
#include <vector>

#include "common/status_macros.h"
#include "common/strings.h"
#include "common/time_util.h"
#include "storage/store.h"

namespace lode::cli {
namespace {

// Splits "a=1,b=2" into pairs; InvalidArgument on a piece without '=' or an empty side.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Pairs(std::string_view flag,
                                                                       std::string_view list) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    std::string_view piece = list.substr(start, comma - start);
    const size_t eq = piece.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == piece.size()) {
      return absl::InvalidArgumentError(
          StrCat("--", flag, " '", piece, "': expected TENANT=VALUE[,TENANT=VALUE...]"));
    }
    std::string tenant(piece.substr(0, eq));
    if (absl::Status s = storage::ValidateTenant(tenant); !s.ok()) {
      return absl::InvalidArgumentError(StrCat("--", flag, ": ", StatusMessage(s)));
    }
    out.emplace_back(std::move(tenant), std::string(piece.substr(eq + 1)));
    start = comma + 1;
  }
  return out;
}

absl::StatusOr<int64_t> Age(std::string_view flag, std::string_view v) {
  auto d = ParseDurationNanos(v);
  if (!d || *d <= 0) {
    return absl::InvalidArgumentError(
        StrCat("--", flag, " '", v, "': expected a duration such as 30d, 12h or 2w"));
  }
  return *d;
}

absl::StatusOr<uint64_t> Size(std::string_view flag, std::string_view v) {
  auto n = ParseSize(v);
  if (!n) {
    return absl::InvalidArgumentError(
        StrCat("--", flag, " '", v, "': expected a size such as 50GB, 500MiB or 1TB"));
  }
  return *n;
}

}  // namespace

const std::set<std::string>& RetentionFlagNames() {
  static const std::set<std::string> names = {"retention", "retention-tenant", "max-disk",
                                              "max-disk-tenant"};
  return names;
}

absl::StatusOr<storage::RetentionPolicy> RetentionPolicyFromFlags(const Flags& flags) {
  storage::RetentionPolicy p;
  if (auto v = flags.Get("retention")) {
    ASSIGN_OR_RETURN(int64_t age, Age("retention", *v));
    p.max_age_ns = age;
  }
  if (auto v = flags.Get("retention-tenant")) {
    ASSIGN_OR_RETURN(auto pairs, Pairs("retention-tenant", *v));
    for (auto& [tenant, value] : pairs) {
      if (value == "none" || value == "forever") {
        p.tenant_max_age[tenant] = std::nullopt;
        continue;
      }
      ASSIGN_OR_RETURN(int64_t age, Age("retention-tenant", value));
      p.tenant_max_age[tenant] = age;
    }
  }
  if (auto v = flags.Get("max-disk")) {
    ASSIGN_OR_RETURN(uint64_t n, Size("max-disk", *v));
    p.max_bytes = n;
  }
  if (auto v = flags.Get("max-disk-tenant")) {
    ASSIGN_OR_RETURN(auto pairs, Pairs("max-disk-tenant", *v));
    for (auto& [tenant, value] : pairs) {
      ASSIGN_OR_RETURN(uint64_t n, Size("max-disk-tenant", value));
      p.tenant_max_bytes[tenant] = n;
    }
  }
  return p;
}

std::optional<uint64_t> ParseSize(std::string_view s) {
  size_t i = 0;
  uint64_t v = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    if (v > (uint64_t{1} << 60) / 10) return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(s[i] - '0');
    ++i;
  }
  if (i == 0 || v == 0) return std::nullopt;
  std::string unit;
  for (char c : s.substr(i)) unit.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
  if (!unit.empty() && unit != "b" && unit.back() == 'b') unit.pop_back();  // "gb" -> "g"
  if (unit.size() == 2 && unit.back() == 'i') unit.pop_back();              // "gi" -> "g"
  int shift;
  if (unit.empty() || unit == "b") {
    shift = 0;
  } else if (unit == "k") {
    shift = 10;
  } else if (unit == "m") {
    shift = 20;
  } else if (unit == "g") {
    shift = 30;
  } else if (unit == "t") {
    shift = 40;
  } else {
    return std::nullopt;
  }
  if (v > (uint64_t{1} << (60 - shift))) return std::nullopt;
  return v << shift;
}

std::string FormatBytes(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 5) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0) {
    std::snprintf(buf, sizeof(buf), "%llu B", static_cast<unsigned long long>(bytes));
  } else {
    std::snprintf(buf, sizeof(buf),
                  v < 10    ? "%.2f %s"
                  : v < 100 ? "%.1f %s"
                            : "%.0f %s",
                  v, kUnits[u]);
  }
  return buf;
}

std::string FormatAge(int64_t ns) {
  constexpr int64_t kMinute = 60 * kNanosPerSecond, kHour = 60 * kMinute, kDay = 24 * kHour;
  if (ns % kDay == 0) return StrCat(ns / kDay, "d");
  if (ns % kHour == 0) return StrCat(ns / kHour, "h");
  if (ns % kMinute == 0) return StrCat(ns / kMinute, "m");
  if (ns % kNanosPerSecond == 0) return StrCat(ns / kNanosPerSecond, "s");
  return StrCat(ns, "ns");
}

}  // namespace lode::cli
