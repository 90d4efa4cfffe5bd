#include "index/internal/index_writer.h"

#include <algorithm>
#include <string_view>

#include <zstd.h>

#include "common/coding.h"
#include "common/crc32c.h"
#include "index/internal/chunk_groups.h"
#include "index/segment_index.h"

namespace lode::index::internal {

std::optional<uint32_t> ChunkGroupCrc(const ChunkTables& t, size_t first, size_t count) {
  const size_t end = first + count;
  if (t.chunk_offsets.size() < 4 * (end + 1) || t.key_offsets.size() < 4 * (end + 1) ||
      t.chunk_raw.size() < 4 * end || t.chunk_crcs.size() < 4 * end) {
    return std::nullopt;
  }
  const uint32_t kb = DecodeFixed32(t.key_offsets.data() + 4 * first);
  const uint32_t ke = DecodeFixed32(t.key_offsets.data() + 4 * end);
  if (kb > ke || ke > t.first_keys.size()) return std::nullopt;
  uint32_t crc = Crc32c(t.chunk_offsets.substr(4 * first, 4 * (count + 1)));
  crc = Crc32cExtend(crc, t.chunk_raw.data() + 4 * first, 4 * count);
  crc = Crc32cExtend(crc, t.chunk_crcs.data() + 4 * first, 4 * count);
  crc = Crc32cExtend(crc, t.key_offsets.data() + 4 * first, 4 * (count + 1));
  return Crc32cExtend(crc, t.first_keys.data() + kb, ke - kb);
}

void WriteIndexSectionViews(const std::vector<std::pair<std::string, std::string>>& entries,
                            const std::vector<std::string>& field_names,
                            const std::vector<std::string_view>& filters, std::string* out,
                            const IndexWriteOptions& options) {
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
  const size_t tables_len = out->size() - checked_at;
  // Meta: the field table, and in version 2 the chunk groups.
  const size_t meta_at = out->size();
  PutVarint64(out, field_names.size());
  for (const std::string& f : field_names) PutLengthPrefixed(out, f);
  if (options.version >= 2) {
    const size_t per = std::max<uint32_t>(options.group_chunks, 1);
    PutVarint64(out, per);
    const size_t groups = (num_chunks + per - 1) / per;
    // The tables just written, read back from `out` as a reader sees them.
    const std::string_view t(out->data() + checked_at, tables_len);
    const size_t n = num_chunks;
    const ChunkTables tables{t.substr(0, 4 * (n + 1)), t.substr(4 * (n + 1), 4 * n),
                             t.substr(8 * n + 4, 4 * n), t.substr(12 * n + 4, 4 * (n + 1)),
                             t.substr(16 * n + 8)};
    std::vector<uint32_t> crcs;
    std::string group_keys;
    std::vector<uint32_t> group_key_offsets;
    for (size_t g = 0; g < groups; ++g) {
      const size_t first = g * per;
      crcs.push_back(*ChunkGroupCrc(tables, first, std::min(per, n - first)));
      group_key_offsets.push_back(static_cast<uint32_t>(group_keys.size()));
      const uint32_t kb = key_offsets[first];
      group_keys.append(first_keys, kb, key_offsets[first + 1] - kb);
    }
    group_key_offsets.push_back(static_cast<uint32_t>(group_keys.size()));
    for (uint32_t c : crcs) PutFixed32(out, c);
    for (uint32_t o : group_key_offsets) PutFixed32(out, o);
    out->append(group_keys);
  }
  const size_t meta_len = out->size() - meta_at;
  const size_t checked_len = out->size() - checked_at;
  // Block filters.
  const size_t bloom_start = out->size();
  std::vector<uint32_t> bloom_offsets;
  for (const std::string_view f : filters) {
    bloom_offsets.push_back(static_cast<uint32_t>(out->size() - bloom_start));
    out->append(f);
  }
  const uint64_t bloom_len = out->size() - bloom_start;
  bloom_offsets.push_back(static_cast<uint32_t>(bloom_len));
  const uint32_t bloom_crc = Crc32c(std::string_view(out->data() + bloom_start, bloom_len));
  const size_t bloom_offsets_at = out->size();
  for (uint32_t o : bloom_offsets) PutFixed32(out, o);
  // Header.
  const size_t h = out->size();
  out->append(kIndexMagic, 4);
  PutFixed32(out, options.version);
  PutFixed64(out, entries.size());
  PutFixed32(out, num_chunks);
  PutFixed32(out, static_cast<uint32_t>(filters.size()));
  PutFixed64(out, dict_len);
  PutFixed64(out, first_keys.size());
  PutFixed32(out, static_cast<uint32_t>(meta_len));
  PutFixed64(out, bloom_len);
  PutFixed32(out, bloom_crc);
  uint32_t crc = Crc32c(std::string_view(out->data() + h, kIndexHeaderSize - 4));
  if (options.version >= 2) {
    crc = Crc32cExtend(crc, out->data() + meta_at, meta_len);
  } else {
    crc = Crc32cExtend(crc, out->data() + checked_at, checked_len);
  }
  crc = Crc32cExtend(crc, out->data() + bloom_offsets_at, 4 * bloom_offsets.size());
  PutFixed32(out, crc);
}

}  // namespace lode::index::internal
