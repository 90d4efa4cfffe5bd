// A readable set of time-ordered blocks of records: a segment file or a memtable partition.
// Queries scan BlockSources, so records are searchable from the moment they are acknowledged,
// before any flush.
//
// Thread-safe for reads. Shared by snapshots through shared_ptr.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "common/record_batch.h"
#include "index/segment_index.h"
#include "storage/segment_format.h"

namespace lode::storage {

class BlockSource {
 public:
  virtual ~BlockSource() = default;
  // A file path, or "memtable:<tenant>/<day>", for messages.
  virtual const std::string& name() const = 0;
  // Records, time range and per-block row counts and time ranges (`chunks` may be empty: see
  // Chunks()).
  virtual const SegmentMeta& meta() const = 0;
  size_t num_blocks() const { return meta().blocks.size(); }
  // The chunk entries of block `i` (empty for a source without chunks: in memory). DataLoss
  // when they are corrupt.
  virtual absl::StatusOr<const std::vector<ChunkMeta>*> Chunks(size_t i) const = 0;
  // The block, when it is already in memory (no copy); nullptr otherwise.
  virtual const RecordBatch* PeekBlock(size_t i) const { return nullptr; }
  // Decodes block `i` into `out`. DataLoss when it is corrupt.
  virtual absl::Status ReadBlock(size_t i, RecordBatch* out) const = 0;
  // Decodes only the columns in `column_ids` of block `i`, as `options` say (see
  // SegmentReader::ReadBlock); a source that cannot project decodes everything.
  virtual absl::Status ReadBlock(size_t i, const std::vector<uint32_t>& column_ids,
                                 RecordBatch* out, const BlockReadOptions& options = {}) const {
    return ReadBlock(i, out);
  }
  // The source's inverted index, or nullptr when it has none (memtables, old or damaged
  // segments): then every block must be read.
  virtual const index::SegmentIndex* index() const { return nullptr; }
};

// Immutable in-memory batches (each sorted by time) as a BlockSource, one block per batch.
class MemSource final : public BlockSource {
 public:
  MemSource(std::string name, std::vector<std::shared_ptr<const RecordBatch>> batches);
  const std::string& name() const override { return name_; }
  const SegmentMeta& meta() const override { return meta_; }
  absl::StatusOr<const std::vector<ChunkMeta>*> Chunks(size_t i) const override {
    return &meta_.blocks[i].chunks;  // empty
  }
  const RecordBatch* PeekBlock(size_t i) const override { return batches_[i].get(); }
  absl::Status ReadBlock(size_t i, RecordBatch* out) const override;

 private:
  std::string name_;
  std::vector<std::shared_ptr<const RecordBatch>> batches_;
  SegmentMeta meta_;
};

}  // namespace lode::storage
