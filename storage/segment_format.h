// Constants and metadata types of the segment file format (docs/formats/segment.md).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/record_batch.h"

namespace lode::storage {

inline constexpr char kSegmentMagic[8] = {'L', 'O', 'D', 'E', 'S', 'E', 'G', '1'};
inline constexpr uint32_t kSegmentFormatVersion = 6;
// Version 3 files (no index) are still read.
inline constexpr uint32_t kOldestSegmentFormatVersion = 3;
// footer_offset(8) footer_len(4) footer_crc(4) version(4) head_len(4) magic(8); footer_crc
// covers the footer's first head_len bytes (version 6; before, head_len is 0 and the CRC covers
// the whole footer).
inline constexpr size_t kSegmentTrailerSize = 32;
inline constexpr size_t kSegmentHeaderSize = 8;  // the magic again, at offset 0

// Limits a reader enforces, so that a corrupt or hostile file cannot make it allocate without
// bound: rows in one block, and bytes of string values one chunk decodes to (dictionaries and
// templates expand). The writer never exceeds them.
inline constexpr uint32_t kMaxBlockRows = 1u << 20;
inline constexpr uint64_t kMaxChunkStringBytes = uint64_t{1} << 32;

// Column ids inside a segment: 0 is the timestamp column, 1 the message, 2.. the fields in the
// order of the footer's schema.
inline constexpr uint32_t kTimeColumnId = 0;
inline constexpr uint32_t kMessageColumnId = 1;
inline constexpr uint32_t kFirstFieldColumnId = 2;

// Given a message template's skeleton (its text with every number written "0"), whether the
// messages of that template must be decoded in full; the others may come out as skeletons
// (SegmentReader::ReadBlock).
using MessageExpandPredicate = std::function<bool(std::string_view skeleton)>;

// How a projected block read (SegmentReader::ReadBlock with column ids) decodes.
struct BlockReadOptions {
  // Template-encoded messages as their skeletons; with expand_if, the messages of the templates
  // it accepts in full.
  bool message_skeleton = false;
  const MessageExpandPredicate* expand_if = nullptr;
  // False: the time column is not read, and every row's time is given as the block's
  // min_time. For readers that need no row's time (a count of a block inside its window with a
  // filter that does not look at _time).
  bool times = true;
};

struct FieldSchema {
  std::string name;
  FieldType type = FieldType::kString;
};

// One column of one block: a chunk container of zstd-compressed or raw streams.
struct ChunkMeta {
  uint32_t column_id = 0;
  uint64_t offset = 0;      // in the file
  uint64_t stored_len = 0;  // bytes in the file (container header and streams)
  uint64_t raw_len = 0;     // bytes of the streams after decompression
  uint32_t crc = 0;         // CRC32C of the stored bytes
  uint32_t num_values = 0;  // rows with a value (for time/message: the block's row count)
  // Value range of a numeric field chunk, for skipping blocks on range filters.
  enum Range : uint8_t { kNoRange = 0, kIntRange = 1, kDoubleRange = 2 };
  Range range = kNoRange;
  int64_t int_min = 0, int_max = 0;
  double double_min = 0, double_max = 0;
  // Columns of the same block this chunk is encoded against (ascending field column ids, each
  // with a chunk in the block that has no references itself). Decoding this chunk needs them.
  std::vector<uint32_t> refs;
};

struct BlockMeta {
  uint32_t num_rows = 0;
  int64_t min_time = 0;
  int64_t max_time = 0;
  // Time, message, then the fields present in the block. Filled by the writer; a reader leaves
  // it empty and parses a block's entries on first use (SegmentReader::Chunks()).
  std::vector<ChunkMeta> chunks;
};

struct SegmentMeta {
  uint64_t num_records = 0;
  int64_t min_time = 0;
  int64_t max_time = 0;
  std::vector<FieldSchema> fields;
  std::vector<BlockMeta> blocks;
  uint64_t raw_bytes = 0;  // sum of the uncompressed column payloads
  // The index section (docs/formats/index.md); length 0 when the segment has none.
  uint64_t index_offset = 0;
  uint64_t index_len = 0;
};

}  // namespace lode::storage
