#include "storage/internal/chunk_streams.h"

#include <cstdlib>

#include <zstd.h>

namespace lode::storage::internal {
namespace {

// Below this a zstd frame (header, block header) costs more than it can save.
constexpr size_t kMinZstdStream = 24;

struct DCtxHolder {
  DCtxHolder() : ctx(ZSTD_createDCtx()) {}
  ~DCtxHolder() { ZSTD_freeDCtx(ctx); }
  ZSTD_DCtx* ctx;
};

}  // namespace

ChunkCompressor::ChunkCompressor(int zstd_level, int text_level)
    : cctx_(ZSTD_createCCtx()), text_cctx_(ZSTD_createCCtx()) {
  if (cctx_ == nullptr || text_cctx_ == nullptr) std::abort();
  ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, zstd_level);
  ZSTD_CCtx_setParameter(text_cctx_, ZSTD_c_compressionLevel, text_level);
}

ChunkCompressor::~ChunkCompressor() {
  ZSTD_freeCCtx(cctx_);
  ZSTD_freeCCtx(text_cctx_);
}

void ChunkCompressor::Compress(const StreamWriter& w, std::string* out) {
  const size_t n = w.size();
  // Encodings use a fixed, small number of streams; more is a bug in an encoder.
  if (n == 0 || n > kMaxStreams) std::abort();
  // Header: the count, then per stream codec and lengths; written once the lengths are known.
  std::string& header = header_;
  std::string& body = body_;
  header.clear();
  body.clear();
  header.push_back(static_cast<char>(n));
  for (size_t i = 0; i < n; ++i) {
    const std::string& s = w.stream(i);
    StreamCodec codec = StreamCodec::kRaw;
    size_t stored = s.size();
    const size_t body_at = body.size();
    if (s.size() >= kMinZstdStream) {
      const size_t bound = ZSTD_compressBound(s.size());
      body.resize(body_at + bound);
      ZSTD_CCtx* ctx = w.kind(i) == StreamKind::kText ? text_cctx_ : cctx_;
      const size_t z = ZSTD_compress2(ctx, body.data() + body_at, bound, s.data(), s.size());
      // With ZSTD_compressBound bytes of room compression cannot run out of space; any other
      // error (allocation) is fatal for this process.
      if (ZSTD_isError(z)) std::abort();
      if (z < s.size()) {
        codec = StreamCodec::kZstd;
        stored = z;
      }
      body.resize(body_at + (codec == StreamCodec::kZstd ? z : 0));
    }
    if (codec == StreamCodec::kRaw) body.append(s);
    header.push_back(static_cast<char>(codec));
    PutVarint64(&header, stored);
    PutVarint64(&header, s.size());
  }
  out->append(header);
  out->append(body);
}

bool ChunkStreams::Parse(std::string_view stored, uint64_t max_raw_bytes) {
  entries_.clear();
  raw_bytes_ = 0;
  Decoder d(stored);
  uint8_t n;
  if (!d.GetByte(&n) || n == 0 || n > kMaxStreams) return false;
  entries_.resize(n);
  uint64_t total_stored = 0;
  for (Entry& e : entries_) {
    uint64_t stored_len;
    if (!d.GetByte(&e.codec) || !d.GetVarint64(&stored_len) || !d.GetVarint64(&e.raw_len)) {
      return false;
    }
    if (e.codec > static_cast<uint8_t>(StreamCodec::kZstd)) return false;
    if (e.codec == static_cast<uint8_t>(StreamCodec::kRaw) && stored_len != e.raw_len) {
      return false;
    }
    if (stored_len > stored.size() || e.raw_len > max_raw_bytes) return false;
    total_stored += stored_len;
    raw_bytes_ += e.raw_len;
    e.stored_len = stored_len;
  }
  if (total_stored != d.remaining() || raw_bytes_ > max_raw_bytes) return false;
  for (Entry& e : entries_) {
    std::string_view s;
    d.GetBytes(e.stored_len, &s);
    e.stored = s;
    e.ready = e.codec == static_cast<uint8_t>(StreamCodec::kRaw);
    if (e.ready) e.view = s;
  }
  if (buffers_.size() < entries_.size()) buffers_.resize(entries_.size());
  return true;
}

bool ChunkStreams::Get(size_t i, std::string_view* out) {
  Entry& e = entries_[i];
  if (!e.ready) {
    thread_local DCtxHolder dctx;
    std::string& buf = buffers_[i];
    buf.resize(e.raw_len);
    const size_t got =
        ZSTD_decompressDCtx(dctx.ctx, buf.data(), buf.size(), e.stored.data(), e.stored.size());
    if (ZSTD_isError(got) || got != e.raw_len) return false;
    e.view = std::string_view(buf.data(), buf.size());
    e.ready = true;
  }
  *out = e.view;
  return true;
}

bool DecompressChunk(std::string_view stored, uint64_t max_raw_bytes,
                     std::vector<std::string>* buffers, std::vector<std::string_view>* streams,
                     uint64_t* raw_bytes) {
  Decoder d(stored);
  uint8_t n;
  if (!d.GetByte(&n) || n == 0 || n > kMaxStreams) return false;
  struct Entry {
    uint8_t codec;
    uint64_t stored_len, raw_len;
  };
  Entry e[kMaxStreams];
  uint64_t total_stored = 0, total_raw = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!d.GetByte(&e[i].codec) || !d.GetVarint64(&e[i].stored_len) ||
        !d.GetVarint64(&e[i].raw_len)) {
      return false;
    }
    if (e[i].codec > static_cast<uint8_t>(StreamCodec::kZstd)) return false;
    if (e[i].codec == static_cast<uint8_t>(StreamCodec::kRaw) && e[i].stored_len != e[i].raw_len) {
      return false;
    }
    if (e[i].stored_len > stored.size() || e[i].raw_len > max_raw_bytes) return false;
    total_stored += e[i].stored_len;
    total_raw += e[i].raw_len;
  }
  if (total_stored != d.remaining() || total_raw > max_raw_bytes) return false;
  // Sized before any view into them is taken: views must not move.
  if (buffers->size() < n) buffers->resize(n);
  streams->clear();
  thread_local DCtxHolder dctx;
  for (size_t i = 0; i < n; ++i) {
    std::string_view s;
    d.GetBytes(e[i].stored_len, &s);
    if (e[i].codec == static_cast<uint8_t>(StreamCodec::kRaw)) {
      streams->push_back(s);
      continue;
    }
    std::string& buf = (*buffers)[i];
    buf.resize(e[i].raw_len);
    const size_t got = ZSTD_decompressDCtx(dctx.ctx, buf.data(), buf.size(), s.data(), s.size());
    if (ZSTD_isError(got) || got != e[i].raw_len) return false;
    streams->push_back(std::string_view(buf.data(), buf.size()));
  }
  *raw_bytes = total_raw;
  return true;
}

}  // namespace lode::storage::internal
