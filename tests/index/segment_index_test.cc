// SegmentIndexBuilder -> SegmentIndex round trip: every kind of key finds the right blocks and
// row counts, tail tokens live in the block filters, prefix scans are ordered and stop when
// told; and damaged index bytes give DataLoss (or still-correct answers), never a crash.
#include "index/segment_index.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"

#include "common/coding.h"
#include "common/crc32c.h"
#include "common/record_batch.h"
#include "common/strings.h"
#include "index/hash.h"
#include "index/segment_index_builder.h"
#include "index/terms.h"

namespace lode::index {
namespace {

constexpr uint32_t kBlockRows = 10;
constexpr uint32_t kBlocks = 6;
constexpr int kKeyTokens = 600;  // enough keys for several dictionary chunks

// Rows of block b are [b * kBlockRows, (b + 1) * kBlockRows).
//   message: "common rid<10000 + r> b<7000 + b>" (ids: each in one block, so tail terms), plus
//            "pair" in rows 0-2 of block 1 and row 5 of block 3, "onlyhere" in rows 0-1 of
//            block 2 (a rare word, which stays in the dictionary), and 20 "key<k>" tokens, each
//            in two blocks
//   level:   string "error" in even rows of blocks 0 and 2, "warn" in row 0 of block 4 only
//   code:    int in every row of block 5
//   tags:    string "Tag<r % 4> k" in odd rows
RecordBatch MakeBatch() {
  RecordBatch b;
  for (uint32_t r = 0; r < kBlocks * kBlockRows; ++r) {
    const uint32_t block = r / kBlockRows;
    const uint32_t in = r % kBlockRows;
    b.BeginRow();
    if ((block == 0 || block == 2) && in % 2 == 0) b.AddString("level", "error");
    if (block == 4 && in == 0) b.AddString("level", "warn");
    if (block == 5) b.AddInt("code", 500 + in);
    if (r % 2 == 1) b.AddString("tags", StrCat("Tag", r % 4, " k"));
    std::string msg = StrCat("common rid", 10000 + r, " b", 7000 + block);
    if ((block == 1 && in < 3) || (block == 3 && in == 5)) msg += " pair";
    if (block == 2 && in < 2) msg += " onlyhere";
    // Each of these keys appears in two blocks (r and r + 30 rows apart), so it is in the
    // dictionary.
    for (int k = 0; k < kKeyTokens / 30; ++k) {
      StrAppend(&msg, " key", (r % 30) * (kKeyTokens / 30) + k);
    }
    b.EndRow(1000 + r, msg);
  }
  return b;
}

std::string BuildIndex(const RecordBatch& batch, uint32_t block_rows,
                       const IndexWriteOptions& options = {}) {
  SegmentIndexBuilder builder(batch);
  for (uint32_t lo = 0; lo < batch.num_rows(); lo += block_rows) {
    builder.AddBlock(lo, std::min<uint32_t>(lo + block_rows, batch.num_rows()));
  }
  std::string out;
  EXPECT_TRUE(builder.Finish(&out, options));
  return out;
}

std::map<uint32_t, uint32_t> Posting(const SegmentIndex& ix, const std::string& key) {
  std::map<uint32_t, uint32_t> out;
  auto p = ix.Find(key);
  EXPECT_TRUE(p.ok()) << p.status();
  if (p.ok() && *p) {
    for (const PostingEntry& e : **p) out[e.block] = e.rows;
  }
  return out;
}

bool InDictionary(const SegmentIndex& ix, const std::string& key) {
  auto p = ix.Find(key);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() && p->has_value();
}

class SegmentIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    batch_ = MakeBatch();
    bytes_ = BuildIndex(batch_, kBlockRows);
    auto ix = SegmentIndex::Open(bytes_, kBlocks);
    ASSERT_TRUE(ix.ok()) << ix.status();
    ix_ = std::move(*ix);
  }
  uint16_t Field(std::string_view name) {
    const int f = ix_->FieldNumber(name);
    EXPECT_GE(f, 0) << name;
    return static_cast<uint16_t>(f);
  }

  RecordBatch batch_;
  std::string bytes_;
  std::unique_ptr<SegmentIndex> ix_;
};

TEST_F(SegmentIndexTest, FieldTable) {
  EXPECT_EQ(ix_->num_blocks(), kBlocks);
  ASSERT_FALSE(ix_->text_fields().empty());
  EXPECT_EQ(ix_->text_fields()[0], "_msg");
  EXPECT_EQ(ix_->FieldNumber("_msg"), 0);
  EXPECT_GT(ix_->FieldNumber("level"), 0);
  EXPECT_GT(ix_->FieldNumber("tags"), 0);
  EXPECT_EQ(ix_->FieldNumber("code"), -1);  // not a string field
  EXPECT_EQ(ix_->FieldNumber("nope"), -1);
  EXPECT_EQ(ix_->size_bytes(), bytes_.size());
  EXPECT_EQ(ix_->dictionary_bytes() + ix_->filter_bytes(), bytes_.size());
}

TEST_F(SegmentIndexTest, TokenPostings) {
  // In every row of every block, in the message only.
  std::map<uint32_t, uint32_t> all;
  for (uint32_t b = 0; b < kBlocks; ++b) all[b] = kBlockRows;
  EXPECT_EQ(Posting(*ix_, TokenKey("common", 0)), all);
  EXPECT_TRUE(Posting(*ix_, TokenKey("common", Field("tags"))).empty());
  // Two blocks with 3 and 1 rows.
  EXPECT_EQ(Posting(*ix_, TokenKey("pair", 0)), (std::map<uint32_t, uint32_t>{{1, 3}, {3, 1}}));
  // Field tokens are folded: "Tag1" is found as "tag1" in field tags; "k" in every odd row.
  std::map<uint32_t, uint32_t> odd;
  for (uint32_t b = 0; b < kBlocks; ++b) odd[b] = kBlockRows / 2;
  EXPECT_EQ(Posting(*ix_, TokenKey("k", Field("tags"))), odd);
  EXPECT_EQ(Posting(*ix_, TokenKey("tag1", Field("tags"))).size(), kBlocks);
  EXPECT_FALSE(InDictionary(*ix_, TokenKey("Tag1", Field("tags"))));
  EXPECT_FALSE(InDictionary(*ix_, TokenKey("tag1", 0)));
  // An id in one row: a tail term, not in the dictionary. A word in one block stays.
  EXPECT_FALSE(InDictionary(*ix_, TokenKey("rid10017", 0)));
  EXPECT_EQ(Posting(*ix_, TokenKey("onlyhere", 0)), (std::map<uint32_t, uint32_t>{{2, 2}}));
  EXPECT_EQ(Posting(*ix_, TokenKey("warn", Field("level"))),
            (std::map<uint32_t, uint32_t>{{4, 1}}));
  // Absent.
  EXPECT_FALSE(InDictionary(*ix_, TokenKey("absent", 0)));
  EXPECT_FALSE(InDictionary(*ix_, TokenKey("commo", 0)));
}

TEST_F(SegmentIndexTest, ValueAndPresenceKeys) {
  const uint16_t level = Field("level");
  EXPECT_EQ(Posting(*ix_, ValueKey(level, "error")),
            (std::map<uint32_t, uint32_t>{{0, 5}, {2, 5}}));
  // Values are case-sensitive, and a value found in one block only is left to its tokens.
  EXPECT_FALSE(InDictionary(*ix_, ValueKey(level, "Error")));
  EXPECT_FALSE(InDictionary(*ix_, ValueKey(level, "warn")));
  EXPECT_EQ(Posting(*ix_, ValueKey(Field("tags"), "Tag1 k")).size(), kBlocks);
  EXPECT_EQ(Posting(*ix_, PresenceKey("level")),
            (std::map<uint32_t, uint32_t>{{0, 5}, {2, 5}, {4, 1}}));
  EXPECT_EQ(Posting(*ix_, PresenceKey("code")), (std::map<uint32_t, uint32_t>{{5, kBlockRows}}));
  EXPECT_FALSE(InDictionary(*ix_, PresenceKey("nope")));
}

TEST_F(SegmentIndexTest, TailTokensAreInTheirBlockFilter) {
  // "b<7000 + b>" is in every row of block b only; "rid<10000 + r>" in row r only.
  int false_positives = 0, probes = 0;
  for (uint32_t b = 0; b < kBlocks; ++b) {
    const std::string word = StrCat("b", 7000 + b);
    EXPECT_FALSE(InDictionary(*ix_, TokenKey(word, 0))) << word;
    for (uint32_t other = 0; other < kBlocks; ++other) {
      auto m = ix_->TailMayContain(other, Hash64(word));
      ASSERT_TRUE(m.ok()) << m.status();
      if (other == b) {
        EXPECT_TRUE(*m) << word;
      } else {
        false_positives += *m;
        ++probes;
      }
    }
    for (uint32_t r = b * kBlockRows; r < (b + 1) * kBlockRows; ++r) {
      auto m = ix_->TailMayContain(b, Hash64(StrCat("rid", 10000 + r)));
      ASSERT_TRUE(m.ok());
      EXPECT_TRUE(*m) << r;
    }
    // Never-seen tokens are mostly rejected.
    for (int k = 0; k < 50; ++k) {
      auto m = ix_->TailMayContain(b, Hash64(StrCat("never", k)));
      ASSERT_TRUE(m.ok());
      false_positives += *m;
      ++probes;
    }
  }
  EXPECT_LE(false_positives, probes / 20);
  // Out of range blocks hold nothing.
  auto m = ix_->TailMayContain(kBlocks, Hash64("b7000"));
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(*m);
}

TEST_F(SegmentIndexTest, TailPrefixKeys) {
  // Tail terms starting "b70" and "rid" are in every block.
  std::map<uint32_t, uint32_t> all;
  for (uint32_t b = 0; b < kBlocks; ++b) all[b] = 0;
  EXPECT_EQ(Posting(*ix_, TailPrefixKey("b7000")), all);
  EXPECT_EQ(Posting(*ix_, TailPrefixKey("rid")), all);
  EXPECT_FALSE(InDictionary(*ix_, TailPrefixKey("zzz")));
  // Words are never tail terms.
  EXPECT_FALSE(InDictionary(*ix_, TailPrefixKey("onlyhere")));
  EXPECT_FALSE(InDictionary(*ix_, TailPrefixKey("warn")));
}

TEST_F(SegmentIndexTest, ScanPrefixOrderAndStop) {
  // key<k> tokens: kKeyTokens of them in the message, each in two blocks.
  std::vector<std::string> keys;
  ASSERT_TRUE(ix_->ScanPrefix("tkey",
                              [&](std::string_view k, const std::vector<PostingEntry>& p) {
                                keys.emplace_back(k);
                                EXPECT_EQ(p.size(), 2u) << k;
                                return true;
                              })
                  .ok());
  ASSERT_EQ(keys.size(), static_cast<size_t>(kKeyTokens));
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
  for (const std::string& k : keys) EXPECT_TRUE(k.starts_with("tkey")) << k;
  EXPECT_GT(ix_->num_keys(), 2 * kChunkKeys);  // several chunks
  // Stop after 150 keys (crossing a chunk boundary).
  std::vector<std::string> first;
  ASSERT_TRUE(ix_->ScanPrefix("tkey",
                              [&](std::string_view k, const std::vector<PostingEntry>&) {
                                first.emplace_back(k);
                                return first.size() < 150;
                              })
                  .ok());
  ASSERT_EQ(first.size(), 150u);
  EXPECT_TRUE(std::equal(first.begin(), first.end(), keys.begin()));
  // Every key, from the empty prefix: sorted, complete, and each one found by Find.
  std::vector<std::string> every;
  ASSERT_TRUE(ix_->ScanPrefix("",
                              [&](std::string_view k, const std::vector<PostingEntry>&) {
                                every.emplace_back(k);
                                return true;
                              })
                  .ok());
  EXPECT_EQ(every.size(), ix_->num_keys());
  EXPECT_TRUE(std::is_sorted(every.begin(), every.end()));
  for (const std::string& k : every) EXPECT_TRUE(InDictionary(*ix_, k)) << k;
  // A prefix between keys, and one past the last key.
  size_t n = 0;
  ASSERT_TRUE(ix_->ScanPrefix("tkey99999", [&](auto, const auto&) { return ++n, true; }).ok());
  EXPECT_EQ(n, 0u);
  ASSERT_TRUE(ix_->ScanPrefix("\xff", [&](auto, const auto&) { return ++n, true; }).ok());
  EXPECT_EQ(n, 0u);
}

TEST(SegmentIndexEmptyTest, EmptyBatch) {
  RecordBatch empty;
  SegmentIndexBuilder builder(empty);
  std::string bytes;
  ASSERT_TRUE(builder.Finish(&bytes));
  auto ix = SegmentIndex::Open(bytes, 0);
  ASSERT_TRUE(ix.ok()) << ix.status();
  EXPECT_EQ((*ix)->num_keys(), 0u);
  EXPECT_EQ((*ix)->text_fields(), std::vector<std::string>{"_msg"});
  auto p = (*ix)->Find(TokenKey("a", 0));
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->has_value());
  size_t n = 0;
  ASSERT_TRUE((*ix)->ScanPrefix("", [&](auto, const auto&) { return ++n, true; }).ok());
  EXPECT_EQ(n, 0u);
  auto m = (*ix)->TailMayContain(0, Hash64("a"));
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(*m);
  // The block count must match the segment's.
  EXPECT_EQ(SegmentIndex::Open(bytes, 1).status().code(), absl::StatusCode::kDataLoss);
}

TEST(SegmentIndexEmptyTest, OneRowPerBlockAndBlocksWithoutText) {
  // Empty messages and no fields: nothing to index but the blocks.
  RecordBatch b;
  for (int r = 0; r < 5; ++r) {
    b.BeginRow();
    b.EndRow(r, r == 3 ? "only 123456" : "");
  }
  const std::string bytes = BuildIndex(b, 1);
  auto ix = SegmentIndex::Open(bytes, 5);
  ASSERT_TRUE(ix.ok()) << ix.status();
  auto m = (*ix)->TailMayContain(3, Hash64("123456"));
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(*m);
  EXPECT_EQ(Posting(**ix, TokenKey("only", 0)), (std::map<uint32_t, uint32_t>{{3, 1}}));
  m = (*ix)->TailMayContain(2, Hash64("123456"));
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(*m);  // block 2 has no tail tokens: an empty filter
}

TEST(SegmentIndexPostingTest, RoundTripAndBounds) {
  std::vector<PostingEntry> in = {{0, 3}, {1, 1}, {7, 100}, {1000, 8192}};
  std::string bytes;
  EncodePosting(in, &bytes);
  std::vector<PostingEntry> out;
  ASSERT_TRUE(DecodePosting(bytes, 1001, &out));
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].block, in[i].block);
    EXPECT_EQ(out[i].rows, in[i].rows);
  }
  EXPECT_FALSE(DecodePosting(bytes, 1000, &out));  // names block 1000
  EXPECT_FALSE(DecodePosting(bytes.substr(0, bytes.size() - 1), 1001, &out));
  EXPECT_FALSE(DecodePosting(bytes + "x", 1001, &out));
}

// --- Corruption ---

// Runs every kind of lookup; each must succeed or say DataLoss.
void ExerciseLookups(const SegmentIndex& ix) {
  auto ok_or_data_loss = [](const absl::Status& s) {
    EXPECT_TRUE(s.ok() || s.code() == absl::StatusCode::kDataLoss) << s;
  };
  for (const std::string& k :
       {TokenKey("common", 0), TokenKey("pair", 0), TokenKey("key123", 0), PresenceKey("level"),
        TailPrefixKey("rid"), std::string("zzz"), std::string()}) {
    ok_or_data_loss(ix.Find(k).status());
  }
  for (const std::string& p : {std::string(), std::string("t"), std::string("tkey1")}) {
    ok_or_data_loss(ix.ScanPrefix(p, [](auto, const auto& posting) {
      for (const PostingEntry& e : posting) EXPECT_LT(e.block, kBlocks);
      return true;
    }));
  }
  for (uint32_t b = 0; b <= ix.num_blocks(); ++b) {
    ok_or_data_loss(ix.TailMayContain(b, Hash64("rid10003")).status());
  }
  for (size_t f = 0; f < ix.text_fields().size(); ++f) {
    EXPECT_EQ(ix.FieldNumber(ix.text_fields()[f]) >= 0, true);
  }
}

// Every index version that is read, and version 2 with groups of one and two chunks as well as
// the default (the test index has a few chunks: one group).
struct Layout {
  const char* name;
  IndexWriteOptions options;
};
const Layout kLayouts[] = {{"v1", {1, kGroupChunks}},
                           {"v2", {2, kGroupChunks}},
                           {"v2_group1", {2, 1}},
                           {"v2_group2", {2, 2}}};

class SegmentIndexCorruptionTest : public ::testing::TestWithParam<Layout> {
 protected:
  void SetUp() override {
    bytes_ = BuildIndex(MakeBatch(), kBlockRows, GetParam().options);
    auto ix = SegmentIndex::Open(bytes_, kBlocks);
    ASSERT_TRUE(ix.ok()) << ix.status();
    // The same answers as the default layout.
    const std::string plain = BuildIndex(MakeBatch(), kBlockRows);
    auto want = SegmentIndex::Open(plain, kBlocks);
    ASSERT_TRUE(want.ok());
    for (const std::string& k : {TokenKey("common", 0), TokenKey("pair", 0), TokenKey("key123", 0),
                                 TokenKey("key599", 0), PresenceKey("level"), std::string("zzz")}) {
      EXPECT_EQ(Posting(**ix, k), Posting(**want, k)) << k;
    }
    size_t keys = 0;
    ASSERT_TRUE((*ix)->ScanPrefix("", [&](auto, const auto&) { return ++keys, true; }).ok());
    EXPECT_EQ(keys, (*ix)->num_keys());
  }

  // Byte offsets to damage: about 1500 spread over the index (an odd stride, so every offset
  // within a word is hit somewhere), plus every byte of the header.
  std::vector<size_t> Positions() const {
    std::vector<size_t> out;
    const size_t stride = std::max<size_t>(1, bytes_.size() / 1500) | 1;
    for (size_t i = 0; i + kIndexHeaderSize < bytes_.size(); i += stride) out.push_back(i);
    for (size_t i = bytes_.size() - kIndexHeaderSize; i < bytes_.size(); ++i) out.push_back(i);
    return out;
  }

  std::string bytes_;
};

TEST_P(SegmentIndexCorruptionTest, FlippedBytes) {
  size_t rejected = 0, opened = 0;
  for (size_t i : Positions()) {
    for (unsigned char mask : {0x01, 0x80}) {
      std::string bad = bytes_;
      bad[i] = static_cast<char>(bad[i] ^ mask);
      auto ix = SegmentIndex::Open(bad, kBlocks);
      if (!ix.ok()) {
        EXPECT_EQ(ix.status().code(), absl::StatusCode::kDataLoss) << ix.status();
        ++rejected;
        continue;
      }
      ++opened;
      ExerciseLookups(**ix);
      if (HasFailure()) return;
    }
  }
  // The header and meta section are checksummed (and in version 1 the chunk tables): flips there
  // are rejected at Open.
  EXPECT_GT(rejected, 0u);
  EXPECT_GT(opened, 0u);  // flips in chunks, filters and (version 2) chunk tables: on lookup
}

// Version 2 opens without reading the chunk tables; damage there fails the lookups that use the
// damaged group only, and every other group still answers.
TEST(SegmentIndexGroupTest, DamagedGroupFailsOnlyItsLookups) {
  const std::string good = BuildIndex(MakeBatch(), kBlockRows, {2, 1});
  const size_t h = good.size() - kIndexHeaderSize;
  const uint32_t num_chunks = DecodeFixed32(good.data() + h + 16);
  const uint64_t dict_len = DecodeFixed64(good.data() + h + 24);
  ASSERT_GE(num_chunks, 4u);
  auto clean = SegmentIndex::Open(good, kBlocks);
  ASSERT_TRUE(clean.ok());
  // The first key of every chunk, from a scan of the undamaged index.
  std::vector<std::string> firsts;
  for (uint32_t c = 0; c < num_chunks; ++c) {
    const size_t ko = dict_len + 12 * num_chunks + 4;  // first_key_offsets
    const uint32_t b = DecodeFixed32(good.data() + ko + 4 * c);
    const uint32_t e = DecodeFixed32(good.data() + ko + 4 * (c + 1));
    firsts.push_back(good.substr(ko + 4 * (num_chunks + 1) + b, e - b));
  }
  for (uint32_t damaged = 0; damaged < num_chunks; ++damaged) {
    std::string bad = good;
    const size_t raw_at = dict_len + 4 * (num_chunks + 1) + 4 * damaged;  // chunk_raw[damaged]
    bad[raw_at] = static_cast<char>(bad[raw_at] ^ 1);
    auto ix = SegmentIndex::Open(bad, kBlocks);
    ASSERT_TRUE(ix.ok()) << "opening reads no chunk table: " << ix.status();
    for (uint32_t c = 0; c < num_chunks; ++c) {
      auto got = (*ix)->Find(firsts[c]);
      if (c == damaged) {
        EXPECT_TRUE(absl::IsDataLoss(got.status())) << c << " " << got.status();
      } else {
        ASSERT_TRUE(got.ok()) << "chunk " << c << " with chunk " << damaged << " damaged";
        ASSERT_TRUE(got->has_value()) << firsts[c];
        EXPECT_EQ(Posting(**ix, firsts[c]), Posting(**clean, firsts[c]));
      }
    }
  }
}

// A group is picked by the copy of its first key in the meta section; a copy that differs from
// the group's tables (behind a valid checksum: a writer bug) makes the group's lookups fail. Here
// the copy is smaller than the real key, so the keys between the two pick the wrong group; they
// must fail, not be missed. (A larger copy would send keys to the group before, whose check
// passes: checksums guard against damage, not against every writer bug.)
TEST(SegmentIndexGroupTest, GroupKeyMustMatchItsTables) {
  std::string bad = BuildIndex(MakeBatch(), kBlockRows, {2, 1});
  const size_t h = bad.size() - kIndexHeaderSize;
  const uint64_t meta_len = DecodeFixed32(bad.data() + h + 40);
  const uint64_t bloom_len = DecodeFixed64(bad.data() + h + 44);
  const size_t bloom_at = h - 4 * (kBlocks + 1) - bloom_len;
  const size_t meta_at = bloom_at - meta_len;
  // The meta section ends with the last group's key, which is the last chunk's first key.
  const uint32_t num_chunks = DecodeFixed32(bad.data() + h + 16);
  const uint64_t dict_len = DecodeFixed64(bad.data() + h + 24);
  const size_t ko = dict_len + 12 * num_chunks + 4;
  const uint32_t kb = DecodeFixed32(bad.data() + ko + 4 * (num_chunks - 1));
  const uint32_t ke = DecodeFixed32(bad.data() + ko + 4 * num_chunks);
  const std::string real = bad.substr(ko + 4 * (num_chunks + 1) + kb, ke - kb);
  ASSERT_EQ(bad.substr(meta_at + meta_len - real.size(), real.size()), real);
  size_t at = real.find_last_not_of('\0');
  ASSERT_NE(at, std::string::npos);
  char& byte = bad[meta_at + meta_len - real.size() + at];
  byte = static_cast<char>(byte & (byte - 1));  // its lowest set bit cleared: a smaller key
  const std::string smaller = bad.substr(meta_at + meta_len - real.size(), real.size());
  ASSERT_LT(smaller, real);
  uint32_t crc = Crc32c(std::string_view(bad.data() + h, kIndexHeaderSize - 4));
  crc = Crc32cExtend(crc, bad.data() + meta_at, meta_len);
  crc = Crc32cExtend(crc, bad.data() + bloom_at + bloom_len, 4 * (kBlocks + 1));
  std::string enc;
  PutFixed32(&enc, crc);
  bad.replace(h + 56, 4, enc);
  auto ix = SegmentIndex::Open(bad, kBlocks);
  ASSERT_TRUE(ix.ok()) << ix.status();
  for (const std::string& key : {real, smaller}) {
    auto got = (*ix)->Find(key);
    EXPECT_TRUE(absl::IsDataLoss(got.status())) << got.status();
  }
}

// A first key damaged upwards would send lookups of the keys below it to the chunk before,
// which does not hold them: a silent miss, unless the group's checksum is checked.
TEST(SegmentIndexGroupTest, DamagedFirstKeyIsNotASilentMiss) {
  for (const uint32_t per : {1u, kGroupChunks}) {
    const std::string good = BuildIndex(MakeBatch(), kBlockRows, {2, per});
    const size_t h = good.size() - kIndexHeaderSize;
    const uint32_t num_chunks = DecodeFixed32(good.data() + h + 16);
    const uint64_t dict_len = DecodeFixed64(good.data() + h + 24);
    const size_t ko = dict_len + 12 * num_chunks + 4;
    const size_t keys = ko + 4 * (num_chunks + 1);
    for (uint32_t c = 1; c < num_chunks; ++c) {
      const uint32_t kb = DecodeFixed32(good.data() + ko + 4 * c);
      const uint32_t ke = DecodeFixed32(good.data() + ko + 4 * (c + 1));
      const std::string key = good.substr(keys + kb, ke - kb);
      std::string bad = good;
      bad[keys + kb] = '\x7f';  // above every key's first byte ('p', 't', 'v', 'x')
      auto ix = SegmentIndex::Open(bad, kBlocks);
      ASSERT_TRUE(ix.ok()) << ix.status();
      auto got = (*ix)->Find(key);
      EXPECT_TRUE(absl::IsDataLoss(got.status()))
          << "chunk " << c << " of " << num_chunks << ", groups of " << per << ": " << got.status();
    }
  }
}

// Version 1 checks every chunk table at open.
TEST(SegmentIndexGroupTest, Version1ChecksTheTablesAtOpen) {
  std::string bad = BuildIndex(MakeBatch(), kBlockRows, {1, kGroupChunks});
  const size_t h = bad.size() - kIndexHeaderSize;
  ASSERT_EQ(DecodeFixed32(bad.data() + h + 4), 1u);
  const uint64_t dict_len = DecodeFixed64(bad.data() + h + 24);
  bad[dict_len + 4] = static_cast<char>(bad[dict_len + 4] ^ 1);  // chunk_offsets[1]
  auto ix = SegmentIndex::Open(bad, kBlocks);
  EXPECT_TRUE(absl::IsDataLoss(ix.status())) << ix.status();
}

TEST_P(SegmentIndexCorruptionTest, Truncated) {
  for (size_t n = 0; n < bytes_.size(); ++n) {
    auto ix = SegmentIndex::Open(std::string_view(bytes_).substr(0, n), kBlocks);
    if (ix.ok()) {
      ExerciseLookups(**ix);
    } else {
      EXPECT_EQ(ix.status().code(), absl::StatusCode::kDataLoss);
    }
    auto tail = SegmentIndex::Open(std::string_view(bytes_).substr(n + 1), kBlocks);
    if (tail.ok()) {
      ExerciseLookups(**tail);
    } else {
      EXPECT_EQ(tail.status().code(), absl::StatusCode::kDataLoss);
    }
    if (HasFailure()) return;
  }
}

// Damage that the checksums do not see (a writer bug, or a checksum collision): bytes changed
// and the checksums recomputed to match. The structural checks and the decoders must hold.
TEST_P(SegmentIndexCorruptionTest, DamageBehindValidChecksums) {
  const size_t h = bytes_.size() - kIndexHeaderSize;
  const uint32_t version = DecodeFixed32(bytes_.data() + h + 4);
  const uint32_t num_chunks = DecodeFixed32(bytes_.data() + h + 16);
  const uint64_t dict_len = DecodeFixed64(bytes_.data() + h + 24);
  const uint64_t first_keys_len = DecodeFixed64(bytes_.data() + h + 32);
  const uint64_t meta_len = DecodeFixed32(bytes_.data() + h + 40);
  const uint64_t bloom_len = DecodeFixed64(bytes_.data() + h + 44);
  const size_t n = num_chunks;
  const size_t tables = dict_len;
  const size_t crcs = tables + 4 * (n + 1) + 4 * n;
  const size_t key_offsets = tables + 4 * (n + 1) + 8 * n;
  const size_t first_keys = key_offsets + 4 * (n + 1);
  const size_t meta_at = first_keys + first_keys_len;
  const size_t bloom_at = meta_at + meta_len;
  ASSERT_EQ(bloom_at + bloom_len + 4 * (kBlocks + 1), h);
  // Version 2: where the group checksums are, from the undamaged meta section.
  uint64_t per = 0;
  size_t group_crcs = 0;
  if (version >= 2) {
    Decoder d(std::string_view(bytes_.data() + meta_at, meta_len));
    uint64_t nfields;
    std::string_view name;
    ASSERT_TRUE(d.GetVarint64(&nfields));
    for (uint64_t f = 0; f < nfields; ++f) ASSERT_TRUE(d.GetLengthPrefixed(&name));
    ASSERT_TRUE(d.GetVarint64(&per) && per > 0);
    group_crcs = meta_at + meta_len - d.remaining();
  }
  auto put32 = [](std::string* s, size_t at, uint32_t v) {
    std::string enc;
    PutFixed32(&enc, v);
    s->replace(at, 4, enc);
  };
  // Recomputes the chunk checksums, the group checksums (version 2: over each group's slices of
  // the four tables and of the first keys), the filter checksum and the header checksum.
  auto fix = [&](std::string* s) {
    auto at = [&](size_t pos) { return DecodeFixed32(s->data() + pos); };
    for (uint32_t c = 0; c < n; ++c) {
      const uint32_t b = at(tables + 4 * c);
      const uint32_t e = at(tables + 4 * (c + 1));
      if (b > e || e > dict_len) continue;
      put32(s, crcs + 4 * c, Crc32c(std::string_view(s->data() + b, e - b)));
    }
    if (version >= 2) {
      for (size_t g = 0, first = 0; first < n; ++g, first += per) {
        const size_t count = std::min<size_t>(per, n - first);
        const uint32_t kb = at(key_offsets + 4 * first);
        const uint32_t ke = at(key_offsets + 4 * (first + count));
        if (kb > ke || ke > first_keys_len) continue;
        uint32_t crc = Crc32c(std::string_view(s->data() + tables + 4 * first, 4 * (count + 1)));
        for (size_t table : {tables + 4 * (n + 1), crcs}) {
          crc = Crc32cExtend(crc, s->data() + table + 4 * first, 4 * count);
        }
        crc = Crc32cExtend(crc, s->data() + key_offsets + 4 * first, 4 * (count + 1));
        crc = Crc32cExtend(crc, s->data() + first_keys + kb, ke - kb);
        put32(s, group_crcs + 4 * g, crc);
      }
    }
    put32(s, h + 52, Crc32c(std::string_view(s->data() + bloom_at, bloom_len)));
    uint32_t crc = Crc32c(std::string_view(s->data() + h, kIndexHeaderSize - 4));
    if (version >= 2) {
      crc = Crc32cExtend(crc, s->data() + meta_at, meta_len);
    } else {
      crc = Crc32cExtend(crc, s->data() + tables, bloom_at - tables);
    }
    crc = Crc32cExtend(crc, s->data() + bloom_at + bloom_len, 4 * (kBlocks + 1));
    put32(s, h + 56, crc);
  };
  {
    std::string same = bytes_;
    fix(&same);
    ASSERT_EQ(same, bytes_) << "the checksum layout assumed here is wrong";
  }
  size_t opened = 0;
  for (size_t i : Positions()) {
    // The header's checksum fields are rewritten by fix(); everything else is fair game.
    if (i >= h + 52) continue;
    for (unsigned char mask : {0x01, 0x04, 0x80}) {
      std::string bad = bytes_;
      bad[i] = static_cast<char>(bad[i] ^ mask);
      fix(&bad);
      auto ix = SegmentIndex::Open(bad, kBlocks);
      if (!ix.ok()) {
        EXPECT_EQ(ix.status().code(), absl::StatusCode::kDataLoss) << ix.status();
        continue;
      }
      ++opened;
      ExerciseLookups(**ix);
      if (HasFailure()) return;
    }
  }
  EXPECT_GT(opened, 0u);
}

INSTANTIATE_TEST_SUITE_P(Layouts, SegmentIndexCorruptionTest, ::testing::ValuesIn(kLayouts),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace lode::index
