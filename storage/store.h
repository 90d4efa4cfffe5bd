// Store: the data directory. Acknowledged means durable: a batch is appended to the write-ahead
// log and fsynced (group commit) before Write() returns; it then sits in the memtable, where
// queries see it at once, until a background flush writes it as segments and a new manifest,
// after which its WAL generation is deleted. On Open the manifest is read (no scan of the data)
// and the WAL replayed.
//
// Maintenance (docs/STORAGE.md): compaction merges a partition's small segments, retention
// removes records by age and size, Delete removes records matching a predicate, and segments
// found corrupt are quarantined. Each replaces segments by writing the new files durably, then
// one manifest that swaps old for new; a crash leaves either the old or the new set. Snapshots
// hold the segments they read (LiveSegment), so a replaced file is removed only when the last
// reader lets go. The methods are implemented in store.cc (ingest, flush, snapshots),
// store_maintenance.cc (compaction, retention, delete, quarantine, the background thread) and
// store_stats.cc.
//
// Layout:
//   DIR/LOCK                          held by the one process that writes
//   DIR/MANIFEST                      the catalog (docs/formats/manifest.md)
//   DIR/wal/<generation>.wal          docs/formats/wal.md
//   DIR/t=<tenant>/d=<YYYY-MM-DD>/<id>.lode   segments (docs/formats/segment.md)
//   DIR/quarantine/<tenant>_<day>_<id>.lode   corrupt segments moved aside, with a .reason file
//
// Thread-safe. Open a directory read-only (`StoreOptions::read_only`) to query it while another
// process writes: that sees the segments of the manifest and the records in the WAL.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

#include "common/record_batch.h"
#include "storage/block_source.h"
#include "storage/compaction.h"
#include "storage/env.h"
#include "storage/live_segment.h"
#include "storage/manifest.h"
#include "storage/retention.h"
#include "storage/segment_reader.h"
#include "storage/segment_writer.h"
#include "storage/wal.h"

namespace lode::storage {

inline constexpr std::string_view kDefaultTenant = "default";

// When Write() makes the WAL durable.
enum class SyncMode {
  kBatch,   // group commit: one fsync covers every batch waiting at that moment (default)
  kAlways,  // one fsync per batch
  kNone,    // never; the OS writes back (a crash can lose acknowledged batches)
};
absl::StatusOr<SyncMode> ParseSyncMode(std::string_view name);

struct StoreOptions {
  SegmentWriterOptions segment;
  SyncMode sync = SyncMode::kBatch;
  size_t memtable_bytes = 64 << 20;             // flush when the memtable holds this much
  int64_t flush_age_ns = 30LL * 1'000'000'000;  // ... or its oldest batch is this old
  bool read_only = false;                       // no lock, no writes, no background work
  bool background = true;                       // run the background thread (flush and below)
  // Background compaction (target_bytes 0: off).
  CompactionOptions compaction;
  // Background retention: applied every `retention_interval_ns` when set and not empty.
  std::optional<RetentionPolicy> retention;
  int64_t retention_interval_ns = 600LL * 1'000'000'000;
  // Receives one line per background event worth a log line (retention runs, quarantines,
  // failures of background work). Called from the background thread; may be empty.
  std::function<void(std::string_view)> log;
};

struct WriteResult {
  uint64_t records = 0;
  uint64_t segments = 0;  // segments written (direct writes only)
  uint64_t bytes = 0;     // segment bytes written (direct writes only)
};

// What Open() found and did, for logs and `lode stats`.
struct RecoveryInfo {
  uint64_t wal_files = 0;
  uint64_t wal_records = 0;
  uint64_t wal_torn_bytes = 0;
  uint64_t wal_corrupt_frames = 0;
  uint64_t orphan_files_removed = 0;
  std::vector<std::string> errors;
};

// A consistent view for one query: every record acknowledged before it was taken, exactly once.
struct StoreSnapshot {
  std::vector<std::shared_ptr<const BlockSource>> sources;  // newest max_time first
  std::vector<std::string> errors;                          // segments that could not be opened
};

struct StoreStats {
  struct Partition {
    std::string tenant;
    std::string day;
    uint64_t segments = 0;
    uint64_t records = 0;
    uint64_t bytes = 0;
    int64_t min_time = 0, max_time = 0;
  };
  std::vector<Partition> partitions;  // by tenant, then day
  uint64_t segments = 0, segment_records = 0, segment_bytes = 0;
  uint64_t memtable_records = 0, memtable_bytes = 0;
  uint64_t wal_files = 0, wal_bytes = 0;
  uint64_t flushes = 0;            // by this process
  uint64_t quarantined_files = 0;  // segments in DIR/quarantine now
  uint64_t background_errors = 0;  // failed background flushes, compactions, retention runs
  ManifestCounters counters;       // lifetime totals of the data directory
  // (flushed + compacted + rewritten bytes) / flushed bytes; 0 before the first flush.
  double write_amplification() const;
};

// Raw (uncompressed) vs stored bytes of one column over all segments, from segment footers.
struct ColumnStats {
  std::string name;  // "_time", "_msg", or the field name
  std::string type;  // "time", "string", "int64", "double", "bool"
  uint64_t values = 0;
  uint64_t raw_bytes = 0;
  uint64_t stored_bytes = 0;
};

struct CompactionResult {
  uint64_t merges = 0;
  uint64_t index_merges = 0;  // merges that kept the blocks and merged the inputs' indexes
  uint64_t input_segments = 0;
  uint64_t bytes_read = 0;     // segment bytes of the inputs
  uint64_t bytes_written = 0;  // segment bytes of the outputs
  uint64_t records = 0;
};

struct RewriteResult {
  uint64_t segments_examined = 0;  // segments overlapping the window
  uint64_t segments_rewritten = 0;
  uint64_t segments_removed = 0;  // every record matched
  uint64_t records_removed = 0;
  uint64_t bytes_before = 0;  // of the segments rewritten or removed
  uint64_t bytes_after = 0;   // of their replacements
};

// Says which rows of `block` (sorted by time) to remove by appending their indexes to `rows`
// (any order; duplicates are ignored). An error stops the operation, which then changes
// nothing. Called on one thread at a time.
using RowMatcher =
    std::function<absl::Status(const RecordBatch& block, std::vector<uint32_t>* rows)>;

class Store {
 public:
  // Opens (creating when absent) the data directory `dir`. `env` must outlive the Store.
  // FailedPrecondition when another process holds the directory (unless read-only).
  static absl::StatusOr<std::unique_ptr<Store>> Open(Env* env, std::string dir,
                                                     StoreOptions options = {});
  // Stops background work. Records still in the memtable stay in the WAL for the next Open.
  ~Store();

  // Appends `batch` to the WAL and the memtable. On OK the records are durable (per the sync
  // mode) and visible to new snapshots. On error nothing is acknowledged; ResourceExhausted
  // when the disk is full.
  absl::StatusOr<WriteResult> Write(const RecordBatch& batch,
                                    std::string_view tenant = kDefaultTenant);
  // The same, taking the batch over (no copy into the memtable).
  absl::StatusOr<WriteResult> Write(RecordBatch&& batch, std::string_view tenant = kDefaultTenant);

  // Bulk load: writes `batch` straight to segments (sorted, split by day) and a new manifest,
  // bypassing WAL and memtable. On OK it is durable.
  absl::StatusOr<WriteResult> WriteSegments(const RecordBatch& batch,
                                            std::string_view tenant = kDefaultTenant);

  // Writes everything in the memtable to segments now.
  absl::Status Flush();

  // The sources of `tenant` that may hold records in [from, to).
  absl::StatusOr<std::shared_ptr<const StoreSnapshot>> Snapshot(std::string_view tenant,
                                                                int64_t from, int64_t to);

  // Merges, in every partition, all segments smaller than the compaction target (in time
  // order), into one, or into as few as the memory bound of one merge allows
  // (CompactionOptions::max_merge_raw_bytes): rounds repeat while they merge anything (at most
  // 64). A merge takes only consecutive segments that fit the bound together, so merged
  // segments are not merged again past it; a segment over half the bound may stay as it is.
  // Thread-safe; runs beside writes and queries. Each merge commits on its own:
  // on error the merges done so far stay and the failed one changed nothing. A segment found
  // corrupt is left out of its merge and quarantined.
  absl::StatusOr<CompactionResult> Compact();

  // Applies `policy` now (see storage/retention.h for exactly what goes). The memtable is
  // flushed first when it holds records older than a cutoff. The age step and the size step
  // each commit with one manifest write: after a crash each has happened entirely or not at
  // all. With `dry_run` nothing is changed (works on a read-only store too) and the report says
  // what would go. Counted in the manifest (`counters.retention_runs`) unless dry.
  absl::StatusOr<RetentionReport> ApplyRetention(const RetentionPolicy& policy,
                                                 bool dry_run = false);

  // Removes the records of `tenant` in [from, to) that `match` selects, by rewriting the
  // segments that hold them. The memtable is flushed first, so every record acknowledged before
  // the call is subject to it; records written during the call may or may not be. Atomic: one
  // manifest write swaps all rewritten segments, so after a crash either every matching record
  // is gone or none is. FailedPrecondition on a read-only store.
  absl::StatusOr<RewriteResult> Delete(std::string_view tenant, int64_t from, int64_t to,
                                       const RowMatcher& match);

  // Moves the segments reported corrupt (by queries, compaction, or opening) to
  // DIR/quarantine with a reason file, salvaging their readable blocks into a replacement
  // segment, and drops them from the manifest. The background thread calls this; without one,
  // maintenance calls do. Returns the number quarantined. Read-only stores never move files.
  absl::StatusOr<uint64_t> QuarantineReported();

  StoreStats Stats();
  // Reads every segment's footer (not its data). Segments that cannot be opened are named in
  // `errors` (and, in a writable store, reported for quarantine).
  std::vector<ColumnStats> ColumnStatistics(std::vector<std::string>* errors);
  const RecoveryInfo& recovery() const { return recovery_; }
  const std::string& dir() const { return dir_; }
  Env* env() const { return env_; }

 private:
  struct PartitionKey {
    std::string tenant;
    int64_t day;
    bool operator<(const PartitionKey& o) const {
      return tenant != o.tenant ? tenant < o.tenant : day < o.day;
    }
  };
  struct MemPartition {
    std::vector<std::shared_ptr<const RecordBatch>> batches;
    size_t bytes = 0;
    uint64_t records = 0;
  };
  using Memtable = std::map<PartitionKey, MemPartition>;
  struct Writer;  // a Write() waiting in the commit queue
  using SegmentList = std::vector<std::shared_ptr<LiveSegment>>;

  Store(Env* env, std::string dir, StoreOptions options);
  absl::Status Recover();
  absl::Status AdoptLegacySegments(ManifestData* m);
  void RemoveOrphans(const ManifestData& m);
  // Splits `batch` by UTC day into time-sorted partition batches.
  static std::vector<std::pair<int64_t, std::shared_ptr<const RecordBatch>>> SplitByDay(
      const RecordBatch& batch);
  static std::vector<std::pair<int64_t, std::shared_ptr<const RecordBatch>>> SplitByDay(
      RecordBatch&& batch);
  // Queues `w` (frame and parts ready), commits its group if it leads, and waits for the result.
  absl::StatusOr<WriteResult> Commit(Writer* w, uint64_t rows);
  // Called by the commit leader only (see writers_).
  absl::Status EnsureWal();
  // Queues `w` and waits until it leads the commit queue or a leader has done its work.
  void JoinQueue(Writer* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Removes the first `n` writers (the leader's group) and wakes the next leader.
  void LeaveQueue(size_t n) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Encodes and writes one segment for `part` (sorted, one day); fills `entry`.
  absl::Status WriteSegmentFile(const std::string& tenant, const RecordBatch& part,
                                SegmentEntry* entry, const std::vector<uint32_t>& block_ends = {},
                                std::string_view index = {});
  // Writes immutable_ as segments and a manifest whose WAL checkpoint is `checkpoint`.
  absl::Status FlushImmutable(uint64_t checkpoint);
  bool FlushDue() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  ManifestData CurrentManifest() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string PartitionDir(std::string_view tenant, int64_t day) const;
  std::shared_ptr<LiveSegment> MakeLive(SegmentEntry e);
  // Writes `m` as the manifest. On OK it is durable: segments waiting for that are retired and
  // WAL generations below the checkpoint removed. On error `*in_doubt` says whether the new
  // manifest is visible anyway (see WriteManifest); then the caller adopts the new state but
  // retires nothing until a later manifest write is durable.
  absl::Status PublishManifest(const ManifestData& m, bool* in_doubt)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(flush_mu_);
  // Replaces `removed` (live segments) with `added` (durable files) in one manifest write;
  // `count` updates the counters. On error nothing changed and `added` files are removed
  // (unless the manifest write is in doubt). Aborted when a segment of `removed` is no longer
  // live.
  absl::Status ReplaceSegments(const SegmentList& removed, std::vector<SegmentEntry> added,
                               const std::function<void(ManifestCounters*)>& count);
  void RemoveFiles(const std::vector<SegmentEntry>& entries);
  // The live segments of `tenant` (all tenants when empty) overlapping [from, to).
  SegmentList LiveSegments(std::string_view tenant, int64_t from, int64_t to);
  // Writes the rows of `seg` that `drop` does not select as replacement segments (none when
  // every row goes). `drop` sees only the blocks overlapping [from, to), and only rows in it
  // are removed. `*removed` is 0 (and nothing written) when no row matched.
  absl::Status RewriteSegment(LiveSegment* seg, int64_t from, int64_t to, const RowMatcher& drop,
                              std::vector<SegmentEntry>* out, uint64_t* removed);
  // Merges `group` (one partition's segments) into one segment.
  // Merges the first run of consecutive segments of `group` that fits the merge bound
  // (CompactionOptions::max_merge_raw_bytes). Unless `strict`, the first two segments are
  // taken whatever their size, so that a merge happens.
  absl::Status MergeGroup(const SegmentList& group, bool strict, CompactionResult* result);
  absl::StatusOr<CompactionResult> CompactInternal(bool force, bool strict = false);
  absl::Status QuarantineOne(const std::shared_ptr<LiveSegment>& seg, const std::string& reason);
  absl::StatusOr<RetentionReport> RetentionInternal(const RetentionPolicy& policy, bool dry_run);
  // Read-only stores: re-reads the manifest and the WAL (after a writer replaced segments).
  absl::Status Refresh();
  void RemoveEmptyPartitionDirs();
  void BackgroundLoop();
  void Log(std::string_view line);

  Env* const env_;
  const std::string dir_;
  const std::string wal_dir_;
  const StoreOptions options_;
  std::unique_ptr<FileLock> lock_;
  RecoveryInfo recovery_;

  // One compaction, retention run, delete or quarantine at a time (they read segments and
  // replace them; flushes only add, and go on beside them).
  absl::Mutex maint_mu_ ABSL_ACQUIRED_BEFORE(flush_mu_);
  // One flush or other manifest change at a time.
  absl::Mutex flush_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  // Set when a manifest write's outcome is in doubt; cleared by the next durable one.
  bool manifest_in_doubt_ ABSL_GUARDED_BY(flush_mu_) = false;
  SegmentList retire_when_durable_ ABSL_GUARDED_BY(flush_mu_);
  // Null for read-only stores.
  const std::shared_ptr<CorruptionReports> reports_;

  absl::Mutex mu_;
  absl::CondVar bg_cv_;
  absl::CondVar flushed_cv_;  // the active memtable was handed to a flush
  // Commit queue. The writer at the front is the leader: it alone touches wal_, appending its
  // own batch and those queued behind it, with one sync for all (group commit). A flush joins
  // the queue to rotate the WAL.
  std::deque<Writer*> writers_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<WalWriter> wal_;
  uint64_t wal_generation_ ABSL_GUARDED_BY(mu_) = 0;
  Memtable active_ ABSL_GUARDED_BY(mu_);
  Memtable immutable_ ABSL_GUARDED_BY(mu_);
  size_t active_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t active_since_ ABSL_GUARDED_BY(mu_) = 0;  // time of the oldest active batch
  SegmentList segments_ ABSL_GUARDED_BY(mu_);
  ManifestCounters counters_ ABSL_GUARDED_BY(mu_);
  uint64_t background_errors_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_file_number_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t wal_checkpoint_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t immutable_checkpoint_ ABSL_GUARDED_BY(mu_) = 0;  // first WAL generation after it
  uint64_t flushes_ ABSL_GUARDED_BY(mu_) = 0;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread bg_;
};

// Validates a tenant name: 1-64 of [A-Za-z0-9_.-], not starting with '.'.
absl::Status ValidateTenant(std::string_view tenant);

}  // namespace lode::storage
