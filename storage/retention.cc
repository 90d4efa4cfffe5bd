#include "storage/retention.h"

#include <algorithm>

#include "common/strings.h"
#include "storage/compaction.h"

namespace lode::storage {

bool RetentionPolicy::empty() const {
  if (max_bytes || !tenant_max_bytes.empty()) return false;
  if (max_age_ns) return false;
  for (const auto& [tenant, age] : tenant_max_age) {
    if (age) return false;
  }
  return true;
}

std::optional<int64_t> RetentionPolicy::Cutoff(std::string_view tenant, int64_t now) const {
  std::optional<int64_t> age = max_age_ns;
  if (auto it = tenant_max_age.find(tenant); it != tenant_max_age.end()) age = it->second;
  if (!age) return std::nullopt;
  // Saturate instead of overflowing for absurd ages ("1000000d").
  if (*age > 0 && now < INT64_MIN + *age) return INT64_MIN;
  return now - *age;
}

std::vector<AgeAction> PlanAge(const std::vector<SegmentEntry>& segments,
                               const RetentionPolicy& policy, int64_t now) {
  std::vector<AgeAction> out(segments.size());
  for (size_t i = 0; i < segments.size(); ++i) {
    const SegmentEntry& e = segments[i];
    const std::optional<int64_t> cutoff = policy.Cutoff(e.tenant, now);
    if (!cutoff || e.min_time >= *cutoff) continue;
    out[i].cutoff = *cutoff;
    out[i].kind = e.max_time < *cutoff ? AgeAction::Kind::kDrop : AgeAction::Kind::kTrim;
  }
  return out;
}

std::map<std::pair<std::string, int64_t>, std::string> PlanSize(
    const std::vector<SegmentEntry>& segments, const RetentionPolicy& policy) {
  std::map<std::pair<std::string, int64_t>, uint64_t> parts;  // (tenant, day) -> bytes
  std::map<std::string, uint64_t, std::less<>> tenant_bytes;
  uint64_t total = 0;
  for (const SegmentEntry& e : segments) {
    parts[{e.tenant, DayOfSegmentPath(e)}] += e.bytes;
    tenant_bytes[e.tenant] += e.bytes;
    total += e.bytes;
  }
  std::map<std::pair<std::string, int64_t>, std::string> drop;
  // Per tenant: its partitions are already ordered oldest day first within the map.
  for (const auto& [tenant, limit] : policy.tenant_max_bytes) {
    auto it = tenant_bytes.find(tenant);
    if (it == tenant_bytes.end()) continue;
    uint64_t& bytes = it->second;
    for (auto p = parts.lower_bound({tenant, INT64_MIN});
         p != parts.end() && p->first.first == tenant && bytes > limit; ++p) {
      drop[p->first] = StrCat("tenant ", tenant, " over its size limit of ", limit, " bytes");
      bytes -= p->second;
      total -= p->second;
    }
  }
  if (policy.max_bytes && total > *policy.max_bytes) {
    std::vector<std::pair<int64_t, std::string>> order;  // (day, tenant)
    for (const auto& [key, bytes] : parts) {
      if (!drop.count(key)) order.emplace_back(key.second, key.first);
    }
    std::sort(order.begin(), order.end());
    for (const auto& [day, tenant] : order) {
      if (total <= *policy.max_bytes) break;
      const std::pair<std::string, int64_t> key{tenant, day};
      drop[key] = StrCat("total over the size limit of ", *policy.max_bytes, " bytes");
      total -= parts[key];
    }
  }
  return drop;
}

std::string RetentionReport::Summary() const {
  uint64_t dropped_partitions = 0, trimmed_partitions = 0;
  for (const RetentionPartition& p : partitions) {
    if (p.fate == RetentionPartition::Fate::kDrop) dropped_partitions++;
    if (p.fate == RetentionPartition::Fate::kTrim) trimmed_partitions++;
  }
  return StrCat(
      dry_run ? "retention (dry run, nothing changed): would remove " : "retention: removed ",
      records_removed, " record(s): ", dropped_partitions, " partition(s) dropped, ",
      trimmed_partitions, " trimmed; ", segments_dropped, " segment(s) deleted, ",
      segments_rewritten, " rewritten; segment bytes ", bytes_before, " -> ", bytes_after,
      dry_run ? " (estimated)" : "");
}

}  // namespace lode::storage
