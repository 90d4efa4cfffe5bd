#include "index/segment_index_builder.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "index/hash.h"
#include "index/internal/bloom.h"
#include "index/internal/index_writer.h"
#include "index/internal/term_hash.h"
#include "index/terms.h"
#include "index/tokenizer.h"

namespace lode::index {
namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

// The `x` key of a tail term as a sortable number: its bytes (up to 3, zero-padded) above
// their count.
static_assert(kTailPrefixBytes == 3);
uint32_t PrefixCode(std::string_view term) {
  const size_t n = std::min(term.size(), kTailPrefixBytes);
  uint32_t c = 0;
  for (size_t i = 0; i < kTailPrefixBytes; ++i) {
    c = (c << 8) | (i < n ? static_cast<unsigned char>(term[i]) : 0u);
  }
  return (c << 8) | static_cast<uint32_t>(n);
}

std::string KeyOfPrefixCode(uint32_t code) {
  std::string p;
  for (uint32_t i = 0; i < (code & 0xff); ++i) p.push_back(static_cast<char>(code >> (24 - 8 * i)));
  return TailPrefixKey(p);
}

// Appends the distinct values of `codes` (none 0) to `out`, in no particular order. Most
// blocks have many tail terms but few distinct `x` keys, so a small set beats sorting them all.
void AppendDistinct(const std::vector<uint32_t>& codes, std::vector<uint32_t>* out,
                    std::vector<uint32_t>* table) {
  size_t cap = 1024;
  table->assign(cap, 0);
  size_t used = 0;
  for (uint32_t c : codes) {
    size_t i = HashMix(c, 0x9E3779B97F4A7C15ull) & (cap - 1);
    while ((*table)[i] != 0 && (*table)[i] != c) i = (i + 1) & (cap - 1);
    if ((*table)[i] == c) continue;
    (*table)[i] = c;
    out->push_back(c);
    if (++used * 2 > cap) {
      cap *= 2;
      table->assign(cap, 0);
      for (size_t k = out->size() - used; k < out->size(); ++k) {
        size_t j = HashMix((*out)[k], 0x9E3779B97F4A7C15ull) & (cap - 1);
        while ((*table)[j] != 0) j = (j + 1) & (cap - 1);
        (*table)[j] = (*out)[k];
      }
    }
  }
}

// Calls fn(begin, end, several) for each group of items with one hash in `buckets`, with the
// group's items in the order they were added (block order); `several`: the group spans several
// blocks. Most hashes occur once: a small table per bucket finds the groups without sorting.
// Empties the buckets.
template <typename T, typename Fn>
void ForEachHashGroup(std::vector<std::vector<T>>* buckets, Fn fn) {
  std::vector<uint32_t> table, next, last;
  std::vector<T> group;
  for (std::vector<T>& v : *buckets) {
    const uint32_t n = static_cast<uint32_t>(v.size());
    size_t cap = 16;
    while (cap < 2 * size_t{n}) cap *= 2;
    table.assign(cap, UINT32_MAX);
    next.assign(n, UINT32_MAX);  // the next item of the group, for the group's first item
    last.assign(n, UINT32_MAX);  // the group's last item so far, for its first item
    for (uint32_t i = 0; i < n; ++i) {
      size_t s = v[i].hash & (cap - 1);  // the top bits are the bucket's
      while (table[s] != UINT32_MAX && v[table[s]].hash != v[i].hash) s = (s + 1) & (cap - 1);
      const uint32_t head = table[s];
      if (head == UINT32_MAX) {
        table[s] = i;
        last[i] = i;
      } else {
        next[last[head]] = i;
        last[head] = i;
      }
    }
    for (uint32_t i = 0; i < n; ++i) {
      if (last[i] == UINT32_MAX) continue;  // not the first of its group
      if (last[i] == i) {
        fn(&v[i], &v[i] + 1, false);
        continue;
      }
      group.clear();
      bool several = false;
      for (uint32_t k = i; k != UINT32_MAX; k = next[k]) {
        several |= v[k].block != v[i].block;
        group.push_back(v[k]);
      }
      fn(group.data(), group.data() + group.size(), several);
    }
    std::vector<T>().swap(v);
  }
}

}  // namespace

void SegmentIndexBuilder::Arena::NewChunk(size_t at_least) {
  const size_t n = std::max<size_t>(at_least, size_t{1} << 20);
  chunks_.push_back(std::unique_ptr<char[]>(new char[n]));  // not zeroed
  next_ = chunks_.back().get();
  left_ = n;
}

SegmentIndexBuilder::SegmentIndexBuilder(const RecordBatch& batch)
    : batch_(batch), id_buckets_(kHashBuckets), value_buckets_(kHashBuckets) {
  pending_.reserve(kPendingTerms);
  field_names_.emplace_back(kMessageField);
  const auto& cols = batch.columns();
  column_field_.resize(cols.size(), UINT32_MAX);
  for (size_t i = 0; i < cols.size(); ++i) {
    if (cols[i].type != FieldType::kString) continue;
    column_field_[i] = static_cast<uint32_t>(field_names_.size());
    field_names_.push_back(cols[i].name);
  }
}

void SegmentIndexBuilder::CountTerms(std::string_view text, uint32_t unit, uint32_t rows) {
  TokenizeFolded(text, [&](std::string_view term) {
    const uint64_t h = Hash64(term);
    local_.Prefetch(h);
    pending_.push_back({term, h, unit, rows});
    if (pending_.size() == kPendingTerms) DrainPending();
  });
}

void SegmentIndexBuilder::DrainPending() {
  for (const PendingTerm& p : pending_) {
    auto [e, inserted] = local_.Insert(p.term, p.hash);
    if (inserted) {
      e->value = {p.unit, p.rows};
    } else if (e->value.last_unit != p.unit) {
      e->value.last_unit = p.unit;
      e->value.rows += p.rows;
    }
  }
  pending_.clear();
}

void SegmentIndexBuilder::FlushLocal(uint32_t field) {
  DrainPending();
  const uint32_t block = num_blocks_;
  for (const auto& t : local_.entries()) {
    if (IsTailCandidate(t.key)) {
      IdTerm& id = id_buckets_[BucketOf(t.hash)].emplace_back();
      id.term = ids_arena_.Copy(t.key);
      id.hash = t.hash;
      id.field = field;
      id.block = block;
      id.rows = t.value.rows;
      id.prefix = PrefixCode(t.key);
      continue;
    }
    auto [w, inserted] = words_.Insert(t.key, t.hash);
    const uint32_t p = static_cast<uint32_t>(posts_.size());
    posts_.push_back({field, block, t.value.rows, UINT32_MAX});
    if (inserted) {
      w->key = words_arena_.Copy(t.key);
      w->value = {p, p};
    } else {
      posts_[w->value.tail].next = p;
      w->value.tail = p;
    }
  }
  local_.Clear();
}

void SegmentIndexBuilder::AddBlock(uint32_t lo, uint32_t hi) {
  // The message: one unit per row (messages rarely repeat).
  {
    const StringData& m = batch_.messages();
    const uint64_t base = lo == 0 ? 0 : m.ends()[lo - 1];
    const uint64_t end = hi == 0 ? 0 : m.ends()[hi - 1];
    folded_.resize(end - base);
    FoldAsciiInto(std::string_view(m.bytes().data() + base, end - base), folded_.data());
    uint64_t begin = 0;
    for (uint32_t r = lo; r < hi; ++r) {
      const uint64_t e = m.ends()[r] - base;
      CountTerms(std::string_view(folded_.data() + begin, e - begin), r, 1);
      begin = e;
    }
    FlushLocal(0);
  }
  const auto& cols = batch_.columns();
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
    // Field values repeat a lot (levels, hosts, paths): each distinct value is tokenized once,
    // as one unit with its row count (a row has at most one value per field).
    block_values_.Clear();
    size_t bytes = 0;
    uint64_t hashes[kPendingTerms];
    for (size_t k0 = a; k0 < b; k0 += kPendingTerms) {
      const size_t k1 = std::min(b, k0 + kPendingTerms);
      for (size_t k = k0; k < k1; ++k) {
        hashes[k - k0] = Hash64(c.strings.Get(k));
        block_values_.Prefetch(hashes[k - k0]);
      }
      for (size_t k = k0; k < k1; ++k) {
        const std::string_view v = c.strings.Get(k);
        auto [e, inserted] = block_values_.Insert(v, hashes[k - k0]);
        if (inserted) bytes += v.size();
        ++e->value;
      }
    }
    // One buffer for all folded values: local_ keeps views into it until FlushLocal.
    folded_.resize(bytes);
    char* f = folded_.data();
    uint32_t unit = 0;
    for (const auto& v : block_values_.entries()) {
      FoldAsciiInto(v.key, f);
      CountTerms(std::string_view(f, v.key.size()), unit++, v.value);
      f += v.key.size();
      if (v.key.size() <= kMaxValueBytes) {
        const uint64_t h = HashMix(v.hash ^ field, 0x9E3779B97F4A7C15ull);
        value_buckets_[BucketOf(h)].push_back({v.key, h, field, num_blocks_, v.value});
      }
    }
    FlushLocal(field);
  }
  ++num_blocks_;
}

void SegmentIndexBuilder::FinishWords(Entries* entries) {
  std::vector<std::vector<PostingEntry>> by_field(field_names_.size());
  std::vector<uint32_t> fields;
  for (const auto& w : words_.entries()) {
    fields.clear();
    for (uint32_t p = w.value.head; p != UINT32_MAX; p = posts_[p].next) {
      const Post& post = posts_[p];
      if (by_field[post.field].empty()) fields.push_back(post.field);
      by_field[post.field].push_back({post.block, post.rows});
    }
    for (uint32_t f : fields) {
      std::string bytes;
      EncodePosting(by_field[f], &bytes);
      entries->emplace_back(TokenKey(w.key, static_cast<uint16_t>(f)), std::move(bytes));
      by_field[f].clear();
    }
  }
}

void SegmentIndexBuilder::FinishIds(Entries* entries,
                                    std::vector<std::vector<uint64_t>>* tail_hashes,
                                    std::vector<std::vector<uint32_t>>* prefixes) {
  // A number or id found in one block only goes to that block's filter (whatever fields it is
  // in: one probe per block keeps false positives at the filter's rate); one found in several
  // blocks goes to the dictionary. Ids are mostly unique and local in time: the filter keeps
  // them at ~1.5 bytes each, while words, however rare, keep exact postings.
  auto to_filter = [&](const IdTerm& t) {
    (*tail_hashes)[t.block].push_back(t.hash);
    (*prefixes)[t.block].push_back(t.prefix);
  };
  std::vector<std::vector<PostingEntry>> by_field(field_names_.size());
  std::vector<uint32_t> fields;
  ForEachHashGroup(&id_buckets_, [&](IdTerm* begin, IdTerm* end, bool several) {
    if (!several) {
      for (const IdTerm* t = begin; t < end; ++t) to_filter(*t);
      return;
    }
    // Different terms with one hash are told apart here.
    const bool one_term = std::all_of(
        begin + 1, end, [&](const IdTerm& t) { return internal::SameBytes(t.term, begin->term); });
    if (!one_term) {
      std::sort(begin, end, [](const IdTerm& a, const IdTerm& b) {
        if (a.term != b.term) return a.term < b.term;
        return a.block != b.block ? a.block < b.block : a.field < b.field;
      });
    }
    for (const IdTerm* g = begin; g < end;) {
      // One term: the whole group, in several blocks.
      const IdTerm* h = one_term ? end : g + 1;
      bool blocks = one_term;
      for (; h < end && internal::SameBytes(h->term, g->term); ++h) blocks |= h->block != g->block;
      if (!blocks) {
        to_filter(*g);
        g = h;
        continue;
      }
      fields.clear();
      for (const IdTerm* t = g; t < h; ++t) {
        if (by_field[t->field].empty()) fields.push_back(t->field);
        by_field[t->field].push_back({t->block, t->rows});
      }
      for (uint32_t f : fields) {
        std::string bytes;
        EncodePosting(by_field[f], &bytes);
        entries->emplace_back(TokenKey(g->term, static_cast<uint16_t>(f)), std::move(bytes));
        by_field[f].clear();
      }
      g = h;
    }
  });
}

void SegmentIndexBuilder::FinishValues(Entries* entries) {
  // Values seen in one block only are left out: their tokens find them.
  std::vector<PostingEntry> posting;
  ForEachHashGroup(&value_buckets_, [&](ValueTerm* begin, ValueTerm* end, bool several) {
    if (!several) return;
    auto same = [](const ValueTerm& a, const ValueTerm& b) {
      return a.field == b.field && internal::SameBytes(a.value, b.value);
    };
    if (!std::all_of(begin + 1, end, [&](const ValueTerm& v) { return same(v, *begin); })) {
      std::sort(begin, end, [](const ValueTerm& a, const ValueTerm& b) {
        if (a.field != b.field) return a.field < b.field;
        if (a.value != b.value) return a.value < b.value;
        return a.block < b.block;
      });
    }
    for (const ValueTerm* g = begin; g < end;) {
      const ValueTerm* h = g + 1;
      bool blocks = false;
      for (; h < end && same(*h, *g); ++h) blocks |= h->block != g->block;
      if (blocks) {
        posting.clear();
        for (const ValueTerm* v = g; v < h; ++v) posting.push_back({v->block, v->rows});
        std::string bytes;
        EncodePosting(posting, &bytes);
        entries->emplace_back(ValueKey(static_cast<uint16_t>(g->field), g->value),
                              std::move(bytes));
      }
      g = h;
    }
  });
}

bool SegmentIndexBuilder::Finish(std::string* out, const IndexWriteOptions& options) {
  // Field numbers are two bytes in the keys.
  if (field_names_.size() > 65536) return false;
  Entries entries;
  std::vector<std::vector<uint64_t>> tail_hashes(num_blocks_);
  std::vector<std::vector<uint32_t>> prefixes(num_blocks_);
  FinishWords(&entries);
  FinishIds(&entries, &tail_hashes, &prefixes);
  FinishValues(&entries);
  for (const auto& [name, p] : presence_) {
    std::string bytes;
    EncodePosting(p, &bytes);
    entries.emplace_back(PresenceKey(name), std::move(bytes));
  }
  // `x` keys: the blocks of each tail prefix, ascending and unique.
  std::vector<uint64_t> prefix_blocks;
  std::vector<uint32_t> distinct, table;
  for (uint32_t b = 0; b < num_blocks_; ++b) {
    distinct.clear();
    AppendDistinct(prefixes[b], &distinct, &table);
    for (uint32_t code : distinct) prefix_blocks.push_back(static_cast<uint64_t>(code) << 32 | b);
  }
  std::sort(prefix_blocks.begin(), prefix_blocks.end());
  std::vector<PostingEntry> posting;
  for (size_t i = 0; i < prefix_blocks.size();) {
    const uint32_t code = static_cast<uint32_t>(prefix_blocks[i] >> 32);
    posting.clear();
    for (; i < prefix_blocks.size() && prefix_blocks[i] >> 32 == code; ++i) {
      posting.push_back({static_cast<uint32_t>(prefix_blocks[i]), 0});
    }
    std::string bytes;
    EncodePosting(posting, &bytes);
    entries.emplace_back(KeyOfPrefixCode(code), std::move(bytes));
  }
  // Keys are unique: sorting them alone orders the entries (and moves less than sorting the
  // pairs); their first 8 bytes as a number decide most comparisons.
  struct SortKey {
    uint64_t head;
    std::string_view key;
    uint32_t index;
  };
  std::vector<SortKey> order(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string& k = entries[i].first;
    uint64_t head = 0;
    for (size_t j = 0; j < 8; ++j) {
      head = head << 8 | (j < k.size() ? static_cast<unsigned char>(k[j]) : 0u);
    }
    order[i] = {head, k, static_cast<uint32_t>(i)};
  }
  std::sort(order.begin(), order.end(), [](const SortKey& a, const SortKey& b) {
    return a.head != b.head ? a.head < b.head : a.key < b.key;
  });
  Entries sorted;
  sorted.reserve(entries.size());
  for (const SortKey& k : order) sorted.push_back(std::move(entries[k.index]));
  std::vector<std::string> filters(num_blocks_);
  for (uint32_t b = 0; b < num_blocks_; ++b) {
    filters[b].resize(internal::BloomBytesFor(tail_hashes[b].size()), '\0');
    for (uint64_t h : tail_hashes[b]) {
      internal::BloomInsert(h, filters[b].data(), filters[b].size());
    }
  }
  internal::WriteIndexSection(sorted, field_names_, filters, out, options);
  return true;
}

}  // namespace lode::index
