#include "storage/segment_reader.h"

#include <cstring>

#include <zstd.h>

#include "common/coding.h"
#include "common/crc32c.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "storage/internal/column_codec.h"

namespace lode::storage {
using ::lode::StrCat;
namespace {

absl::Status Corrupt(const std::string& path, std::string_view what) {
  return absl::DataLossError(StrCat("corrupt segment ", path, ": ", what));
}
absl::Status CorruptBlock(const std::string& path, size_t block, std::string_view what) {
  return absl::DataLossError(StrCat("corrupt segment ", path, " block ", block, ": ", what));
}

// Upper bound on a chunk's decompressed size; a larger claim in a footer is corruption.
constexpr uint64_t kMaxChunkRawBytes = uint64_t{1} << 32;

}  // namespace

absl::StatusOr<std::unique_ptr<SegmentReader>> SegmentReader::Open(Env* env,
                                                                   const std::string& path) {
  ASSIGN_OR_RETURN(auto file, env->NewRandomAccessFile(path));
  std::unique_ptr<SegmentReader> r(new SegmentReader(path, std::move(file)));
  RETURN_IF_ERROR(r->ParseFooter());
  return r;
}

absl::Status SegmentReader::ParseFooter() {
  const uint64_t size = file_->Size();
  if (size < kSegmentHeaderSize + kSegmentTrailerSize) return Corrupt(path_, "file too short");
  std::string scratch;
  std::string_view header;
  RETURN_IF_ERROR(file_->Read(0, kSegmentHeaderSize, &scratch, &header));
  if (std::memcmp(header.data(), kSegmentMagic, 8) != 0) {
    return Corrupt(path_, "bad header magic (not a lode segment)");
  }
  std::string_view trailer;
  RETURN_IF_ERROR(file_->Read(size - kSegmentTrailerSize, kSegmentTrailerSize, &scratch, &trailer));
  if (std::memcmp(trailer.data() + 24, kSegmentMagic, 8) != 0) {
    return Corrupt(path_, "bad magic (not a lode segment, or truncated)");
  }
  const uint64_t footer_offset = DecodeFixed64(trailer.data());
  const uint32_t footer_len = DecodeFixed32(trailer.data() + 8);
  const uint32_t footer_crc = DecodeFixed32(trailer.data() + 12);
  const uint32_t version = DecodeFixed32(trailer.data() + 16);
  if (version != kSegmentFormatVersion) {
    return Corrupt(path_, StrCat("unsupported format version ", version));
  }
  if (footer_offset < kSegmentHeaderSize ||
      footer_offset + footer_len != size - kSegmentTrailerSize) {
    return Corrupt(path_, "footer offset/length out of bounds");
  }
  std::string_view footer;
  std::string fscratch;
  RETURN_IF_ERROR(file_->Read(footer_offset, footer_len, &fscratch, &footer));
  if (Crc32c(footer) != footer_crc) return Corrupt(path_, "footer checksum mismatch");

  Decoder d(footer);
  uint64_t nfields, nblocks;
  if (!d.GetVarint64(&meta_.num_records) || !d.GetVarsint64(&meta_.min_time) ||
      !d.GetVarsint64(&meta_.max_time) || !d.GetVarint64(&meta_.raw_bytes) ||
      !d.GetVarint64(&nfields) || nfields > footer.size()) {
    return Corrupt(path_, "truncated footer header");
  }
  meta_.fields.resize(nfields);
  for (FieldSchema& f : meta_.fields) {
    std::string_view name;
    uint8_t type;
    if (!d.GetLengthPrefixed(&name) || !d.GetByte(&type) || type >= kNumFieldTypes) {
      return Corrupt(path_, "bad schema entry");
    }
    f.name = std::string(name);
    f.type = static_cast<FieldType>(type);
  }
  if (!d.GetVarint64(&nblocks) || nblocks > footer.size()) {
    return Corrupt(path_, "bad block count");
  }
  meta_.blocks.resize(nblocks);
  uint64_t total_rows = 0;
  const uint64_t max_column = kFirstFieldColumnId + nfields;
  for (size_t b = 0; b < nblocks; ++b) {
    BlockMeta& bm = meta_.blocks[b];
    uint64_t rows, nchunks;
    if (!d.GetVarint64(&rows) || rows == 0 || rows > UINT32_MAX || !d.GetVarsint64(&bm.min_time) ||
        !d.GetVarsint64(&bm.max_time) || !d.GetVarint64(&nchunks) || nchunks > footer.size() ||
        nchunks < 2) {
      return CorruptBlock(path_, b, "bad block header in footer");
    }
    bm.num_rows = static_cast<uint32_t>(rows);
    total_rows += rows;
    bm.chunks.resize(nchunks);
    for (size_t k = 0; k < nchunks; ++k) {
      ChunkMeta& c = bm.chunks[k];
      uint64_t col, nv;
      if (!d.GetVarint64(&col) || !d.GetVarint64(&c.offset) || !d.GetVarint64(&c.stored_len) ||
          !d.GetVarint64(&c.raw_len) || !d.GetVarint64(&nv) || !d.GetFixed32(&c.crc)) {
        return CorruptBlock(path_, b, "truncated chunk entry");
      }
      uint8_t range;
      if (!d.GetByte(&range) || range > ChunkMeta::kDoubleRange) {
        return CorruptBlock(path_, b, "bad chunk range kind");
      }
      c.range = static_cast<ChunkMeta::Range>(range);
      if (c.range == ChunkMeta::kIntRange) {
        if (!d.GetVarsint64(&c.int_min) || !d.GetVarsint64(&c.int_max)) {
          return CorruptBlock(path_, b, "truncated chunk range");
        }
      } else if (c.range == ChunkMeta::kDoubleRange) {
        uint64_t lo, hi;
        if (!d.GetFixed64(&lo) || !d.GetFixed64(&hi)) {
          return CorruptBlock(path_, b, "truncated chunk range");
        }
        std::memcpy(&c.double_min, &lo, 8);
        std::memcpy(&c.double_max, &hi, 8);
      }
      if (col >= max_column || nv > rows || c.raw_len > kMaxChunkRawBytes ||
          c.offset < kSegmentHeaderSize || c.offset > footer_offset ||
          c.stored_len > footer_offset - c.offset) {
        return CorruptBlock(path_, b, "chunk entry out of bounds");
      }
      if (k == 0 && col != kTimeColumnId) return CorruptBlock(path_, b, "first chunk not time");
      if (k == 1 && col != kMessageColumnId) {
        return CorruptBlock(path_, b, "second chunk not message");
      }
      c.column_id = static_cast<uint32_t>(col);
      c.num_values = static_cast<uint32_t>(nv);
    }
  }
  if (!d.done()) return Corrupt(path_, "trailing bytes in footer");
  if (total_rows != meta_.num_records) return Corrupt(path_, "record count mismatch");
  return absl::OkStatus();
}

absl::Status SegmentReader::ReadChunk(size_t block, const ChunkMeta& c, std::string* raw) const {
  std::string scratch;
  std::string_view stored;
  RETURN_IF_ERROR(file_->Read(c.offset, c.stored_len, &scratch, &stored));
  if (Crc32c(stored) != c.crc) {
    return CorruptBlock(path_, block, StrCat("checksum mismatch in column ", c.column_id));
  }
  raw->resize(c.raw_len);
  size_t n = ZSTD_decompress(raw->data(), raw->size(), stored.data(), stored.size());
  if (ZSTD_isError(n) || n != c.raw_len) {
    return CorruptBlock(path_, block,
                        StrCat("column ", c.column_id, " does not decompress: ",
                               ZSTD_isError(n) ? ZSTD_getErrorName(n) : "size mismatch"));
  }
  return absl::OkStatus();
}

absl::Status SegmentReader::ReadBlock(size_t i, RecordBatch* out) const {
  out->Clear();
  if (i >= meta_.blocks.size()) return absl::OutOfRangeError("block index");
  const BlockMeta& bm = meta_.blocks[i];
  const uint32_t rows = bm.num_rows;
  std::string raw;
  auto bad = [&](std::string_view what) { return CorruptBlock(path_, i, what); };

  RETURN_IF_ERROR(ReadChunk(i, bm.chunks[0], &raw));
  if (!internal::DecodeTimes(raw, rows, out->mutable_times())) return bad("time column corrupt");
  RETURN_IF_ERROR(ReadChunk(i, bm.chunks[1], &raw));
  if (!internal::DecodeStrings(raw, rows, out->mutable_messages())) {
    return bad("message column corrupt");
  }
  for (size_t k = 2; k < bm.chunks.size(); ++k) {
    const ChunkMeta& c = bm.chunks[k];
    RETURN_IF_ERROR(ReadChunk(i, c, &raw));
    const FieldSchema& fs = meta_.fields[c.column_id - kFirstFieldColumnId];
    Column* col = out->MutableColumn(fs.name, fs.type);
    if (!col->rows.empty()) return bad("duplicate column chunk");
    if (!internal::DecodeField(raw, c.num_values, rows, col)) {
      return bad(StrCat("field '", fs.name, "' corrupt"));
    }
  }
  return absl::OkStatus();
}

}  // namespace lode::storage
