// Writes a RecordBatch as one immutable segment file (docs/formats/segment.md).
#pragma once

#include <string>

#include "absl/status/status.h"

#include "common/record_batch.h"
#include "storage/env.h"
#include "storage/segment_format.h"

namespace lode::storage {

struct SegmentWriterOptions {
  int zstd_level = 3;
  // For streams of text (string values, templates): these pay for a stronger level, and are a
  // small part of the bytes once numbers and ids are split out.
  int text_zstd_level = 9;
  uint32_t block_rows = 32768;
  // Write the segment's inverted index (docs/formats/index.md). Off only for measuring its cost.
  bool build_index = true;
};

// Encodes `batch` into segment bytes. Rows must already be in ascending time order.
// `meta` (optional) receives the footer's content.
std::string EncodeSegment(const RecordBatch& batch, const SegmentWriterOptions& options,
                          SegmentMeta* meta = nullptr);

// Like EncodeSegment, with the given block boundaries (`block_ends[k]` is the end row of block
// k; strictly increasing, the last == batch.num_rows(), each block <= kMaxBlockRows rows) and,
// when `index` is not empty, that index section (which must describe exactly these blocks)
// instead of one built from the rows. Compaction uses it to keep its inputs' blocks and merge
// their indexes without tokenizing again.
std::string EncodeSegmentBlocks(const RecordBatch& batch, const std::vector<uint32_t>& block_ends,
                                std::string_view index, const SegmentWriterOptions& options,
                                SegmentMeta* meta = nullptr);

// Encodes `batch` (sorted by time) and writes it to `path` crash-safely (temp file, fsync,
// rename, directory fsync). On success the segment is durable.
absl::Status WriteSegment(Env* env, const std::string& path, const RecordBatch& batch,
                          const SegmentWriterOptions& options, SegmentMeta* meta = nullptr);

}  // namespace lode::storage
