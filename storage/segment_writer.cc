#include "storage/segment_writer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <thread>

#include "common/coding.h"
#include "common/crc32c.h"
#include "index/segment_index_builder.h"
#include "storage/internal/chunk_streams.h"
#include "storage/internal/column_codec.h"

namespace lode::storage {
namespace {

// The value range of a numeric chunk, for skipping blocks on range filters.
void SetRange(const Column& c, size_t lo, size_t hi, ChunkMeta* m) {
  if (c.type == FieldType::kInt64) {
    auto [mn, mx] = std::minmax_element(c.ints.begin() + lo, c.ints.begin() + hi);
    m->range = ChunkMeta::kIntRange;
    m->int_min = *mn;
    m->int_max = *mx;
  } else if (c.type == FieldType::kDouble) {
    double mn = INFINITY, mx = -INFINITY;
    for (size_t k = lo; k < hi; ++k) {
      const double v = c.doubles[k];
      if (std::isnan(v)) return;
      mn = std::min(mn, v);
      mx = std::max(mx, v);
    }
    m->range = ChunkMeta::kDoubleRange;
    m->double_min = mn;
    m->double_max = mx;
  }
}

class Builder {
 public:
  explicit Builder(const SegmentWriterOptions& o)
      : options_(o), compressor_(o.zstd_level, o.text_zstd_level) {
    out_.append(kSegmentMagic, sizeof(kSegmentMagic));
  }

  ChunkMeta AddChunk(uint32_t column_id, uint32_t num_values, const internal::StreamWriter& w,
                     const std::vector<uint32_t>& refs) {
    ChunkMeta m;
    m.column_id = column_id;
    m.num_values = num_values;
    m.raw_len = w.raw_bytes();
    m.offset = out_.size();
    compressor_.Compress(w, &out_);
    m.stored_len = out_.size() - m.offset;
    m.crc = Crc32c(std::string_view(out_.data() + m.offset, m.stored_len));
    m.refs = refs;
    meta_.raw_bytes += m.raw_len;
    return m;
  }

  // `block_ends`: the end row of each block (empty: every options.block_rows rows).
  // `prebuilt_index`: the index section to write (from MergeSegmentIndexes) instead of
  // building one; it must describe exactly these blocks.
  std::string Finish(const RecordBatch& batch, SegmentMeta* meta_out,
                     const std::vector<uint32_t>& block_ends = {},
                     std::string_view prebuilt_index = {}) {
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
    internal::StreamWriter w;
    const std::vector<uint32_t> no_refs;
    // The index is built from the same rows on a second thread while this one encodes the
    // columns: the two take about as long, so a segment costs little more wall time with its
    // index than without.
    std::string index_bytes;
    bool index_ok = false;
    std::thread index_thread;
    const uint32_t step = std::clamp<uint32_t>(options_.block_rows, 1, kMaxBlockRows);
    const bool build = options_.build_index && prebuilt_index.empty();
    if (build) {
      index_thread = std::thread([&] {
        index::SegmentIndexBuilder index_builder(batch);
        size_t k = 0;
        for (uint32_t b = 0, e = 0; b < n; b = e) {
          e = block_ends.empty() ? std::min(n, b + step) : std::min(n, block_ends[k++]);
          index_builder.AddBlock(b, e);
        }
        index_ok = index_builder.Finish(&index_bytes);
      });
    }
    size_t next_end = 0;
    for (uint32_t b = 0, e = 0; b < n; b = e) {
      e = block_ends.empty() ? std::min(n, b + step) : std::min(n, block_ends[next_end++]);
      BlockMeta block;
      block.num_rows = e - b;
      block.min_time = block.max_time = batch.time(b);
      for (uint32_t r = b; r < e; ++r) {
        block.min_time = std::min(block.min_time, batch.time(r));
        block.max_time = std::max(block.max_time, batch.time(r));
      }
      w.Clear();
      internal::EncodeTimeChunk(batch.times().data() + b, e - b, &w);
      block.chunks.push_back(AddChunk(kTimeColumnId, e - b, w, no_refs));
      // Fields first, in schema order, so that the message can refer to them; a chunk encoded
      // without references becomes referenceable for the chunks after it.
      internal::BlockRefs refs(e - b);
      std::vector<ChunkMeta> fields;
      for (size_t i = 0; i < cols.size(); ++i) {
        const Column& c = cols[i];
        if (c.rows.empty()) continue;
        size_t lo = std::lower_bound(c.rows.begin(), c.rows.end(), b) - c.rows.begin();
        size_t hi = std::lower_bound(c.rows.begin(), c.rows.end(), e) - c.rows.begin();
        if (lo == hi) continue;
        w.Clear();
        refs.used()->clear();
        internal::EncodeField(c, lo, hi, b, e - b, &refs, &w);
        fields.push_back(AddChunk(field_id[i], static_cast<uint32_t>(hi - lo), w, *refs.used()));
        if (refs.used()->empty()) {
          refs.Add(internal::ColumnView::Of(field_id[i], c, lo, hi, b));
        }
        SetRange(c, lo, hi, &fields.back());
      }
      w.Clear();
      refs.used()->clear();
      internal::EncodeMessageChunk(batch.messages(), b, e, &refs, &w);
      block.chunks.push_back(AddChunk(kMessageColumnId, e - b, w, *refs.used()));
      for (ChunkMeta& f : fields) block.chunks.push_back(std::move(f));
      meta_.min_time = std::min(meta_.min_time, block.min_time);
      meta_.max_time = std::max(meta_.max_time, block.max_time);
      meta_.blocks.push_back(std::move(block));
    }
    if (!prebuilt_index.empty()) {
      meta_.index_offset = out_.size();
      out_.append(prebuilt_index);
      meta_.index_len = prebuilt_index.size();
    } else if (build) {
      index_thread.join();
      if (index_ok) {
        meta_.index_offset = out_.size();
        out_.append(index_bytes);
        meta_.index_len = index_bytes.size();
      }
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
    // The block headers, each with its chunk entries' length and CRC; the entries follow the
    // headers, so that opening a segment reads and checks the headers alone (version 6).
    std::string entries, all_entries;
    for (const BlockMeta& bm : meta_.blocks) {
      PutVarint64(&footer, bm.num_rows);
      PutVarsint64(&footer, bm.min_time);
      PutVarsint64(&footer, bm.max_time);
      PutVarint64(&footer, bm.chunks.size());
      entries.clear();
      for (const ChunkMeta& c : bm.chunks) {
        PutVarint64(&entries, c.column_id);
        PutVarint64(&entries, c.offset);
        PutVarint64(&entries, c.stored_len);
        PutVarint64(&entries, c.raw_len);
        PutVarint64(&entries, c.num_values);
        PutFixed32(&entries, c.crc);
        entries.push_back(static_cast<char>(c.range));
        if (c.range == ChunkMeta::kIntRange) {
          PutVarsint64(&entries, c.int_min);
          PutVarsint64(&entries, c.int_max);
        } else if (c.range == ChunkMeta::kDoubleRange) {
          uint64_t bits;
          std::memcpy(&bits, &c.double_min, 8);
          PutFixed64(&entries, bits);
          std::memcpy(&bits, &c.double_max, 8);
          PutFixed64(&entries, bits);
        }
        PutVarint64(&entries, c.refs.size());
        for (uint32_t r : c.refs) PutVarint64(&entries, r);
      }
      PutVarint64(&footer, entries.size());
      PutFixed32(&footer, Crc32c(entries));
      all_entries.append(entries);
    }
    PutVarint64(&footer, meta_.index_offset);
    PutVarint64(&footer, meta_.index_len);
    const size_t head_len = footer.size();
    const uint64_t footer_offset = out_.size();
    out_.append(footer);
    out_.append(all_entries);
    PutFixed64(&out_, footer_offset);
    PutFixed32(&out_, static_cast<uint32_t>(head_len + all_entries.size()));
    PutFixed32(&out_, Crc32c(footer));
    PutFixed32(&out_, kSegmentFormatVersion);
    PutFixed32(&out_, static_cast<uint32_t>(head_len));
    out_.append(kSegmentMagic, sizeof(kSegmentMagic));
    if (meta_out != nullptr) *meta_out = std::move(meta_);
    return std::move(out_);
  }

 private:
  SegmentWriterOptions options_;
  internal::ChunkCompressor compressor_;
  std::string out_;
  SegmentMeta meta_;
};

}  // namespace

std::string EncodeSegment(const RecordBatch& batch, const SegmentWriterOptions& options,
                          SegmentMeta* meta) {
  Builder b(options);
  return b.Finish(batch, meta);
}

std::string EncodeSegmentBlocks(const RecordBatch& batch, const std::vector<uint32_t>& block_ends,
                                std::string_view index, const SegmentWriterOptions& options,
                                SegmentMeta* meta) {
  Builder b(options);
  return b.Finish(batch, meta, block_ends, index);
}

absl::Status WriteSegment(Env* env, const std::string& path, const RecordBatch& batch,
                          const SegmentWriterOptions& options, SegmentMeta* meta) {
  std::string bytes = EncodeSegment(batch, options, meta);
  return WriteFileAtomically(env, path, bytes);
}

}  // namespace lode::storage
