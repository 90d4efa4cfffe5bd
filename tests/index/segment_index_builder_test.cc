// Pins what SegmentIndexBuilder writes, byte for byte: its output must equal that of a
// straightforward reference written from docs/formats/index.md (ordered maps, one row at a
// time, no hashing tricks), on hand-made edge cases and on a generated corpus, for several
// block layouts; and the same input must always give the same bytes.
#include "index/segment_index_builder.h"

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

#include "bench/corpus_generator.h"
#include "common/record_batch.h"
#include "common/strings.h"
#include "index/hash.h"
#include "index/internal/bloom.h"
#include "index/internal/index_writer.h"
#include "index/segment_index.h"
#include "index/terms.h"
#include "index/tokenizer.h"
#include "ingest/line_parser.h"

namespace lode::index {
namespace {

using Posting = std::map<uint32_t, uint32_t>;  // block -> rows

std::string Encoded(const Posting& p) {
  std::vector<PostingEntry> entries;
  for (const auto& [block, rows] : p) entries.push_back({block, rows});
  std::string out;
  EncodePosting(entries, &out);
  return out;
}

// The index of `batch` with blocks ending at `block_ends`, as the format describes it.
std::string ReferenceIndex(const RecordBatch& batch, const std::vector<uint32_t>& block_ends) {
  const auto& cols = batch.columns();
  std::vector<std::string> field_names = {std::string(kMessageField)};
  std::vector<int> column_field(cols.size(), -1);
  for (size_t i = 0; i < cols.size(); ++i) {
    if (cols[i].type != FieldType::kString) continue;
    column_field[i] = static_cast<int>(field_names.size());
    field_names.push_back(cols[i].name);
  }
  std::map<std::string, std::map<uint16_t, Posting>> tokens;  // term -> field -> posting
  std::map<std::pair<uint16_t, std::string>, Posting> values;
  std::map<std::string, Posting> presence;
  auto add_text = [&](std::string_view text, uint16_t field, uint32_t block) {
    std::set<std::string> terms;  // a term counts once per row
    std::string folded;
    Tokenize(text, &folded, [&](std::string_view t) { terms.emplace(t); });
    for (const std::string& t : terms) ++tokens[t][field][block];
  };
  uint32_t lo = 0;
  for (uint32_t block = 0; block < block_ends.size(); ++block) {
    const uint32_t hi = block_ends[block];
    for (uint32_t r = lo; r < hi; ++r) add_text(batch.message(r), 0, block);
    for (size_t i = 0; i < cols.size(); ++i) {
      const Column& c = cols[i];
      for (size_t k = 0; k < c.rows.size(); ++k) {
        if (c.rows[k] < lo || c.rows[k] >= hi) continue;
        ++presence[c.name][block];
        if (c.type != FieldType::kString) continue;
        const uint16_t field = static_cast<uint16_t>(column_field[i]);
        const std::string_view v = c.strings.Get(k);
        add_text(v, field, block);
        if (v.size() <= kMaxValueBytes) ++values[{field, std::string(v)}][block];
      }
    }
    lo = hi;
  }

  std::vector<std::pair<std::string, std::string>> entries;
  std::vector<std::vector<uint64_t>> filter_keys(block_ends.size());
  std::map<std::string, Posting> tail_prefixes;
  for (const auto& [term, by_field] : tokens) {
    std::set<uint32_t> blocks;
    for (const auto& [field, p] : by_field) {
      for (const auto& [block, rows] : p) blocks.insert(block);
    }
    if (IsTailCandidate(term) && blocks.size() == 1) {
      // A tail term: in its block's filter (one key per field it is in: the filter is sized
      // by that count) and its prefix's `x` key.
      const uint32_t block = *blocks.begin();
      for (size_t k = 0; k < by_field.size(); ++k) filter_keys[block].push_back(Hash64(term));
      tail_prefixes[TailPrefixKey(term)][block] = 0;
      continue;
    }
    for (const auto& [field, p] : by_field) entries.emplace_back(TokenKey(term, field), Encoded(p));
  }
  for (const auto& [fv, p] : values) {
    if (p.size() > 1) entries.emplace_back(ValueKey(fv.first, fv.second), Encoded(p));
  }
  for (const auto& [name, p] : presence) entries.emplace_back(PresenceKey(name), Encoded(p));
  for (const auto& [key, p] : tail_prefixes) entries.emplace_back(key, Encoded(p));
  std::sort(entries.begin(), entries.end());
  std::vector<std::string> filters(block_ends.size());
  for (size_t b = 0; b < filters.size(); ++b) {
    filters[b].assign(internal::BloomBytesFor(filter_keys[b].size()), '\0');
    for (uint64_t h : filter_keys[b])
      internal::BloomInsert(h, filters[b].data(), filters[b].size());
  }
  std::string out;
  internal::WriteIndexSection(entries, field_names, filters, &out);
  return out;
}

std::string Build(const RecordBatch& batch, const std::vector<uint32_t>& block_ends) {
  SegmentIndexBuilder builder(batch);
  uint32_t lo = 0;
  for (uint32_t hi : block_ends) {
    builder.AddBlock(lo, hi);
    lo = hi;
  }
  std::string out;
  EXPECT_TRUE(builder.Finish(&out));
  return out;
}

// Equal bytes; on a difference, says where instead of printing binary.
::testing::AssertionResult SameBytes(const std::string& built, const std::string& reference) {
  if (built == reference) return ::testing::AssertionSuccess();
  size_t at = 0;
  while (at < built.size() && at < reference.size() && built[at] == reference[at]) ++at;
  return ::testing::AssertionFailure() << "built " << built.size() << " bytes, reference "
                                       << reference.size() << " bytes, first difference at " << at;
}

std::vector<uint32_t> EvenBlocks(uint32_t rows, uint32_t block_rows) {
  std::vector<uint32_t> ends;
  for (uint32_t e = block_rows; e < rows; e += block_rows) ends.push_back(e);
  ends.push_back(rows);
  return ends;
}

// Rows that exercise every path of the builder: ids in one block (in one or several fields)
// and in several, words repeated in a row, case folding, compound pieces, long tokens, long
// values and pieces, non-ASCII bytes, empty values, repeated field values, a field present in
// some blocks only, and one name with two types.
RecordBatch EdgeCaseBatch() {
  RecordBatch b;
  const std::string long_token(80, 'q');
  const std::string long_value = "value " + std::string(70, 'v') + " tail";
  for (uint32_t r = 0; r < 60; ++r) {
    b.BeginRow();
    b.AddString("level", r % 7 == 0 ? "ERROR" : (r % 3 == 0 ? "Warn" : "info"));
    b.AddString("host", StrCat("web-", r % 4, ".Example.com"));
    if (r < 20) b.AddString("early", StrCat("only early ", r % 2));
    if (r % 5 == 0) b.AddString("req", StrCat("req-", 90000 + r));    // an id, also in _msg below
    if (r % 2 == 0) b.AddString("user", StrCat("u-", 1000 + r % 6));  // ids in many blocks
    if (r % 9 == 0) b.AddString("long", long_value);
    if (r % 11 == 0) b.AddString("empty", "");
    if (r % 4 == 0) {
      b.AddString("mixed", StrCat("Mixed ", r));
    } else {
      b.AddInt("mixed", r);
    }
    b.AddInt("status", 200 + r % 3);
    std::string msg = StrCat("GET /api/v1/items/", 5000 + r, " ok OK ok from 10.0.", r % 3, ".",
                             r % 5, " in ", r, "ms");
    if (r % 5 == 0) StrAppend(&msg, " req-", 90000 + r);
    if (r % 6 == 1) StrAppend(&msg, " naïve café ", long_token, " a.b.c.d.e.f.g");
    if (r % 8 == 3) StrAppend(&msg, " ", std::string(30, 'x'), ".", std::string(40, 'y'));
    if (r == 17) msg.clear();
    b.EndRow(1000 + r, msg);
  }
  return b;
}

TEST(SegmentIndexBuilderTest, EdgeCasesMatchReference) {
  const RecordBatch batch = EdgeCaseBatch();
  for (const std::vector<uint32_t>& ends :
       {EvenBlocks(60, 60), EvenBlocks(60, 7), EvenBlocks(60, 1),
        std::vector<uint32_t>{3, 4, 40, 60}}) {
    SCOPED_TRACE(StrCat("blocks: ", ends.size()));
    const std::string built = Build(batch, ends);
    EXPECT_TRUE(SameBytes(built, ReferenceIndex(batch, ends)));
    auto ix = SegmentIndex::Open(built, static_cast<uint32_t>(ends.size()));
    ASSERT_TRUE(ix.ok()) << ix.status();
  }
}

TEST(SegmentIndexBuilderTest, GeneratedCorpusMatchesReference) {
  bench::CorpusOptions options;
  options.lines = 12000;
  bench::CorpusGenerator gen(options);
  std::string text;
  while (!gen.done()) gen.Fill(&text, text.size() + (1 << 20));
  ingest::LineParser parser(ingest::InputFormat::kNdjson);
  RecordBatch parsed;
  parser.Parse(text, 1, 0, &parsed);
  ASSERT_EQ(parsed.num_rows(), options.lines);
  const RecordBatch batch = parsed.Select(parsed.TimeOrder());
  for (uint32_t block_rows : {1500u, 5000u, 32768u}) {
    SCOPED_TRACE(StrCat("block rows: ", block_rows));
    const std::vector<uint32_t> ends = EvenBlocks(options.lines, block_rows);
    EXPECT_TRUE(SameBytes(Build(batch, ends), ReferenceIndex(batch, ends)));
  }
}

TEST(SegmentIndexBuilderTest, SameInputSameBytes) {
  const RecordBatch a = EdgeCaseBatch();
  const RecordBatch b = EdgeCaseBatch();
  const std::vector<uint32_t> ends = EvenBlocks(60, 9);
  const std::string first = Build(a, ends);
  EXPECT_TRUE(SameBytes(Build(a, ends), first));
  EXPECT_TRUE(SameBytes(Build(b, ends), first));
}

TEST(SegmentIndexBuilderTest, EmptyBatch) {
  const RecordBatch empty;
  EXPECT_TRUE(SameBytes(Build(empty, {}), ReferenceIndex(empty, {})));
}

}  // namespace
}  // namespace lode::index
