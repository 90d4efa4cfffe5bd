// Store: the data directory. Acknowledged means durable: a batch is appended to the write-ahead
// log and fsynced (group commit) before Write() returns; it then sits in the memtable, where
// queries see it at once, until a background flush writes it as segments and a new manifest,
// after which its WAL generation is deleted. On Open the manifest is read (no scan of the data)
// and the WAL replayed.
//
// Layout:
//   DIR/LOCK                          held by the one process that writes
//   DIR/MANIFEST                      the catalog (docs/formats/manifest.md)
//   DIR/wal/<generation>.wal          docs/formats/wal.md
//   DIR/t=<tenant>/d=<YYYY-MM-DD>/<id>.lode   segments (docs/formats/segment.md)
//
// Thread-safe. Open a directory read-only (`StoreOptions::read_only`) to query it while another
// process writes: that sees the segments of the manifest and the records in the WAL.
#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/record_batch.h"
#include "storage/block_source.h"
#include "storage/env.h"
#include "storage/manifest.h"
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
  size_t memtable_bytes = 64 << 20;              // flush when the memtable holds this much
  int64_t flush_age_ns = 30LL * 1'000'000'000;   // ... or its oldest batch is this old
  bool read_only = false;                        // no lock, no writes, no background work
  bool background = true;                        // run the flush thread
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
  };
  std::vector<Partition> partitions;
  uint64_t segments = 0, segment_records = 0, segment_bytes = 0;
  uint64_t memtable_records = 0, memtable_bytes = 0;
  uint64_t wal_files = 0, wal_bytes = 0;
  uint64_t flushes = 0;
};

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

  // Bulk load: writes `batch` straight to segments (sorted, split by day) and a new manifest,
  // bypassing WAL and memtable. On OK it is durable.
  absl::StatusOr<WriteResult> WriteSegments(const RecordBatch& batch,
                                            std::string_view tenant = kDefaultTenant);

  // Writes everything in the memtable to segments now.
  absl::Status Flush();

  // The sources of `tenant` that may hold records in [from, to).
  absl::StatusOr<std::shared_ptr<const StoreSnapshot>> Snapshot(std::string_view tenant,
                                                                int64_t from, int64_t to);

  StoreStats Stats();
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
  struct LiveSegment {
    SegmentEntry entry;
    std::shared_ptr<const SegmentReader> reader;  // opened on first use
  };

  Store(Env* env, std::string dir, StoreOptions options);
  absl::Status Recover();
  absl::Status AdoptLegacySegments(ManifestData* m);
  void RemoveOrphans(const ManifestData& m);
  // Splits `batch` by UTC day into time-sorted partition batches.
  static std::vector<std::pair<int64_t, std::shared_ptr<const RecordBatch>>> SplitByDay(
      const RecordBatch& batch);
  // Called by the commit leader only (see writers_).
  absl::Status EnsureWal();
  // Queues `w` and waits until it leads the commit queue or a leader has done its work.
  void JoinQueue(Writer* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Removes the first `n` writers (the leader's group) and wakes the next leader.
  void LeaveQueue(size_t n) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Encodes and writes one segment for `part`; fills `entry`.
  absl::Status WriteSegmentFile(const std::string& tenant, const RecordBatch& part,
                                SegmentEntry* entry);
  // Writes immutable_ as segments and a manifest whose WAL checkpoint is `checkpoint`.
  absl::Status FlushImmutable(uint64_t checkpoint);
  void BackgroundLoop();
  bool FlushDue() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  ManifestData CurrentManifest() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string PartitionDir(std::string_view tenant, int64_t day) const;

  Env* const env_;
  const std::string dir_;
  const std::string wal_dir_;
  const StoreOptions options_;
  std::unique_ptr<FileLock> lock_;
  RecoveryInfo recovery_;

  // One flush or other manifest change at a time.
  absl::Mutex flush_mu_ ABSL_ACQUIRED_BEFORE(mu_);

  absl::Mutex mu_;
  absl::CondVar bg_cv_;
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
  std::vector<LiveSegment> segments_ ABSL_GUARDED_BY(mu_);
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
