#include "index/segment_index_builder.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include <zstd.h>

#include "common/coding.h"
#include "common/crc32c.h"
#include "index/hash.h"
#include "index/internal/bloom.h"
#include "index/internal/index_writer.h"
#include "index/terms.h"
#include "index/tokenizer.h"

namespace lode::index {

std::string_view SegmentIndexBuilder::Arena::Copy(std::string_view s) {
  if (s.size() > left_) {
    const size_t n = std::max<size_t>(s.size(), size_t{1} << 20);
    chunks_.push_back(std::make_unique<char[]>(n));
    next_ = chunks_.back().get();
    left_ = n;
  }
  std::memcpy(next_, s.data(), s.size());
  std::string_view out(next_, s.size());
  next_ += s.size();
  left_ -= s.size();
  return out;
}

void SegmentIndexBuilder::TermTable::Add(std::string_view term, uint32_t field, uint32_t block,
                                         uint32_t rows) {
  auto it = ids.find(term);
  const bool inserted = it == ids.end();
  if (inserted) {
    it = ids.emplace(arena.Copy(term), static_cast<uint32_t>(total.size())).first;
  }
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
  for (const auto& [term, local] : local_) {
    if (!IsTailCandidate(term)) {
      tokens_.Add(term, field, num_blocks_, local.rows);
      continue;
    }
    const uint64_t h = Hash64(term);
    auto [it, inserted] = seen_.try_emplace(h, num_blocks_);
    if (!inserted && it->second != num_blocks_) it->second = kSeveralBlocks;
    id_terms_.push_back({ids_arena_.Copy(term), h, field, num_blocks_, local.rows});
  }
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
  absl::flat_hash_map<std::string_view, uint32_t, TermHash, TermEq> value_rows;
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
  // Ids: those seen in several blocks join the other terms (in block order, so their postings
  // stay sorted); the others go straight to their block's filter.
  for (const IdTerm& t : id_terms_) {
    if (seen_[t.hash] == kSeveralBlocks) {
      tokens_.Add(t.term, t.field, t.block, t.rows);
    } else {
      tail_hashes[t.block].push_back(t.hash);
      tail_prefixes[TailPrefixKey(t.term)].push_back({t.block, 0});
    }
  }
  std::vector<PostingEntry> posting;
  // Tokens: a number or id (IsTailCandidate) found in one block only goes to that block's filter
  // (whatever fields it is in: one probe per block keeps false positives at the filter's
  // rate); the other terms go to the dictionary. Ids are mostly unique and local in time: the
  // filter keeps them at ~1.5 bytes each, while words, however rare, keep exact postings.
  std::vector<std::vector<PostingEntry>> by_field(field_names_.size());
  for (const auto& [term, id] : tokens_.ids) {
    if (tokens_.posts[tokens_.head[id]].block == tokens_.posts[tokens_.tail[id]].block &&
        IsTailCandidate(term)) {
      const Post& p = tokens_.posts[tokens_.head[id]];
      tail_hashes[p.block].push_back(Hash64(term));
      tail_prefixes[TailPrefixKey(term)].push_back({p.block, 0});
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
    SortUniqueBlocks(&p);  // filled in hash order
    std::string bytes;
    EncodePosting(p, &bytes);
    entries.emplace_back(key, std::move(bytes));
  }
  std::sort(entries.begin(), entries.end());
  std::vector<std::string> filters(num_blocks_);
  for (uint32_t b = 0; b < num_blocks_; ++b) {
    filters[b].resize(internal::BloomBytesFor(tail_hashes[b].size()), '\0');
    for (uint64_t h : tail_hashes[b])
      internal::BloomInsert(h, filters[b].data(), filters[b].size());
  }
  internal::WriteIndexSection(entries, field_names_, filters, out);
  return true;
}

}  // namespace lode::index
