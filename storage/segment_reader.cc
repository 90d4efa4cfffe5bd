#include "storage/segment_reader.h"

#include <algorithm>
#include <cstring>

#include "common/coding.h"
#include "common/crc32c.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "storage/internal/chunk_streams.h"
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
// The fewest bytes a chunk entry takes: five one-byte varints, the CRC, the range kind and the
// reference count.
constexpr uint64_t kMinChunkEntryBytes = 5 + 4 + 1 + 1;

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
  if (version < kOldestSegmentFormatVersion || version > kSegmentFormatVersion) {
    return Corrupt(path_, StrCat("unsupported format version ", version));
  }
  if (footer_offset < kSegmentHeaderSize ||
      footer_offset + footer_len != size - kSegmentTrailerSize) {
    return Corrupt(path_, "footer offset/length out of bounds");
  }
  // Version 6 checks the footer's head (the block headers) here and each block's chunk entries,
  // which follow the head, when the block is first used; older versions check the whole footer.
  const uint32_t head_len = version >= 6 ? DecodeFixed32(trailer.data() + 20) : footer_len;
  if (head_len > footer_len) return Corrupt(path_, "footer head longer than the footer");
  std::string_view footer;
  RETURN_IF_ERROR(file_->Read(footer_offset, footer_len, &footer_scratch_, &footer));
  const std::string_view head = footer.substr(0, head_len);
  entries_have_crc_ = version >= 6;
  std::string_view entries_area = footer.substr(head_len);
  if (Crc32c(head) != footer_crc) return Corrupt(path_, "footer checksum mismatch");
  footer_offset_ = footer_offset;

  Decoder d(head);
  uint64_t nfields, nblocks;
  if (!d.GetVarint64(&meta_.num_records) || !d.GetVarsint64(&meta_.min_time) ||
      !d.GetVarsint64(&meta_.max_time) || !d.GetVarint64(&meta_.raw_bytes) ||
      !d.GetVarint64(&nfields) || nfields > head.size()) {
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
  if (!d.GetVarint64(&nblocks) || nblocks > head.size()) {
    return Corrupt(path_, "bad block count");
  }
  meta_.blocks.resize(nblocks);
  entries_.resize(nblocks);
  uint64_t total_rows = 0;
  // Only the block headers are read here; each block's chunk entries are passed over (version 5
  // gives their length; version 6 puts them after the headers, with their CRC) and checked and
  // parsed when the block is first used (Chunks()), so that opening a segment for a query that
  // reads a few blocks costs little. Older versions give no length: their entries are parsed
  // here, into the same cache.
  lazy_ = std::make_unique<LazyChunks[]>(nblocks);
  for (size_t b = 0; b < nblocks; ++b) {
    BlockMeta& bm = meta_.blocks[b];
    uint64_t rows, nchunks;
    if (!d.GetVarint64(&rows) || rows == 0 || rows > kMaxBlockRows ||
        !d.GetVarsint64(&bm.min_time) || !d.GetVarsint64(&bm.max_time) ||
        !d.GetVarint64(&nchunks) || nchunks > head.size() || nchunks < 2) {
      return CorruptBlock(path_, b, "bad block header in footer");
    }
    bm.num_rows = static_cast<uint32_t>(rows);
    total_rows += rows;
    if (version >= 5) {  // the entries' length comes first
      uint64_t len;
      std::string_view entries;
      BlockEntries& e = entries_[b];
      if (version >= 6) {  // the entries follow the head, in block order; their CRC is here
        if (!d.GetVarint64(&len) || !d.GetFixed32(&e.crc) || len > entries_area.size()) {
          return CorruptBlock(path_, b, "truncated chunk entries");
        }
        entries = entries_area.substr(0, len);
        entries_area.remove_prefix(len);
      } else if (!d.GetVarint64(&len) || !d.GetBytes(len, &entries)) {
        return CorruptBlock(path_, b, "truncated chunk entries");
      }
      // Each entry takes at least kMinChunkEntryBytes: the count cannot make the parse
      // allocate more than the entries are worth.
      if (nchunks > len / kMinChunkEntryBytes) return CorruptBlock(path_, b, "bad chunk count");
      e.bytes = entries;
      e.num_chunks = static_cast<uint32_t>(nchunks);
      continue;
    }
    if (nchunks > d.remaining() / kMinChunkEntryBytes) {
      return CorruptBlock(path_, b, "bad chunk count");
    }
    LazyChunks& lazy = lazy_[b];
    std::call_once(lazy.once, [&] { lazy.status = ParseEntries(b, &d, nchunks, &lazy.chunks); });
    RETURN_IF_ERROR(lazy.status);
  }
  if (version >= 4) {
    if (!d.GetVarint64(&meta_.index_offset) || !d.GetVarint64(&meta_.index_len) ||
        meta_.index_offset > footer_offset ||
        meta_.index_len > footer_offset - meta_.index_offset ||
        (meta_.index_len > 0 && meta_.index_offset < kSegmentHeaderSize)) {
      return Corrupt(path_, "bad index location");
    }
  }
  if (!d.done() || !entries_area.empty()) return Corrupt(path_, "trailing bytes in footer");
  if (total_rows != meta_.num_records) return Corrupt(path_, "record count mismatch");
  if (meta_.index_len > 0) {
    // An index that does not open leaves the segment readable: queries scan it instead.
    std::string_view bytes;
    absl::Status s = file_->Read(meta_.index_offset, meta_.index_len, &index_scratch_, &bytes);
    if (s.ok()) {
      auto ix = index::SegmentIndex::Open(bytes, static_cast<uint32_t>(meta_.blocks.size()));
      if (ix.ok()) {
        index_ = std::move(*ix);
      } else {
        s = ix.status();
      }
    }
    if (!s.ok()) index_error_ = StrCat(path_, ": ", StatusMessage(s));
  }
  return absl::OkStatus();
}

absl::StatusOr<const std::vector<ChunkMeta>*> SegmentReader::Chunks(size_t b) const {
  if (b >= meta_.blocks.size()) return absl::OutOfRangeError("block index");
  LazyChunks& lazy = lazy_[b];
  std::call_once(lazy.once, [&] {
    const BlockEntries& e = entries_[b];
    if (entries_have_crc_ && Crc32c(e.bytes) != e.crc) {
      lazy.status = CorruptBlock(path_, b, "chunk entries checksum mismatch");
      return;
    }
    Decoder d(e.bytes);
    std::vector<ChunkMeta> chunks;
    lazy.status = ParseEntries(b, &d, e.num_chunks, &chunks);
    if (lazy.status.ok() && !d.done()) {
      lazy.status = CorruptBlock(path_, b, "trailing bytes in chunk entries");
    }
    if (lazy.status.ok()) lazy.chunks = std::move(chunks);  // nothing kept from a failed parse
  });
  if (!lazy.status.ok()) return lazy.status;
  return &lazy.chunks;
}

absl::Status SegmentReader::ParseEntries(size_t b, Decoder* entries, size_t nchunks,
                                         std::vector<ChunkMeta>* chunks) const {
  const uint64_t rows = meta_.blocks[b].num_rows;
  const uint64_t max_column = kFirstFieldColumnId + meta_.fields.size();
  Decoder& d = *entries;
  chunks->resize(nchunks);
  for (size_t k = 0; k < nchunks; ++k) {
    ChunkMeta& c = (*chunks)[k];
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
    uint64_t nrefs;
    if (!d.GetVarint64(&nrefs) || nrefs > nchunks) {
      return CorruptBlock(path_, b, "bad reference count");
    }
    c.refs.resize(nrefs);
    for (uint32_t& ref : c.refs) {
      uint64_t id;
      if (!d.GetVarint64(&id) || id >= max_column || id < kFirstFieldColumnId || id == col ||
          (&ref != c.refs.data() && id <= (&ref)[-1])) {
        return CorruptBlock(path_, b, "bad reference");
      }
      ref = static_cast<uint32_t>(id);
    }
    if (col >= max_column || nv > rows || c.raw_len > kMaxChunkRawBytes ||
        c.offset < kSegmentHeaderSize || c.offset > footer_offset_ ||
        c.stored_len > footer_offset_ - c.offset) {
      return CorruptBlock(path_, b, "chunk entry out of bounds");
    }
    if (k == 0 && col != kTimeColumnId) return CorruptBlock(path_, b, "first chunk not time");
    if (k == 1 && col != kMessageColumnId) {
      return CorruptBlock(path_, b, "second chunk not message");
    }
    if (k >= 2 && col < kFirstFieldColumnId) return CorruptBlock(path_, b, "misplaced chunk");
    if ((k < 2 && nv != rows) || (k == 0 && nrefs != 0)) {
      return CorruptBlock(path_, b, "bad time or message chunk");
    }
    c.column_id = static_cast<uint32_t>(col);
    c.num_values = static_cast<uint32_t>(nv);
  }
  // Field chunks: one per column at most; references point to referenceless chunks of the
  // block.
  std::vector<int32_t> chunk_of(max_column, -1);
  for (size_t k = 2; k < nchunks; ++k) {
    int32_t& slot = chunk_of[(*chunks)[k].column_id];
    if (slot >= 0) return CorruptBlock(path_, b, "duplicate column chunk");
    slot = static_cast<int32_t>(k);
  }
  for (const ChunkMeta& c : *chunks) {
    for (uint32_t ref : c.refs) {
      if (chunk_of[ref] < 0 || !(*chunks)[chunk_of[ref]].refs.empty()) {
        return CorruptBlock(path_, b, "reference to a missing or referencing chunk");
      }
    }
  }
  return absl::OkStatus();
}

absl::Status SegmentReader::ReadChunk(size_t block, const ChunkMeta& c, ChunkBuffers* buf) const {
  RETURN_IF_ERROR(file_->Read(c.offset, c.stored_len, &buf->scratch, &buf->stored));
  if (Crc32c(buf->stored) != c.crc) {
    return CorruptBlock(path_, block, StrCat("checksum mismatch in column ", c.column_id));
  }
  if (!buf->streams.Parse(buf->stored, c.raw_len) || buf->streams.raw_bytes() != c.raw_len) {
    return CorruptBlock(path_, block, StrCat("column ", c.column_id, " does not decompress"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> SegmentReader::ChunkEncoding(size_t block, size_t chunk) const {
  ASSIGN_OR_RETURN(const std::vector<ChunkMeta>* chunks, Chunks(block));
  if (chunk >= chunks->size()) return absl::OutOfRangeError("chunk index");
  ChunkBuffers buf;
  RETURN_IF_ERROR(ReadChunk(block, (*chunks)[chunk], &buf));
  std::string_view main;
  if (!buf.streams.Get(0, &main)) {
    return CorruptBlock(path_, block, StrCat("column ", chunk, " does not decompress"));
  }
  return internal::ChunkEncodingName(main, chunk >= 2);
}

absl::Status SegmentReader::ReadBlock(size_t i, RecordBatch* out) const {
  return DecodeBlock(i, nullptr, out);
}

absl::Status SegmentReader::ReadBlock(size_t i, const std::vector<uint32_t>& column_ids,
                                      RecordBatch* out, const BlockReadOptions& options) const {
  std::vector<bool> wanted(kFirstFieldColumnId + meta_.fields.size(), false);
  for (uint32_t id : column_ids) {
    if (id < wanted.size()) wanted[id] = true;
  }
  return DecodeBlock(i, &wanted, out, options);
}

absl::Status SegmentReader::DecodeBlock(size_t i, const std::vector<bool>* wanted, RecordBatch* out,
                                        const BlockReadOptions& options) const {
  const bool message_skeleton = options.message_skeleton;
  const MessageExpandPredicate* expand_if = options.expand_if;
  out->Clear();
  ASSIGN_OR_RETURN(const std::vector<ChunkMeta>* chunk_list, Chunks(i));
  const std::vector<ChunkMeta>& chunks = *chunk_list;
  const uint32_t rows = meta_.blocks[i].num_rows;
  const size_t nchunks = chunks.size();
  auto bad = [&](std::string_view what) { return CorruptBlock(path_, i, what); };
  auto is_wanted = [&](uint32_t id) { return wanted == nullptr || (*wanted)[id]; };

  // Which chunks to decode: the wanted ones and the chunks they are encoded against.
  std::vector<bool> decode(nchunks, false);
  std::vector<int32_t> chunk_of(kFirstFieldColumnId + meta_.fields.size(), -1);
  for (size_t k = 0; k < nchunks; ++k) chunk_of[chunks[k].column_id] = static_cast<int32_t>(k);
  for (size_t k = 0; k < nchunks; ++k) {
    if (k == 0 || is_wanted(chunks[k].column_id)) {
      decode[k] = true;
      // A skeleton needs no numbers: the columns the message takes them from are decoded only
      // when a template that is expanded references them (the loader below).
      if (k == 1 && message_skeleton) continue;
      for (uint32_t ref : chunks[k].refs) decode[chunk_of[ref]] = true;
    }
  }

  ChunkBuffers buf;
  // The time chunk is always read and checked (its CRC and container; it is small), so that a
  // damaged one is reported whether or not its times are decoded.
  RETURN_IF_ERROR(ReadChunk(i, chunks[0], &buf));
  if (options.times) {
    internal::StreamReader r(&buf.streams);
    if (!internal::DecodeTimeChunk(&r, rows, out->mutable_times())) {
      return bad("time column corrupt");
    }
  } else {
    out->mutable_times()->assign(rows, meta_.blocks[i].min_time);  // the row count, not times
  }
  // Output columns are all created before any pointer to one is kept (creating one may move
  // the others), and before any is filled (views into them must not move).
  std::vector<Column> scratch(nchunks);
  std::vector<Column*> col(nchunks, nullptr);
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t k = 2; k < nchunks; ++k) {
      if (!decode[k]) continue;
      const FieldSchema& fs = meta_.fields[chunks[k].column_id - kFirstFieldColumnId];
      if (is_wanted(chunks[k].column_id)) {
        col[k] = out->MutableColumn(fs.name, fs.type);
      } else {
        col[k] = &scratch[k];
        col[k]->name = fs.name;
        col[k]->type = fs.type;
      }
    }
  }
  {
    // The same (name, type) twice in the schema would merge two chunks into one column.
    std::vector<Column*> sorted(col.begin(), col.end());
    std::sort(sorted.begin(), sorted.end());
    for (size_t k = 1; k < sorted.size(); ++k) {
      if (sorted[k] != nullptr && sorted[k] == sorted[k - 1]) return bad("duplicate column");
    }
  }
  // Chunks without references first; they become the sources of the others.
  internal::BlockRefs refs(rows);
  auto decode_field = [&](size_t k, ChunkBuffers* b) -> absl::Status {
    const ChunkMeta& c = chunks[k];
    RETURN_IF_ERROR(ReadChunk(i, c, b));
    internal::StreamReader r(&b->streams);
    refs.Allow(&c.refs);
    // A projected read serves the query, which takes dictionary-form values.
    if (!internal::DecodeField(&r, c.num_values, rows, &refs, col[k], wanted != nullptr)) {
      return bad(StrCat("field '", col[k]->name, "' corrupt"));
    }
    return absl::OkStatus();
  };
  for (size_t k = 2; k < nchunks; ++k) {
    if (col[k] == nullptr || !chunks[k].refs.empty()) continue;
    RETURN_IF_ERROR(decode_field(k, &buf));
    refs.Add(internal::ColumnView::Of(chunks[k].column_id, *col[k], 0, col[k]->size(), 0));
  }
  for (size_t k = 2; k < nchunks; ++k) {
    if (col[k] == nullptr || chunks[k].refs.empty()) continue;
    RETURN_IF_ERROR(decode_field(k, &buf));
  }
  if (decode[1]) {
    const ChunkMeta& c = chunks[1];
    // Columns the message references that are not decoded yet (skeleton mode): decoded into
    // scratch when an expanded template first needs one. Only columns without references of
    // their own can be sources, as on the writing side.
    ChunkBuffers lazy_buf;
    absl::Status lazy_status;
    refs.SetLoader([&](uint32_t id) {
      if (id < kFirstFieldColumnId || id >= chunk_of.size()) return false;
      const int32_t k = chunk_of[id];
      if (k < 2 || col[k] != nullptr || !chunks[k].refs.empty()) return false;
      const FieldSchema& fs = meta_.fields[id - kFirstFieldColumnId];
      col[k] = &scratch[k];
      col[k]->name = fs.name;
      col[k]->type = fs.type;
      lazy_status = decode_field(k, &lazy_buf);
      refs.Allow(&c.refs);
      if (!lazy_status.ok()) return false;
      refs.Add(internal::ColumnView::Of(id, *col[k], 0, col[k]->size(), 0));
      return true;
    });
    RETURN_IF_ERROR(ReadChunk(i, c, &buf));
    internal::StreamReader r(&buf.streams);
    refs.Allow(&c.refs);
    const bool decoded =
        internal::DecodeMessageChunk(&r, rows, &refs, out->mutable_messages(), message_skeleton,
                                     message_skeleton ? expand_if : nullptr);
    refs.SetLoader(nullptr);  // it refers to locals of this block
    if (!decoded) {
      RETURN_IF_ERROR(lazy_status);
      return bad("message column corrupt");
    }
  } else {
    out->mutable_messages()->AppendEmpty(rows);
  }
  return absl::OkStatus();
}

}  // namespace lode::storage
