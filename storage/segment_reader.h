// Reads a segment file (docs/formats/segment.md). Every length and offset read from the file is
// checked against the file size before use; corruption yields DataLossError naming the file and
// the block, never a crash.
//
// Thread-safe after Open(): ReadBlock() may be called concurrently.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"

#include "common/record_batch.h"
#include "storage/env.h"
#include "storage/segment_format.h"

namespace lode::storage {

class SegmentReader {
 public:
  // Opens `path`, verifies the trailer magic, version and footer checksum, and parses the footer.
  static absl::StatusOr<std::unique_ptr<SegmentReader>> Open(Env* env, const std::string& path);

  const std::string& path() const { return path_; }
  const SegmentMeta& meta() const { return meta_; }
  uint64_t file_size() const { return file_->Size(); }
  size_t num_blocks() const { return meta_.blocks.size(); }

  // Decodes block `i` (all columns) into `out`, which is cleared first. Rows come out in file
  // order (ascending time). DataLossError when a chunk fails its checksum or does not decode.
  absl::Status ReadBlock(size_t i, RecordBatch* out) const;

 private:
  SegmentReader(std::string path, std::unique_ptr<RandomAccessFile> file)
      : path_(std::move(path)), file_(std::move(file)) {}
  absl::Status ParseFooter();
  absl::Status ReadChunk(size_t block, const ChunkMeta& c, std::string* raw) const;

  std::string path_;
  std::unique_ptr<RandomAccessFile> file_;
  SegmentMeta meta_;
};

}  // namespace lode::storage
