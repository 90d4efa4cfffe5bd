// LiveSegment: one segment file named by the manifest, shared (std::shared_ptr) by the store's
// live set and by every snapshot that reads it. This reference count is what lets compaction,
// retention and delete replace segments while queries run: the store drops a replaced segment
// from its live set and retires it; the file is removed when the last snapshot holding it lets
// go. A retired file that outlives the process (crash, or a snapshot held at shutdown) is not in
// the manifest any more, and the next open removes it as an orphan.
//
// Thread-safe. The Env must outlive every LiveSegment (snapshots may outlive the Store).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

#include "storage/block_source.h"
#include "storage/env.h"
#include "storage/manifest.h"
#include "storage/segment_reader.h"

namespace lode::storage {

// Where readers report segments found corrupt, for the store that owns them to quarantine.
// Shared between the store and its segments, so a report made after the store is gone is
// harmless. Thread-safe.
class CorruptionReports {
 public:
  struct Report {
    std::string path;     // relative to the data directory
    std::string message;  // names the file and, for a block, the block
  };
  void Add(std::string path, std::string message);
  // Removes and returns the reports so far.
  std::vector<Report> Take();
  bool empty() const;

 private:
  mutable absl::Mutex mu_;
  std::vector<Report> reports_ ABSL_GUARDED_BY(mu_);
};

class LiveSegment {
 public:
  // `dir` is the data directory; `reports` may be null (read-only stores only warn).
  LiveSegment(Env* env, const std::string& dir, SegmentEntry entry,
              std::shared_ptr<CorruptionReports> reports);
  // Removes the file when the segment was retired.
  ~LiveSegment();
  LiveSegment(const LiveSegment&) = delete;
  LiveSegment& operator=(const LiveSegment&) = delete;

  const SegmentEntry& entry() const { return entry_; }
  // The file's path (data directory joined with entry().path).
  const std::string& file() const { return file_; }

  // The reader, opened (footer read and verified) on first use. A failure is returned every
  // time and, when it is corruption (DataLoss) or a missing file (NotFound), reported for
  // quarantine; other errors (Unavailable: too many open files, I/O) are not.
  absl::StatusOr<std::shared_ptr<const SegmentReader>> Reader();

  // Reports block `block` of this segment as corrupt (with the reader's error).
  void ReportCorruptBlock(const absl::Status& error);

  // The manifest no longer names this segment: remove the file when the last reference goes.
  void Retire();
  // The file was moved away (quarantine): never remove anything.
  void Detach();

 private:
  Env* const env_;
  const SegmentEntry entry_;
  const std::string file_;
  const std::shared_ptr<CorruptionReports> reports_;
  absl::Mutex mu_;
  std::shared_ptr<const SegmentReader> reader_ ABSL_GUARDED_BY(mu_);
  bool retired_ ABSL_GUARDED_BY(mu_) = false;
  bool detached_ ABSL_GUARDED_BY(mu_) = false;
};

// A LiveSegment as a BlockSource for a snapshot: keeps the segment (and so its file) alive, and
// reports a block that fails to decode.
class LiveSegmentSource final : public BlockSource {
 public:
  LiveSegmentSource(std::shared_ptr<LiveSegment> segment,
                    std::shared_ptr<const SegmentReader> reader)
      : segment_(std::move(segment)), reader_(std::move(reader)) {}
  const std::string& name() const override { return reader_->path(); }
  const SegmentMeta& meta() const override { return reader_->meta(); }
  absl::StatusOr<const std::vector<ChunkMeta>*> Chunks(size_t i) const override {
    return reader_->Chunks(i);
  }
  absl::Status ReadBlock(size_t i, RecordBatch* out) const override;
  absl::Status ReadBlock(size_t i, const std::vector<uint32_t>& column_ids, RecordBatch* out,
                         const BlockReadOptions& options = {}) const override;
  const index::SegmentIndex* index() const override { return reader_->index(); }
  const SegmentReader& reader() const { return *reader_; }

 private:
  std::shared_ptr<LiveSegment> segment_;
  std::shared_ptr<const SegmentReader> reader_;
};

}  // namespace lode::storage
