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
#include "index/internal/chunk_groups.h"

namespace lode::index {
namespace {

// A dictionary chunk decompresses to at most this much.
constexpr uint32_t kMaxChunkRaw = uint32_t{64} << 20;

}  // namespace

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
  const uint32_t version = DecodeFixed32(h + 4);
  if (version < 1 || version > kIndexFormatVersion) {
    return ix->Corrupt(StrCat("unknown version ", version));
  }
  ix->num_keys_ = DecodeFixed64(h + 8);
  ix->num_chunks_ = DecodeFixed32(h + 16);
  ix->num_blocks_ = DecodeFixed32(h + 20);
  const uint64_t dict_len = DecodeFixed64(h + 24);
  const uint64_t first_keys_len = DecodeFixed64(h + 32);
  const uint64_t meta_len = DecodeFixed32(h + 40);
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
  for (uint64_t part : {dict_len, tables, first_keys_len, meta_len, bloom_len}) {
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
  const std::string_view meta = take(meta_len);
  const size_t checked_len = p - checked;
  ix->bloom_ = take(bloom_len);
  ix->bloom_offsets_ = take(bloom_offsets_len);
  // Version 1 covers the chunk tables too, so opening reads them all; version 2 covers the meta
  // section, which holds a checksum for each group of chunk tables.
  uint32_t c = Crc32c(std::string_view(h, kIndexHeaderSize - 4));
  c = version == 1 ? Crc32cExtend(c, checked, checked_len) : Crc32cExtend(c, meta.data(), meta_len);
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
  if (!offsets_ok(ix->bloom_offsets_, ix->num_blocks_ + 1, bloom_len,
                  internal::kBloomBucketBytes)) {
    return ix->Corrupt("bad offsets");
  }
  // Version 1: every chunk's tables now, by the rules a version 2 group is checked by.
  if (version == 1 && !ix->TablesSound(0, n)) return ix->Corrupt("bad chunk tables");
  RETURN_IF_ERROR(ix->ParseMeta(meta, version));
  if (version >= 2 &&
      !offsets_ok(ix->group_key_offsets_, ix->num_groups_ + 1, ix->group_keys_.size(), 1)) {
    return ix->Corrupt("bad group key offsets");
  }
  return ix;
}

absl::Status SegmentIndex::ParseMeta(std::string_view meta, uint32_t version) {
  Decoder d(meta);
  uint64_t nfields;
  if (!d.GetVarint64(&nfields) || nfields == 0 || nfields > 65536) {
    return Corrupt("bad field table");
  }
  for (uint64_t i = 0; i < nfields; ++i) {
    std::string_view name;
    if (!d.GetLengthPrefixed(&name)) return Corrupt("bad field table");
    text_fields_.emplace_back(name);
  }
  if (version == 1) return d.done() ? absl::OkStatus() : Corrupt("bad field table");
  uint64_t per;
  if (!d.GetVarint64(&per) || per == 0 || per > UINT32_MAX) return Corrupt("bad group size");
  group_chunks_ = static_cast<uint32_t>(per);
  num_groups_ = static_cast<uint32_t>((uint64_t{num_chunks_} + per - 1) / per);
  std::string_view crcs, key_offsets;
  if (!d.GetBytes(4ull * num_groups_, &crcs) ||
      !d.GetBytes(4ull * (num_groups_ + 1), &key_offsets)) {
    return Corrupt("bad group table");
  }
  group_crcs_ = crcs;
  group_key_offsets_ = key_offsets;
  group_keys_ = meta.substr(meta.size() - d.remaining());
  group_state_ = std::make_unique<std::atomic<uint8_t>[]>(num_groups_);
  return absl::OkStatus();
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

std::string_view SegmentIndex::GroupKey(size_t group) const {
  const uint32_t b = At(group_key_offsets_, group);
  return group_keys_.substr(b, At(group_key_offsets_, group + 1) - b);
}

absl::StatusOr<size_t> SegmentIndex::ChunkFor(std::string_view key) const {
  // The last index in [lo, hi) whose key is <= key, or lo when none is.
  auto last_at_most = [&key](size_t lo, size_t hi, auto key_of) {
    while (hi - lo > 1) {
      const size_t mid = (lo + hi) / 2;
      if (key_of(mid) <= key) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return lo;
  };
  size_t lo = 0, hi = num_chunks_;
  if (group_chunks_ != 0) {
    const size_t g = last_at_most(0, num_groups_, [this](size_t i) { return GroupKey(i); });
    if (!GroupOk(g)) return Corrupt(StrCat("the tables of chunk group ", g, " are corrupt"));
    lo = g * group_chunks_;
    hi = std::min<size_t>(lo + group_chunks_, num_chunks_);
  }
  return last_at_most(lo, hi, [this](size_t i) { return FirstKey(i); });
}

bool SegmentIndex::GroupOk(size_t g) const {
  if (group_chunks_ == 0) return true;  // version 1: checked at open
  std::atomic<uint8_t>& state = group_state_[g];
  uint8_t s = state.load(std::memory_order_acquire);
  if (s == 0) {
    s = CheckGroup(g) ? 1 : 2;
    state.store(s, std::memory_order_release);
  }
  return s == 1;
}

bool SegmentIndex::CheckGroup(size_t g) const {
  const size_t first = g * size_t{group_chunks_};
  const size_t count = std::min<size_t>(group_chunks_, num_chunks_ - first);
  const internal::ChunkTables tables{chunk_offsets_, chunk_raw_, chunk_crcs_, key_offsets_,
                                     first_keys_};
  const std::optional<uint32_t> crc = internal::ChunkGroupCrc(tables, first, count);
  if (!crc || *crc != At(group_crcs_, g)) return false;
  // Its first key must be the one the group was picked by.
  return TablesSound(first, count) && FirstKey(first) == GroupKey(g);
}

bool SegmentIndex::TablesSound(size_t first, size_t count) const {
  // Offsets in order and within their sections (the last chunk's end at the section's end), and
  // decompressed sizes bounded.
  const bool last = first + count == num_chunks_;
  auto in_order = [&](std::string_view table, uint64_t section_len) {
    uint32_t prev = At(table, first);
    for (size_t i = first + 1; i <= first + count; ++i) {
      const uint32_t o = At(table, i);
      if (o < prev) return false;
      prev = o;
    }
    return prev <= section_len && (!last || prev == section_len);
  };
  if (!in_order(chunk_offsets_, dict_.size()) || !in_order(key_offsets_, first_keys_.size())) {
    return false;
  }
  for (size_t i = first; i < first + count; ++i) {
    if (At(chunk_raw_, i) > kMaxChunkRaw) return false;
  }
  return true;
}

bool SegmentIndex::DecodeChunk(
    size_t c, absl::FunctionRef<bool(std::string_view key, std::string_view posting)> fn,
    bool* stopped) const {
  if (group_chunks_ != 0 && !GroupOk(c / group_chunks_)) return false;
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
  ASSIGN_OR_RETURN(const size_t c, ChunkFor(key));
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
  ASSIGN_OR_RETURN(const size_t start, ChunkFor(prefix));
  for (size_t c = start; c < num_chunks_; ++c) {
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
