#include "storage/segment_writer.h"

#include <algorithm>
#include <cstring>

#include <zstd.h>

#include "common/coding.h"
#include "common/crc32c.h"

namespace lode::storage {
namespace {

// Encodes the values of `c` whose rows fall in [row_begin, row_end) as a column payload:
//   varint count, count x varint row delta (from row_begin, delta-coded), then the values.
// Returns the number of values.
uint32_t EncodeFieldChunk(const Column& c, uint32_t row_begin, uint32_t row_end, std::string* out) {
  auto lo = std::lower_bound(c.rows.begin(), c.rows.end(), row_begin) - c.rows.begin();
  auto hi = std::lower_bound(c.rows.begin(), c.rows.end(), row_end) - c.rows.begin();
  uint32_t n = static_cast<uint32_t>(hi - lo);
  if (n == 0) return 0;
  PutVarint64(out, n);
  uint32_t prev = row_begin;
  for (auto i = lo; i < hi; ++i) {
    PutVarint64(out, c.rows[i] - prev);
    prev = c.rows[i];
  }
  switch (c.type) {
    case FieldType::kInt64:
      for (auto i = lo; i < hi; ++i) PutVarsint64(out, c.ints[i]);
      break;
    case FieldType::kBool:
      for (auto i = lo; i < hi; ++i) out->push_back(c.ints[i] ? 1 : 0);
      break;
    case FieldType::kDouble:
      for (auto i = lo; i < hi; ++i) {
        uint64_t bits;
        std::memcpy(&bits, &c.doubles[i], 8);
        PutFixed64(out, bits);
      }
      break;
    case FieldType::kString:
      for (auto i = lo; i < hi; ++i) PutVarint64(out, c.strings.Get(i).size());
      for (auto i = lo; i < hi; ++i) {
        std::string_view v = c.strings.Get(i);
        out->append(v.data(), v.size());
      }
      break;
  }
  return n;
}

class Builder {
 public:
  Builder(const SegmentWriterOptions& o) : options_(o), cctx_(ZSTD_createCCtx()) {
    ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, options_.zstd_level);
    out_.append(kSegmentMagic, sizeof(kSegmentMagic));
  }
  ~Builder() { ZSTD_freeCCtx(cctx_); }

  void AddChunk(BlockMeta* block, uint32_t column_id, uint32_t num_values, const std::string& raw) {
    ChunkMeta m;
    m.column_id = column_id;
    m.num_values = num_values;
    m.raw_len = raw.size();
    m.offset = out_.size();
    size_t bound = ZSTD_compressBound(raw.size());
    out_.resize(m.offset + bound);
    size_t n = ZSTD_compress2(cctx_, out_.data() + m.offset, bound, raw.data(), raw.size());
    // With a buffer of ZSTD_compressBound bytes compression cannot fail for lack of space; any
    // other error (allocation) is fatal for this process.
    if (ZSTD_isError(n)) std::abort();
    out_.resize(m.offset + n);
    m.stored_len = n;
    m.crc = Crc32c(std::string_view(out_.data() + m.offset, n));
    meta_.raw_bytes += raw.size();
    block->chunks.push_back(m);
  }

  std::string Finish(const RecordBatch& batch, SegmentMeta* meta_out) {
    const uint32_t n = static_cast<uint32_t>(batch.num_rows());
    const auto& cols = batch.columns();
    // Log data compresses several times over; start with room for a 4x ratio.
    out_.reserve(batch.ByteSize() / 4 + 4096);
    // Schema: every column with at least one value, in batch order.
    std::vector<uint32_t> field_id(cols.size(), 0);
    for (size_t i = 0; i < cols.size(); ++i) {
      if (cols[i].rows.empty()) continue;
      field_id[i] = kFirstFieldColumnId + static_cast<uint32_t>(meta_.fields.size());
      meta_.fields.push_back({cols[i].name, cols[i].type});
    }
    meta_.num_records = n;
    meta_.min_time = n ? batch.time(0) : 0;
    meta_.max_time = n ? batch.time(0) : 0;
    std::string raw;
    const uint32_t step = std::max<uint32_t>(1, options_.block_rows);
    for (uint32_t b = 0; b < n; b += step) {
      const uint32_t e = std::min(n, b + step);
      BlockMeta block;
      block.num_rows = e - b;
      block.min_time = block.max_time = batch.time(b);
      // Timestamps: first value, then deltas (zigzag, so unsorted input still round-trips).
      raw.clear();
      int64_t prev = 0;
      for (uint32_t r = b; r < e; ++r) {
        int64_t t = batch.time(r);
        block.min_time = std::min(block.min_time, t);
        block.max_time = std::max(block.max_time, t);
        PutVarsint64(&raw, t - prev);
        prev = t;
      }
      AddChunk(&block, kTimeColumnId, e - b, raw);
      // Messages: all lengths, then all bytes.
      raw.clear();
      for (uint32_t r = b; r < e; ++r) PutVarint64(&raw, batch.message(r).size());
      for (uint32_t r = b; r < e; ++r) raw.append(batch.message(r));
      AddChunk(&block, kMessageColumnId, e - b, raw);
      for (size_t i = 0; i < cols.size(); ++i) {
        if (cols[i].rows.empty()) continue;
        raw.clear();
        uint32_t nv = EncodeFieldChunk(cols[i], b, e, &raw);
        if (nv > 0) AddChunk(&block, field_id[i], nv, raw);
      }
      meta_.min_time = std::min(meta_.min_time, block.min_time);
      meta_.max_time = std::max(meta_.max_time, block.max_time);
      meta_.blocks.push_back(std::move(block));
    }
    // Footer.
    std::string footer;
    PutVarint64(&footer, meta_.num_records);
    PutVarsint64(&footer, meta_.min_time);
    PutVarsint64(&footer, meta_.max_time);
    PutVarint64(&footer, meta_.raw_bytes);
    PutVarint64(&footer, meta_.fields.size());
    for (const FieldSchema& f : meta_.fields) {
      PutLengthPrefixed(&footer, f.name);
      footer.push_back(static_cast<char>(f.type));
    }
    PutVarint64(&footer, meta_.blocks.size());
    for (const BlockMeta& bm : meta_.blocks) {
      PutVarint64(&footer, bm.num_rows);
      PutVarsint64(&footer, bm.min_time);
      PutVarsint64(&footer, bm.max_time);
      PutVarint64(&footer, bm.chunks.size());
      for (const ChunkMeta& c : bm.chunks) {
        PutVarint64(&footer, c.column_id);
        PutVarint64(&footer, c.offset);
        PutVarint64(&footer, c.stored_len);
        PutVarint64(&footer, c.raw_len);
        PutVarint64(&footer, c.num_values);
        PutFixed32(&footer, c.crc);
      }
    }
    const uint64_t footer_offset = out_.size();
    out_.append(footer);
    PutFixed64(&out_, footer_offset);
    PutFixed32(&out_, static_cast<uint32_t>(footer.size()));
    PutFixed32(&out_, Crc32c(footer));
    PutFixed32(&out_, kSegmentFormatVersion);
    PutFixed32(&out_, 0);
    out_.append(kSegmentMagic, sizeof(kSegmentMagic));
    if (meta_out != nullptr) *meta_out = std::move(meta_);
    return std::move(out_);
  }

 private:
  SegmentWriterOptions options_;
  ZSTD_CCtx* cctx_;
  std::string out_;
  SegmentMeta meta_;
};

}  // namespace

std::string EncodeSegment(const RecordBatch& batch, const SegmentWriterOptions& options,
                          SegmentMeta* meta) {
  Builder b(options);
  return b.Finish(batch, meta);
}

absl::Status WriteSegment(Env* env, const std::string& path, const RecordBatch& batch,
                          const SegmentWriterOptions& options, SegmentMeta* meta) {
  std::string bytes = EncodeSegment(batch, options, meta);
  return WriteFileAtomically(env, path, bytes);
}

}  // namespace lode::storage
