// Reads a segment file (docs/formats/segment.md). Every length and offset read from the file is
// checked against the file size before use; corruption yields DataLossError naming the file and
// the block, never a crash.
//
// Thread-safe after Open(): ReadBlock() may be called concurrently.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

#include "common/coding.h"
#include "common/record_batch.h"
#include "index/segment_index.h"
#include "storage/env.h"
#include "storage/internal/chunk_streams.h"
#include "storage/segment_format.h"

namespace lode::storage {

class SegmentReader {
 public:
  // Opens `path`, verifies the trailer magic, version and footer checksum, and parses the
  // footer's block headers.
  static absl::StatusOr<std::unique_ptr<SegmentReader>> Open(Env* env, const std::string& path);

  const std::string& path() const { return path_; }
  // The segment's records, time range, fields and blocks. Blocks come without their chunk
  // entries (`chunks` is empty): Chunks() gives those.
  const SegmentMeta& meta() const { return meta_; }
  // The chunk entries of block `i` (time, message, then the block's fields), read from the
  // footer and checked (their CRC, in format 6) when first asked for. DataLoss when they are
  // corrupt.
  absl::StatusOr<const std::vector<ChunkMeta>*> Chunks(size_t i) const;
  uint64_t file_size() const { return file_->Size(); }
  size_t num_blocks() const { return meta_.blocks.size(); }
  // The segment's index, or nullptr when it has none (format 3) or it is damaged
  // (index_error() says why); queries then read every block.
  const index::SegmentIndex* index() const { return index_.get(); }
  const std::string& index_error() const { return index_error_; }

  // Decodes block `i` (all columns) into `out`, which is cleared first. Rows come out in file
  // order (ascending time). DataLossError when a chunk fails its checksum or does not decode.
  absl::Status ReadBlock(size_t i, RecordBatch* out) const;

  // Like ReadBlock(i, out), but decodes only the columns in `column_ids` (kMessageColumnId, and
  // kFirstFieldColumnId + i for field i of meta().fields; unknown ids are ignored). Times are
  // decoded unless options.times is false (then every row's time is the block's min_time);
  // without kMessageColumnId every message is empty. Columns the wanted ones are encoded against
  // are decoded too, but not put into `out`.
  // With options.message_skeleton, template-encoded messages come out as their skeletons
  // (numbers printed as "0"; storage/internal/template_codec.h): enough for searches without
  // digits, and much cheaper. With options.expand_if as well, messages of the templates it
  // accepts are decoded in full and only the others come out as skeletons. Dictionary-encoded
  // string fields and skeletons come out in StringData's dictionary form (values not copied;
  // bytes() holds only values without a code), which the query filter and Get() understand.
  absl::Status ReadBlock(size_t i, const std::vector<uint32_t>& column_ids, RecordBatch* out,
                         const BlockReadOptions& options = {}) const;

  // For tools: the name of the encoding that chunk `chunk` of block `block` uses (see
  // internal::ChunkEncodingName). DataLoss when the chunk is corrupt.
  absl::StatusOr<std::string> ChunkEncoding(size_t block, size_t chunk) const;

 private:
  SegmentReader(std::string path, std::unique_ptr<RandomAccessFile> file)
      : path_(std::move(path)), file_(std::move(file)) {}
  absl::Status ParseFooter();
  // Parses and checks the `nchunks` chunk entries of `block` from `entries`.
  absl::Status ParseEntries(size_t block, Decoder* entries, size_t nchunks,
                            std::vector<ChunkMeta>* chunks) const;
  // Storage for one chunk while it is decoded: the file bytes and its streams (decompressed
  // as the decoder takes them).
  struct ChunkBuffers {
    std::string scratch;
    std::string_view stored;
    internal::ChunkStreams streams;
  };
  absl::Status ReadChunk(size_t block, const ChunkMeta& c, ChunkBuffers* buf) const;
  // `wanted` is indexed by column id; nullptr means every column.
  absl::Status DecodeBlock(size_t i, const std::vector<bool>* wanted, RecordBatch* out,
                           const BlockReadOptions& options = {}) const;

  std::string path_;
  std::unique_ptr<RandomAccessFile> file_;
  SegmentMeta meta_;
  // The footer (in the mapped file, or in footer_scratch_ when the file is not mapped), where
  // it starts in the file, and (version 5 on) each block's chunk entries in it, how many, and
  // (version 6) their CRC, checked before they are parsed.
  std::string footer_scratch_;
  uint64_t footer_offset_ = 0;
  struct BlockEntries {
    std::string_view bytes;
    uint32_t num_chunks = 0;
    uint32_t crc = 0;  // when entries_have_crc_
  };
  std::vector<BlockEntries> entries_;
  bool entries_have_crc_ = false;
  // Each block's parsed chunk entries, made on first use (from several threads at once).
  struct LazyChunks {
    std::once_flag once;
    absl::Status status;
    std::vector<ChunkMeta> chunks;
  };
  std::unique_ptr<LazyChunks[]> lazy_;
  std::string index_scratch_;  // holds the index bytes when the file is not memory-mapped
  std::unique_ptr<index::SegmentIndex> index_;
  std::string index_error_;
};

}  // namespace lode::storage
