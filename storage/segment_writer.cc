#include "storage/segment_writer.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <zstd.h>

#include "common/coding.h"
#include "common/crc32c.h"
#include "storage/internal/column_codec.h"

namespace lode::storage {
namespace {

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
      for (uint32_t r = b; r < e; ++r) {
        block.min_time = std::min(block.min_time, batch.time(r));
        block.max_time = std::max(block.max_time, batch.time(r));
      }
      raw.clear();
      internal::EncodeTimes(batch.times().data() + b, e - b, &raw);
      AddChunk(&block, kTimeColumnId, e - b, raw);
      raw.clear();
      internal::EncodeStrings(batch.messages(), b, e, &raw);
      AddChunk(&block, kMessageColumnId, e - b, raw);
      for (size_t i = 0; i < cols.size(); ++i) {
        const Column& c = cols[i];
        if (c.rows.empty()) continue;
        size_t lo = std::lower_bound(c.rows.begin(), c.rows.end(), b) - c.rows.begin();
        size_t hi = std::lower_bound(c.rows.begin(), c.rows.end(), e) - c.rows.begin();
        if (lo == hi) continue;
        raw.clear();
        internal::EncodeField(c, lo, hi, b, e - b, &raw);
        AddChunk(&block, field_id[i], static_cast<uint32_t>(hi - lo), raw);
        ChunkMeta& m = block.chunks.back();
        if (c.type == FieldType::kInt64) {
          auto [mn, mx] = std::minmax_element(c.ints.begin() + lo, c.ints.begin() + hi);
          m.range = ChunkMeta::kIntRange;
          m.int_min = *mn;
          m.int_max = *mx;
        } else if (c.type == FieldType::kDouble) {
          double mn = INFINITY, mx = -INFINITY;
          bool nan = false;
          for (size_t k = lo; k < hi; ++k) {
            double v = c.doubles[k];
            if (std::isnan(v)) nan = true;
            mn = std::min(mn, v);
            mx = std::max(mx, v);
          }
          if (!nan) {
            m.range = ChunkMeta::kDoubleRange;
            m.double_min = mn;
            m.double_max = mx;
          }
        }
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
        footer.push_back(static_cast<char>(c.range));
        if (c.range == ChunkMeta::kIntRange) {
          PutVarsint64(&footer, c.int_min);
          PutVarsint64(&footer, c.int_max);
        } else if (c.range == ChunkMeta::kDoubleRange) {
          uint64_t bits;
          std::memcpy(&bits, &c.double_min, 8);
          PutFixed64(&footer, bits);
          std::memcpy(&bits, &c.double_max, 8);
          PutFixed64(&footer, bits);
        }
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
