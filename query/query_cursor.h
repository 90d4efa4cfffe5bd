// Runs a compiled filter over a store's segments and hands back the matching records newest
// first, a batch at a time (pull-based, so the HTTP handler can stream and the CLI can print
// as results become final).
//
// How: segments come from Store::Snapshot (newest max_time first); each segment's blocks are
// read last to first (newest first, as a segment is in time order). Matching rows wait in a small
// buffer until no unread block can hold a newer record (the "watermark": the largest max_time still
// unread), then they are final and returned. With a limit N only the N best candidates are kept,
// and once N are held, blocks whose max_time is not newer than the N-th are skipped without being
// read; blocks outside [from, to) are never read.
//
// Order: time descending; among equal times, records of the segment read first (the one with
// the larger max_time, then the later-written file) come first, and within a segment the later
// row comes first. Deterministic for a given set of segments.
//
// Not thread-safe. Holds shared references to the segments it reads, so a cursor stays valid
// while compaction replaces them; the Store must outlive it.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "common/record_batch.h"
#include "query/filter.h"
#include "query/planner.h"
#include "query/selection.h"
#include "storage/store.h"

namespace lode::query {

struct SearchOptions {
  std::string tenant = std::string(storage::kDefaultTenant);
  int64_t from = std::numeric_limits<int64_t>::min();  // inclusive
  int64_t to = std::numeric_limits<int64_t>::max();    // exclusive
  uint64_t limit = 100;                                // 0: no limit
  // The query fails with DeadlineExceeded once this passes (checked between blocks).
  absl::Time deadline = absl::InfiniteFuture();
  // Bytes of decoded records the cursor may hold at once (held candidates and the block being
  // read); past it the query fails with ResourceExhausted instead of growing.
  uint64_t memory_budget = uint64_t{512} << 20;
  // Columns the caller will print: nullopt for all. The cursor decodes only these plus what
  // the filter needs; other columns are absent from the returned batches.
  std::optional<std::vector<std::string>> fields;
  // Threads Count() reads blocks with (at most one per core).
  size_t threads = 2;
};

// What a cursor did, for tests and `--stats`-style reporting.
struct SearchStats {
  uint64_t partitions = 0;          // (tenant, day) partitions the snapshot spans
  uint64_t segments = 0;            // sources in the snapshot (segments and memtables)
  uint64_t segments_skipped = 0;    // sources the index or time window ruled out entirely
  uint64_t blocks_considered = 0;   // blocks in the time window of the sources looked at
  uint64_t blocks_read = 0;         // blocks decoded
  uint64_t blocks_skipped = 0;      // blocks never read (index, min/max, early stop)
  uint64_t blocks_counted = 0;      // blocks whose matches the index counted without reading
  uint64_t rows_scanned = 0;        // rows the filter looked at
  uint64_t bytes_decompressed = 0;  // bytes of column streams decoded
  uint64_t unreadable = 0;          // segments or blocks skipped because they are corrupt
};

class QueryCursor {
 public:
  // Takes the snapshot of `options.tenant`'s segments overlapping [from, to). `store` must
  // outlive the cursor. InvalidArgument for a bad tenant; I/O errors listing the directory are
  // returned as they are. Segments that fail to open are reported in warnings(), not errors.
  static absl::StatusOr<std::unique_ptr<QueryCursor>> Open(storage::Store* store, Filter filter,
                                                           SearchOptions options);
  // Like Open(store, Filter::Compile(filter), options), and plans every source with the
  // index (query/planner.h), so that only the blocks and columns that can match are read.
  static absl::StatusOr<std::unique_ptr<QueryCursor>> Open(storage::Store* store,
                                                           const Node& filter,
                                                           SearchOptions options);

  // Replaces `out` with the next results, newest first, and returns true; returns false (with
  // `out` empty) when there are no more. A block that fails to decode is skipped and reported
  // in warnings().
  bool Next(RecordBatch* out);

  // Counts every matching record in the window (the limit does not apply). Call instead of
  // Next(). Blocks the index counts or rules out are not read; the others are read by up to
  // SearchOptions::threads threads.
  uint64_t Count();

  // OK, or why the query stopped early: DeadlineExceeded (SearchOptions::deadline) or
  // ResourceExhausted (memory_budget). Next() and Count() return false / a partial count then.
  const absl::Status& status() const { return status_; }

  // The plan in a few human-readable lines (what each filter term looks up, which columns are
  // read), then, once the cursor has run, what it touched: the SearchStats.
  std::string Explain() const;

  // One line per segment or block that could not be read, naming the file.
  const std::vector<std::string>& warnings() const { return warnings_; }
  const SearchStats& stats() const { return stats_; }

 private:
  struct Entry {
    int64_t time = 0;
    uint64_t order = 0;  // processing order: smaller wins among equal times
    uint32_t row = 0;    // in held_
  };
  static bool Better(const Entry& a, const Entry& b) {
    return a.time != b.time ? a.time > b.time : a.order < b.order;
  }

  QueryCursor(Filter filter, std::optional<Planner> planner, SearchOptions options,
              std::shared_ptr<const storage::StoreSnapshot> snapshot);
  // Reads block `b` of the current segment (the filter's columns, or all) into block_;
  // false (with a warning) when it cannot be read.
  bool ReadForFilter(size_t b, bool all_columns);
  // Stops the query when the deadline passed or the memory budget is exceeded.
  bool OverLimits();

  uint64_t Capacity() const;
  // Largest max_time any unread block may hold a record at (clamped to the window), or nullopt
  // when nothing in the window is left to read.
  std::optional<int64_t> Watermark() const;
  // Moves to the next block, or to the next segment when `rest_of_segment`.
  void Advance(bool rest_of_segment);
  // Sets up reading segments_[seg_] (from its last block down).
  void EnterSegment();
  void ProcessNextBlock();
  // Keeps the Capacity() best entries and records the worst of them in threshold_.
  void Prune();
  // Moves the final entries (time >= watermark) into `out`. False when there were none.
  bool EmitReady(const std::optional<int64_t>& watermark, RecordBatch* out);
  void CompactHeld();
  void Warn(const absl::Status& s);

  const Filter filter_;
  const std::optional<Planner> planner_;
  const SearchOptions options_;
  std::shared_ptr<const storage::StoreSnapshot> snapshot_;
  const std::vector<std::shared_ptr<const storage::BlockSource>>& segments_;  // snapshot_'s
  size_t seg_ = 0;                                                            // current segment
  size_t blocks_left_ = 0;  // unread blocks of the current segment; the next is blocks_left_-1
  std::vector<int64_t> prefix_max_;       // [b]: newest max_time among blocks 0..b of the segment
                                          // that the plan does not skip
  BlockPlan plan_;                        // of the current segment
  std::vector<uint32_t> output_columns_;  // filter columns plus options_.fields, when projected
  std::vector<std::string> index_notes_;
  std::set<std::string> filter_columns_;  // names of the columns the plans decode, for Explain

  RecordBatch block_;
  Selection sel_;
  FilterScratch scratch_;
  std::vector<uint32_t> candidates_;
  std::vector<uint32_t> gather_rows_;

  RecordBatch held_;  // candidate rows (some dead: evicted or returned)
  std::vector<Entry> entries_;
  std::optional<Entry> threshold_;  // set when entries_ holds Capacity() rows: the worst of them
  uint64_t next_order_ = 0;
  uint64_t emitted_ = 0;
  bool done_ = false;

  std::vector<std::string> warnings_;
  SearchStats stats_;
  absl::Status status_;
};

}  // namespace lode::query
