// Retention: which records a retention run removes, by age and by size, and what it reports.
// The Store applies it (Store::ApplyRetention); the planning here needs no store state.
//
// Granularity (docs/STORAGE.md says the same):
//   - Age: the cutoff is `now - max_age` (the tenant's override, else the default). A segment
//     whose newest record is older than the cutoff is dropped whole; a segment that straddles it
//     (some records older, some not) is rewritten without the older records; newer segments are
//     untouched. So after a run no record older than the cutoff remains, whatever partition it
//     shares: the granularity is the record. A day partition left with no segment disappears.
//   - Size: what counts is segment bytes (file sizes named by the manifest); the WAL, the
//     memtable and DIR/quarantine are not counted. A tenant over its own limit loses its
//     oldest day partitions, whole, until it fits; then, while the total over all tenants is
//     above `max_bytes`, the oldest partitions of any tenant go (oldest day first, ties by
//     tenant name). The granularity is the day partition, and the newest partition is not
//     spared: a limit smaller than one day of data empties the store.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/manifest.h"

namespace lode::storage {

struct RetentionPolicy {
  std::optional<int64_t> max_age_ns;  // default age limit of every tenant
  // Per-tenant age limits, replacing the default; nullopt keeps that tenant's records forever.
  std::map<std::string, std::optional<int64_t>, std::less<>> tenant_max_age;
  std::optional<uint64_t> max_bytes;  // limit on the total over all tenants
  std::map<std::string, uint64_t, std::less<>> tenant_max_bytes;

  // True when the policy removes nothing.
  bool empty() const;
  // Records of `tenant` with time < the cutoff expire at `now`; nullopt: no age limit.
  std::optional<int64_t> Cutoff(std::string_view tenant, int64_t now) const;
};

// What a run did (or, with dry_run, would do) to one (tenant, day) partition.
struct RetentionPartition {
  enum class Fate { kKeep, kTrim, kDrop };
  std::string tenant;
  std::string day;                                // YYYY-MM-DD (UTC)
  uint64_t segments = 0, records = 0, bytes = 0;  // before the run
  int64_t min_time = 0, max_time = 0;
  Fate fate = Fate::kKeep;
  std::string reason;  // why it is trimmed or dropped
  uint64_t records_removed = 0;
  uint64_t bytes_freed = 0;  // for a trim in a dry run: estimated from the share of records
};

struct RetentionReport {
  bool dry_run = false;
  int64_t now = 0;
  std::vector<RetentionPartition> partitions;  // every partition, by tenant then day
  uint64_t segments_dropped = 0;
  uint64_t segments_rewritten = 0;
  uint64_t records_removed = 0;
  uint64_t bytes_before = 0;  // segment bytes
  uint64_t bytes_after = 0;   // estimated in a dry run
  // Records older than their cutoff that were only in the memtable/WAL. A run flushes them to
  // segments first (so they are counted in the partitions too); a dry run counts them here only.
  uint64_t memtable_records_expired = 0;
  // One line for logs: "retention: removed 1200 record(s): 3 partition(s) dropped, ..."
  std::string Summary() const;
};

// The fate of one segment under the age limit.
struct AgeAction {
  enum class Kind { kKeep, kTrim, kDrop };
  Kind kind = Kind::kKeep;
  int64_t cutoff = 0;  // kTrim and kDrop: records with time < cutoff go
};
std::vector<AgeAction> PlanAge(const std::vector<SegmentEntry>& segments,
                               const RetentionPolicy& policy, int64_t now);

// Partitions to drop for the size limits, given the segments left after the age step (sizes
// as they are or estimated): (tenant, day) -> reason.
std::map<std::pair<std::string, int64_t>, std::string> PlanSize(
    const std::vector<SegmentEntry>& segments, const RetentionPolicy& policy);

}  // namespace lode::storage
