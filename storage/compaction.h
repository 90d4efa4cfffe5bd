// Compaction policy and merging: which segments of a (tenant, day) partition to merge, and the
// merge itself. The Store runs them (Store::Compact, and its background thread after flushes);
// this file holds the parts that need no store state, so they are tested on their own.
//
// Policy: a segment at least `target_bytes` large is done. The smaller ones of a partition are
// grouped by size tier (a tier spans a factor of 4 in bytes); a tier with `min_inputs` segments
// is merged, so a record is rewritten about once per tier on its way to the target size (write
// amplification ~ log4(target / flushed segment size), not ~ the number of flushes). Once a
// day's partition is cold (its day ended `cold_after_ns` ago, so no new flush is likely to add
// to it), all its small segments are merged regardless of tier. Store::Compact() (on demand)
// merges every partition's small segments at once.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"

#include "common/record_batch.h"
#include "storage/manifest.h"

namespace lode::storage {

struct CompactionOptions {
  // Segments of at least this many bytes are not merged further. 0 disables background
  // compaction (Store::Compact still works, with the default target).
  uint64_t target_bytes = 128ull << 20;
  // Upper bound on the uncompressed bytes one merge holds in memory; inputs past it wait for
  // the next merge.
  uint64_t max_merge_raw_bytes = 256ull << 20;
  // Segments of one size tier that trigger a merge in a partition still being written.
  size_t min_inputs = 4;
  // A partition is cold this long after its UTC day ended.
  int64_t cold_after_ns = 3600LL * 1'000'000'000;
};

// Picks the merges to do now: each a list of indexes into `segments` (two or more, one tenant
// and day, ordered by min_time). With `force`, every partition with two or more segments
// smaller than the target yields one group of them all.
std::vector<std::vector<size_t>> PickCompactions(const std::vector<SegmentEntry>& segments,
                                                 const CompactionOptions& options, int64_t now,
                                                 bool force);

// The UTC day number (days since 1970-01-01) of a segment path "t=<tenant>/d=<YYYY-MM-DD>/..."
// or of a time; -1 style floor division for times before 1970.
int64_t DayOfTime(int64_t ns);
int64_t DayOfSegmentPath(const SegmentEntry& e);

// Appends every row of `src` to `dst` (columns matched by name and type).
void AppendBatch(const RecordBatch& src, RecordBatch* dst);
// The rows of all `batches`, sorted by time (stable: equal times keep input order).
RecordBatch ConcatSorted(const std::vector<const RecordBatch*>& batches);

}  // namespace lode::storage
