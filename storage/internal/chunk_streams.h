// The container of one chunk (one column of one block): an ordered list of byte streams, each
// stored raw or as its own zstd frame (docs/formats/segment.md, "Chunk container").
//
// Encodings write lengths, ids and the bytes of each significance into separate streams, so that
// zstd's entropy coder sees one kind of symbol at a time; a stream that zstd does not shrink
// (packed random ids) is stored raw and costs nothing to decode.
//
// StreamWriter and StreamReader are not thread-safe; ChunkCompressor owns a zstd context and is
// used by one thread at a time.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "common/coding.h"

struct ZSTD_CCtx_s;
struct ZSTD_DCtx_s;

namespace lode::storage::internal {

// What a stream holds, for picking its compression level: text (string bytes, templates) pays
// for a stronger zstd level, numbers and ids do not.
enum class StreamKind : uint8_t { kBinary = 0, kText = 1 };

// Stream codecs in the chunk header.
enum class StreamCodec : uint8_t { kRaw = 0, kZstd = 1 };

inline constexpr size_t kMaxStreams = 64;

// Collects the streams of one chunk while an encoder runs. Stream 0 always exists (the "main"
// stream: encoding tags, counts, small headers); encoders add the rest in the order the format
// defines for them. Buffers are kept across Clear() to avoid reallocations.
class StreamWriter {
 public:
  StreamWriter() { Clear(); }
  void Clear() {
    for (size_t i = 0; i < used_; ++i) streams_[i].clear();
    if (streams_.empty()) streams_.emplace_back();
    kinds_.assign(1, StreamKind::kBinary);
    used_ = 1;
  }
  std::string* main() { return &streams_[0]; }
  // A new empty stream after the existing ones. Pointers to streams stay valid until Clear().
  std::string* Add(StreamKind kind = StreamKind::kBinary) {
    if (used_ == streams_.size()) streams_.emplace_back();
    kinds_.push_back(kind);
    return &streams_[used_++];
  }
  size_t size() const { return used_; }
  const std::string& stream(size_t i) const { return streams_[i]; }
  StreamKind kind(size_t i) const { return kinds_[i]; }
  size_t raw_bytes() const {
    size_t n = 0;
    for (size_t i = 0; i < used_; ++i) n += streams_[i].size();
    return n;
  }

 private:
  std::deque<std::string> streams_;  // a deque: adding a stream moves no other
  std::vector<StreamKind> kinds_;
  size_t used_ = 0;
};

// The streams of one stored chunk, each decompressed only when first asked for: a decoder that
// does not need some streams (the numbers of message templates it leaves as skeletons) skips
// them without paying for their decompression. The stored bytes must outlive this object; the
// chunk's checksum has been verified before (a stream that fails to decompress is corruption).
class ChunkStreams {
 public:
  // Parses the chunk header. False on any inconsistency, or when the streams would take more
  // than `max_raw_bytes` decompressed.
  bool Parse(std::string_view stored, uint64_t max_raw_bytes);
  size_t size() const { return entries_.size(); }
  uint64_t raw_bytes() const { return raw_bytes_; }
  uint64_t raw_size(size_t i) const { return entries_[i].raw_len; }
  // Stream `i`, decompressed if need be. False when it does not decompress.
  bool Get(size_t i, std::string_view* out);

 private:
  struct Entry {
    uint8_t codec = 0;
    uint64_t stored_len = 0;
    std::string_view stored;
    uint64_t raw_len = 0;
    bool ready = false;
    std::string_view view;  // when ready
  };
  std::vector<Entry> entries_;
  std::vector<std::string> buffers_;  // decompressed streams, kept to reuse their memory
  uint64_t raw_bytes_ = 0;
};

// Hands the streams of one chunk to a decoder, in order. Every stream must be taken (or
// skipped), and the main one read to its end, for the chunk to be valid (checked by Finish()).
class StreamReader {
 public:
  explicit StreamReader(std::vector<std::string_view> streams)
      : streams_(std::move(streams)), main_(streams_.empty() ? std::string_view() : streams_[0]) {
    size_ = streams_.size();
  }
  // Over `chunk`, decompressing streams as they are taken. The main stream must decompress
  // (ok() says whether it did).
  explicit StreamReader(ChunkStreams* chunk) : chunk_(chunk), main_(std::string_view()) {
    std::string_view m;
    size_ = chunk->size();
    ok_ = size_ > 0 && chunk->Get(0, &m);
    main_ = Decoder(m);
  }
  bool ok() const { return ok_; }
  Decoder* main() { return &main_; }
  // The next stream; false when there is none left (or it does not decompress).
  bool Next(Decoder* d) {
    std::string_view s;
    if (!Next(&s)) return false;
    *d = Decoder(s);
    return true;
  }
  bool Next(std::string_view* s) {
    if (next_ >= size_) return false;
    if (chunk_ != nullptr) return chunk_->Get(next_++, s);
    *s = streams_[next_++];
    return true;
  }
  // Passes over the next stream without decompressing it; `*raw_size` gets its length. False
  // when there is none left.
  bool Skip(uint64_t* raw_size) {
    if (next_ >= size_) return false;
    *raw_size = chunk_ != nullptr ? chunk_->raw_size(next_) : streams_[next_].size();
    ++next_;
    return true;
  }
  // True when the main stream was read to its end and no stream is left over.
  bool Finish() const { return ok_ && size_ > 0 && main_.done() && next_ == size_; }

 private:
  ChunkStreams* chunk_ = nullptr;
  std::vector<std::string_view> streams_;
  Decoder main_;
  size_t size_ = 0;
  size_t next_ = 1;
  bool ok_ = true;
};

// Compresses a StreamWriter into the stored bytes of a chunk and back.
class ChunkCompressor {
 public:
  // `text_level` applies to streams of kind kText, `zstd_level` to the others.
  ChunkCompressor(int zstd_level, int text_level);
  ~ChunkCompressor();
  ChunkCompressor(const ChunkCompressor&) = delete;
  ChunkCompressor& operator=(const ChunkCompressor&) = delete;

  // Appends the chunk (header and streams) to `out`. Each stream is stored as zstd when that
  // is smaller, raw otherwise.
  void Compress(const StreamWriter& w, std::string* out);

 private:
  ZSTD_CCtx_s* cctx_;
  ZSTD_CCtx_s* text_cctx_;
  std::string header_, body_;  // kept between chunks to reuse their memory
};

// Parses and decompresses a stored chunk. `buffers` receives the decompressed streams (raw
// streams are views into `stored`); `streams` the views a StreamReader takes. At most
// `max_raw_bytes` in total are decompressed. False on any inconsistency (corruption).
bool DecompressChunk(std::string_view stored, uint64_t max_raw_bytes,
                     std::vector<std::string>* buffers, std::vector<std::string_view>* streams,
                     uint64_t* raw_bytes);

}  // namespace lode::storage::internal
