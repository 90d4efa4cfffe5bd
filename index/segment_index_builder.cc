#include "index/segment_index_builder.h"

#include <algorithm>
#include <utility>

#include <zstd.h>

#include "common/coding.h"
#include "common/crc32c.h"
#include "index/hash.h"
#include "index/internal/bloom.h"
#include "index/terms.h"
#include "index/tokenizer.h"

namespace lode::index {
namespace {

// Ids and numbers: at least kIdDigits digits. Words, short codes (`e42`, `7f3a9c`) are not.
constexpr int kIdDigits = 4;
bool IsIdLike(std::string_view term) {
  int digits = 0;
  for (char c : term) digits += c >= '0' && c <= '9';
  return digits >= kIdDigits;
}

}  // namespace

void SegmentIndexBuilder::TermTable::Add(std::string_view term, uint32_t field, uint32_t block,
                                         uint32_t rows) {
  auto [it, inserted] = ids.try_emplace(term, static_cast<uint32_t>(total.size()));
  const uint32_t id = it->second;
  const uint32_t p = static_cast<uint32_t>(posts.size());
  posts.push_back({field, block, rows, UINT32_MAX});
  if (inserted) {
    total.push_back(rows);
    head.push_back(p);
    tail.push_back(p);
  } else {
    total[id] += rows;
    posts[tail[id]].next = p;
    tail[id] = p;
  }
}

SegmentIndexBuilder::SegmentIndexBuilder(const RecordBatch& batch) : batch_(batch) {
  field_names_.emplace_back(kMessageField);
  const auto& cols = batch.columns();
  column_field_.resize(cols.size(), UINT32_MAX);
  for (size_t i = 0; i < cols.size(); ++i) {
    if (cols[i].type != FieldType::kString) continue;
    column_field_[i] = static_cast<uint32_t>(field_names_.size());
    field_names_.push_back(cols[i].name);
  }
}

void SegmentIndexBuilder::IndexText(uint32_t field, std::string_view folded, const uint64_t* ends,
                                    uint64_t base, const uint32_t* rows, uint32_t first_row,
                                    size_t n) {
  local_.clear();
  uint64_t begin = 0;
  for (size_t k = 0; k < n; ++k) {
    const uint64_t end = ends[k] - base;
    const uint32_t row = rows != nullptr ? rows[k] : first_row + static_cast<uint32_t>(k);
    TokenizeFolded(folded.substr(begin, end - begin), [&](std::string_view term) {
      auto [it, inserted] = local_.try_emplace(term, Local{row, 1});
      if (!inserted && it->second.last_row != row) {
        it->second.last_row = row;
        ++it->second.rows;
      }
    });
    begin = end;
  }
  for (const auto& [term, local] : local_) tokens_.Add(term, field, num_blocks_, local.rows);
}

void SegmentIndexBuilder::AddBlock(uint32_t lo, uint32_t hi) {
  // The message.
  {
    const StringData& m = batch_.messages();
    const uint64_t base = lo == 0 ? 0 : m.ends()[lo - 1];
    const uint64_t end = hi == 0 ? 0 : m.ends()[hi - 1];
    folded_.resize(end - base);
    const char* src = m.bytes().data() + base;
    for (uint64_t i = 0; i < end - base; ++i) folded_[i] = FoldAscii(src[i]);
    IndexText(0, folded_, m.ends().data() + lo, base, nullptr, lo, hi - lo);
  }
  const auto& cols = batch_.columns();
  absl::flat_hash_map<std::string_view, uint32_t, StringHash, StringEq> value_rows;
  for (size_t i = 0; i < cols.size(); ++i) {
    const Column& c = cols[i];
    const size_t a = std::lower_bound(c.rows.begin(), c.rows.end(), lo) - c.rows.begin();
    const size_t b = std::lower_bound(c.rows.begin(), c.rows.end(), hi) - c.rows.begin();
    if (a == b) continue;
    auto& presence = presence_[c.name];
    if (!presence.empty() && presence.back().block == num_blocks_) {
      presence.back().rows += static_cast<uint32_t>(b - a);
    } else {
      presence.push_back({num_blocks_, static_cast<uint32_t>(b - a)});
    }
    if (c.type != FieldType::kString) continue;
    const uint32_t field = column_field_[i];
    const StringData& s = c.strings;
    const uint64_t base = a == 0 ? 0 : s.ends()[a - 1];
    const uint64_t end = s.ends()[b - 1];
    folded_.resize(end - base);
    const char* src = s.bytes().data() + base;
    for (uint64_t k = 0; k < end - base; ++k) folded_[k] = FoldAscii(src[k]);
    IndexText(field, folded_, s.ends().data() + a, base, c.rows.data() + a, 0, b - a);
    value_rows.clear();
    for (size_t k = a; k < b; ++k) {
      const std::string_view v = s.Get(k);
      if (v.size() <= kMaxValueBytes) ++value_rows[v];
    }
    std::string key;
    for (const auto& [v, rows] : value_rows) {
      key = ValueKey(static_cast<uint16_t>(field), v);
      values_.Add(key, field, num_blocks_, rows);
    }
  }
  ++num_blocks_;
}

bool SegmentIndexBuilder::Finish(std::string* out) {
  // Field numbers are two bytes in the keys.
  if (field_names_.size() > 65536) return false;
  std::vector<std::pair<std::string, std::string>> entries;
  std::vector<std::vector<uint64_t>> tail_hashes(num_blocks_);
  absl::flat_hash_map<std::string, std::vector<PostingEntry>, StringHash, StringEq> tail_prefixes;
  std::vector<PostingEntry> posting;
  // Tokens: a number or id (IsIdLike) found in one block only goes to that block's filter
  // (whatever fields it is in: one probe per block keeps false positives at the filter's
  // rate); the other terms go to the dictionary. Ids are mostly unique and local in time: the
  // filter keeps them at ~1.5 bytes each, while words, however rare, keep exact postings.
  std::vector<std::vector<PostingEntry>> by_field(field_names_.size());
  for (const auto& [term, id] : tokens_.ids) {
    if (tokens_.posts[tokens_.head[id]].block == tokens_.posts[tokens_.tail[id]].block &&
        IsIdLike(term)) {
      const Post& p = tokens_.posts[tokens_.head[id]];
      tail_hashes[p.block].push_back(Hash64(term));
      auto& tp = tail_prefixes[TailPrefixKey(term)];
      if (tp.empty() || tp.back().block != p.block) tp.push_back({p.block, 0});
      continue;
    }
    std::vector<uint32_t> fields;
    for (uint32_t p = tokens_.head[id]; p != UINT32_MAX; p = tokens_.posts[p].next) {
      const Post& post = tokens_.posts[p];
      if (by_field[post.field].empty()) fields.push_back(post.field);
      by_field[post.field].push_back({post.block, post.rows});
    }
    for (uint32_t f : fields) {
      std::string bytes;
      EncodePosting(by_field[f], &bytes);
      entries.emplace_back(TokenKey(term, static_cast<uint16_t>(f)), std::move(bytes));
      by_field[f].clear();
    }
  }
  // Values seen in one block only are left out: their tokens find them.
  for (const auto& [key, id] : values_.ids) {
    if (values_.posts[values_.head[id]].block == values_.posts[values_.tail[id]].block) continue;
    posting.clear();
    for (uint32_t p = values_.head[id]; p != UINT32_MAX; p = values_.posts[p].next) {
      posting.push_back({values_.posts[p].block, values_.posts[p].rows});
    }
    std::string bytes;
    EncodePosting(posting, &bytes);
    entries.emplace_back(key, std::move(bytes));
  }
  for (const auto& [name, p] : presence_) {
    std::string bytes;
    EncodePosting(p, &bytes);
    entries.emplace_back(PresenceKey(name), std::move(bytes));
  }
  for (auto& [key, p] : tail_prefixes) {
    std::string bytes;
    EncodePosting(p, &bytes);
    entries.emplace_back(key, std::move(bytes));
  }
  std::sort(entries.begin(), entries.end());

  const size_t start = out->size();
  // Dictionary: chunks of prefix-compressed keys and their postings, each zstd-compressed.
  std::vector<uint32_t> chunk_offsets, chunk_raw, chunk_crcs, key_offsets;
  std::string first_keys, raw;
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 3);
  auto flush = [&] {
    if (raw.empty()) return;
    chunk_offsets.push_back(static_cast<uint32_t>(out->size() - start));
    chunk_raw.push_back(static_cast<uint32_t>(raw.size()));
    const size_t at = out->size();
    out->resize(at + ZSTD_compressBound(raw.size()));
    const size_t n =
        ZSTD_compress2(cctx, out->data() + at, out->size() - at, raw.data(), raw.size());
    out->resize(at + n);  // cannot fail: the bound was reserved
    chunk_crcs.push_back(Crc32c(std::string_view(out->data() + at, n)));
    raw.clear();
  };
  size_t in_chunk = 0;
  std::string_view prev;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (in_chunk == kChunkKeys || raw.size() >= kChunkBytes) {
      flush();
      in_chunk = 0;
    }
    const std::string& key = entries[i].first;
    size_t shared = 0;
    if (in_chunk == 0) {
      key_offsets.push_back(static_cast<uint32_t>(first_keys.size()));
      first_keys.append(key);
    } else {
      while (shared < prev.size() && shared < key.size() && prev[shared] == key[shared]) ++shared;
    }
    PutVarint64(&raw, shared);
    PutVarint64(&raw, key.size() - shared);
    raw.append(key, shared);
    PutLengthPrefixed(&raw, entries[i].second);
    prev = key;
    ++in_chunk;
  }
  flush();
  ZSTD_freeCCtx(cctx);
  const uint64_t dict_len = out->size() - start;
  const uint32_t num_chunks = static_cast<uint32_t>(chunk_offsets.size());
  chunk_offsets.push_back(static_cast<uint32_t>(dict_len));
  key_offsets.push_back(static_cast<uint32_t>(first_keys.size()));
  const size_t checked_at = out->size();
  for (uint32_t o : chunk_offsets) PutFixed32(out, o);
  for (uint32_t r : chunk_raw) PutFixed32(out, r);
  for (uint32_t c : chunk_crcs) PutFixed32(out, c);
  for (uint32_t o : key_offsets) PutFixed32(out, o);
  out->append(first_keys);
  const size_t fields_at = out->size();
  PutVarint64(out, field_names_.size());
  for (const std::string& f : field_names_) PutLengthPrefixed(out, f);
  const size_t fields_len = out->size() - fields_at;
  const size_t checked_len = out->size() - checked_at;
  // Block filters.
  const size_t bloom_start = out->size();
  std::vector<uint32_t> bloom_offsets;
  for (uint32_t b = 0; b < num_blocks_; ++b) {
    bloom_offsets.push_back(static_cast<uint32_t>(out->size() - bloom_start));
    const size_t bytes = internal::BloomBytesFor(tail_hashes[b].size());
    const size_t at = out->size();
    out->resize(at + bytes, '\0');
    for (uint64_t h : tail_hashes[b]) internal::BloomInsert(h, out->data() + at, bytes);
  }
  const uint64_t bloom_len = out->size() - bloom_start;
  bloom_offsets.push_back(static_cast<uint32_t>(bloom_len));
  const uint32_t bloom_crc = Crc32c(std::string_view(out->data() + bloom_start, bloom_len));
  const size_t bloom_offsets_at = out->size();
  for (uint32_t o : bloom_offsets) PutFixed32(out, o);
  // Header.
  const size_t h = out->size();
  out->append(kIndexMagic, 4);
  PutFixed32(out, kIndexFormatVersion);
  PutFixed64(out, entries.size());
  PutFixed32(out, num_chunks);
  PutFixed32(out, num_blocks_);
  PutFixed64(out, dict_len);
  PutFixed64(out, first_keys.size());
  PutFixed32(out, static_cast<uint32_t>(fields_len));
  PutFixed64(out, bloom_len);
  PutFixed32(out, bloom_crc);
  uint32_t crc = Crc32c(std::string_view(out->data() + h, kIndexHeaderSize - 4));
  crc = Crc32cExtend(crc, out->data() + checked_at, checked_len);
  crc = Crc32cExtend(crc, out->data() + bloom_offsets_at, 4 * bloom_offsets.size());
  PutFixed32(out, crc);
  return true;
}

}  // namespace lode::index
