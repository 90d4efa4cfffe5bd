#include "index/segment_index.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include <zstd.h>

#include "common/coding.h"
#include "common/crc32c.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "index/internal/bloom.h"

namespace lode::index {

bool DecodePosting(std::string_view bytes, uint32_t num_blocks, std::vector<PostingEntry>* out) {
  out->clear();
  Decoder d(bytes);
  uint64_t n;
  if (!d.GetVarint64(&n) || n > num_blocks) return false;
  out->reserve(n);
  uint64_t block = 0;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t delta, rows;
    if (!d.GetVarint64(&delta) || !d.GetVarint64(&rows)) return false;
    block = i == 0 ? delta : block + delta + 1;
    if (block >= num_blocks || rows > UINT32_MAX) return false;
    out->push_back({static_cast<uint32_t>(block), static_cast<uint32_t>(rows)});
  }
  return d.done();
}

void EncodePosting(const std::vector<PostingEntry>& entries, std::string* out) {
  PutVarint64(out, entries.size());
  uint32_t prev = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    PutVarint64(out, i == 0 ? entries[i].block : entries[i].block - prev - 1);
    PutVarint64(out, entries[i].rows);
    prev = entries[i].block;
  }
}

uint32_t SegmentIndex::At(std::string_view table, size_t i) {
  return DecodeFixed32(table.data() + 4 * i);
}

void SortUniqueBlocks(std::vector<PostingEntry>* entries) {
  auto by_block = [](const PostingEntry& a, const PostingEntry& b) { return a.block < b.block; };
  auto same_block = [](const PostingEntry& a, const PostingEntry& b) { return a.block == b.block; };
  std::stable_sort(entries->begin(), entries->end(), by_block);
  entries->erase(std::unique(entries->begin(), entries->end(), same_block), entries->end());
}

absl::StatusOr<std::unique_ptr<SegmentIndex>> SegmentIndex::Open(std::string_view data,
                                                                 uint32_t num_blocks) {
  std::unique_ptr<SegmentIndex> ix(new SegmentIndex());
  ix->data_ = data;
  if (data.size() < kIndexHeaderSize) return ix->Corrupt("shorter than its header");
  const char* h = data.data() + data.size() - kIndexHeaderSize;
  if (std::memcmp(h, kIndexMagic, 4) != 0) return ix->Corrupt("bad magic");
  if (DecodeFixed32(h + 4) != kIndexFormatVersion) {
    return ix->Corrupt(StrCat("unknown version ", DecodeFixed32(h + 4)));
  }
  ix->num_keys_ = DecodeFixed64(h + 8);
  ix->num_chunks_ = DecodeFixed32(h + 16);
  ix->num_blocks_ = DecodeFixed32(h + 20);
  const uint64_t dict_len = DecodeFixed64(h + 24);
  const uint64_t first_keys_len = DecodeFixed64(h + 32);
  const uint64_t fields_len = DecodeFixed32(h + 40);
  const uint64_t bloom_len = DecodeFixed64(h + 44);
  ix->bloom_crc_ = DecodeFixed32(h + 52);
  const uint32_t crc = DecodeFixed32(h + 56);
  if (ix->num_blocks_ != num_blocks) return ix->Corrupt("block count differs from the segment's");
  const uint64_t n = ix->num_chunks_;
  const uint64_t tables = 4 * (n + 1) + 4 * n + 4 * n + 4 * (n + 1);
  const uint64_t bloom_offsets_len = 4ull * (ix->num_blocks_ + 1);
  const uint64_t body = data.size() - kIndexHeaderSize;
  // Each part must fit in what is left; checked one at a time so that nothing overflows.
  uint64_t left = body;
  for (uint64_t part : {dict_len, tables, first_keys_len, fields_len, bloom_len}) {
    if (part > left) return ix->Corrupt("section lengths do not add up");
    left -= part;
  }
  if (left != bloom_offsets_len) return ix->Corrupt("section lengths do not add up");
  const char* p = data.data();
  auto take = [&p](uint64_t len) {
    std::string_view v(p, len);
    p += len;
    return v;
  };
  ix->dict_ = take(dict_len);
  const char* checked = p;
  ix->chunk_offsets_ = take(4 * (n + 1));
  ix->chunk_raw_ = take(4 * n);
  ix->chunk_crcs_ = take(4 * n);
  ix->key_offsets_ = take(4 * (n + 1));
  ix->first_keys_ = take(first_keys_len);
  const std::string_view fields = take(fields_len);
  const size_t checked_len = p - checked;
  ix->bloom_ = take(bloom_len);
  ix->bloom_offsets_ = take(bloom_offsets_len);
  uint32_t c = Crc32c(std::string_view(h, kIndexHeaderSize - 4));
  c = Crc32cExtend(c, checked, checked_len);
  c = Crc32cExtend(c, ix->bloom_offsets_.data(), ix->bloom_offsets_.size());
  if (c != crc) return ix->Corrupt("header checksum mismatch");
  // Offsets must be non-decreasing and end at their section's end.
  auto offsets_ok = [](std::string_view table, size_t count, uint64_t end, uint32_t align) {
    uint32_t prev = 0;
    for (size_t i = 0; i < count; ++i) {
      const uint32_t o = At(table, i);
      if (o < prev || o > end || (o - prev) % align != 0) return false;
      prev = o;
    }
    return prev == end;
  };
  if (!offsets_ok(ix->chunk_offsets_, n + 1, dict_len, 1) ||
      !offsets_ok(ix->key_offsets_, n + 1, first_keys_len, 1) ||
      !offsets_ok(ix->bloom_offsets_, ix->num_blocks_ + 1, bloom_len,
                  internal::kBloomBucketBytes)) {
    return ix->Corrupt("bad offsets");
  }
  for (uint64_t i = 0; i < n; ++i) {
    if (At(ix->chunk_raw_, i) > (uint32_t{64} << 20)) return ix->Corrupt("chunk too large");
  }
  Decoder d(fields);
  uint64_t nfields;
  if (!d.GetVarint64(&nfields) || nfields == 0 || nfields > 65536) {
    return ix->Corrupt("bad field table");
  }
  for (uint64_t i = 0; i < nfields; ++i) {
    std::string_view name;
    if (!d.GetLengthPrefixed(&name)) return ix->Corrupt("bad field table");
    ix->text_fields_.emplace_back(name);
  }
  if (!d.done()) return ix->Corrupt("bad field table");
  return ix;
}

int SegmentIndex::FieldNumber(std::string_view name) const {
  for (size_t i = 0; i < text_fields_.size(); ++i) {
    if (text_fields_[i] == name) return static_cast<int>(i);
  }
  return -1;
}

absl::Status SegmentIndex::Corrupt(std::string_view what) const {
  return absl::DataLossError(StrCat("index: ", what));
}

std::string_view SegmentIndex::FirstKey(size_t chunk) const {
  const uint32_t b = At(key_offsets_, chunk);
  return first_keys_.substr(b, At(key_offsets_, chunk + 1) - b);
}

size_t SegmentIndex::ChunkFor(std::string_view key) const {
  size_t lo = 0, hi = num_chunks_;
  while (hi - lo > 1) {
    const size_t mid = (lo + hi) / 2;
    if (FirstKey(mid) <= key) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return lo;
}

bool SegmentIndex::DecodeChunk(
    size_t c, absl::FunctionRef<bool(std::string_view key, std::string_view posting)> fn,
    bool* stopped) const {
  const uint32_t b = At(chunk_offsets_, c);
  const std::string_view stored = dict_.substr(b, At(chunk_offsets_, c + 1) - b);
  if (Crc32c(stored) != At(chunk_crcs_, c)) return false;
  thread_local std::string raw;
  // One decompression context per thread: ZSTD_decompress() would make (and free) one per
  // chunk, which costs more than a small chunk's decompression.
  thread_local std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> dctx(ZSTD_createDCtx(),
                                                                       ZSTD_freeDCtx);
  raw.resize(At(chunk_raw_, c));
  const size_t got =
      ZSTD_decompressDCtx(dctx.get(), raw.data(), raw.size(), stored.data(), stored.size());
  if (ZSTD_isError(got) || got != raw.size()) return false;
  Decoder d(raw);
  std::string key(FirstKey(c));
  bool first = true;
  while (!d.done()) {
    uint64_t shared, len;
    std::string_view suffix, posting;
    if (!d.GetVarint64(&shared) || shared > key.size() || !d.GetVarint64(&len) ||
        !d.GetBytes(len, &suffix) || !d.GetLengthPrefixed(&posting)) {
      return false;
    }
    key.resize(shared);
    key.append(suffix);
    if (first && key != FirstKey(c)) return false;
    first = false;
    if (!fn(key, posting)) {
      *stopped = true;
      return true;
    }
  }
  return true;
}

absl::StatusOr<std::optional<std::vector<PostingEntry>>> SegmentIndex::Find(
    std::string_view key) const {
  std::optional<std::vector<PostingEntry>> result;
  if (num_chunks_ == 0) return result;
  const size_t c = ChunkFor(key);
  bool stopped = false;
  bool bad_posting = false;
  const bool ok = DecodeChunk(
      c,
      [&](std::string_view k, std::string_view posting) {
        if (k < key) return true;
        if (k == key) {
          result.emplace();
          bad_posting = !DecodePosting(posting, num_blocks_, &*result);
        }
        return false;
      },
      &stopped);
  if (!ok || bad_posting) return Corrupt(StrCat("dictionary chunk ", c, " does not decode"));
  return result;
}

absl::Status SegmentIndex::ScanPrefix(
    std::string_view prefix,
    absl::FunctionRef<bool(std::string_view key, const std::vector<PostingEntry>&)> fn) const {
  if (num_chunks_ == 0) return absl::OkStatus();
  std::vector<PostingEntry> entries;
  bool bad_posting = false;
  for (size_t c = ChunkFor(prefix); c < num_chunks_; ++c) {
    bool stopped = false;
    const bool ok = DecodeChunk(
        c,
        [&](std::string_view k, std::string_view posting) {
          if (k < prefix) return true;
          if (!k.starts_with(prefix)) return false;
          if (!DecodePosting(posting, num_blocks_, &entries)) {
            bad_posting = true;
            return false;
          }
          return fn(k, entries);
        },
        &stopped);
    if (!ok || bad_posting) return Corrupt(StrCat("dictionary chunk ", c, " does not decode"));
    if (stopped) break;
  }
  return absl::OkStatus();
}

absl::Status SegmentIndex::CheckFilters() const {
  int state = bloom_state_.load(std::memory_order_acquire);
  if (state == 0) {
    state = Crc32c(bloom_) == bloom_crc_ ? 1 : 2;
    bloom_state_.store(state, std::memory_order_release);
  }
  return state == 2 ? Corrupt("block filter checksum mismatch") : absl::OkStatus();
}

absl::StatusOr<std::string_view> SegmentIndex::BlockFilter(uint32_t block) const {
  RETURN_IF_ERROR(CheckFilters());
  if (block >= num_blocks_) return absl::InvalidArgumentError("no such block");
  const uint32_t b = At(bloom_offsets_, block);
  return bloom_.substr(b, At(bloom_offsets_, block + 1) - b);
}

absl::StatusOr<bool> SegmentIndex::TailMayContain(uint32_t block, uint64_t hash) const {
  RETURN_IF_ERROR(CheckFilters());
  if (block >= num_blocks_) return false;
  const uint32_t b = At(bloom_offsets_, block);
  return internal::BloomMayContain(hash, bloom_.substr(b, At(bloom_offsets_, block + 1) - b));
}

}  // namespace lode::index
