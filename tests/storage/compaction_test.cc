#include "storage/compaction.h"

#include <thread>

#include <gtest/gtest.h>

#include "storage/mem_env.h"
#include "storage/segment_writer.h"
#include "storage/store.h"
#include "tests/storage/store_testing.h"

namespace lode::storage {
namespace {

using testing::IdBatch;
using testing::IdCounts;
using testing::kDay;
using testing::kHour;

const std::string kDir = "/data";
const int64_t kT0 = *ParseRfc3339("2026-11-25T00:00:00Z");  // two days before MemEnv's clock

SegmentEntry Entry(std::string tenant, std::string day, uint64_t bytes, int64_t min_time,
                   std::string id) {
  SegmentEntry e;
  e.tenant = tenant;
  e.path = StrCat("t=", tenant, "/d=", day, "/", id, ".lode");
  e.bytes = bytes;
  e.min_time = min_time;
  e.max_time = min_time + 1;
  e.records = 1;
  return e;
}

TEST(PickCompactionsTest, TiersInHotPartitionsEverythingSmallInColdOnes) {
  const int64_t now = *ParseRfc3339("2026-11-27T10:00:00Z");
  const int64_t today = *ParseRfc3339("2026-11-27T00:00:00Z");
  const int64_t before = *ParseRfc3339("2026-11-25T00:00:00Z");
  CompactionOptions o;
  o.target_bytes = 1 << 20;
  o.min_inputs = 4;
  std::vector<SegmentEntry> segs = {
      // Today (hot): three of one tier, one of a much larger tier, one at the target.
      Entry("a", "2026-11-27", 1000, today + 3, "03"),
      Entry("a", "2026-11-27", 1100, today + 1, "01"),
      Entry("a", "2026-11-27", 1200, today + 2, "02"),
      Entry("a", "2026-11-27", 300000, today, "00"),
      Entry("a", "2026-11-27", 1 << 20, today, "04"),
      // Two days ago (cold): two small ones of different tiers.
      Entry("a", "2026-11-25", 10, before, "10"),
      Entry("a", "2026-11-25", 500000, before + 5, "11"),
      // Another tenant, same day, one segment: nothing to merge with.
      Entry("b", "2026-11-25", 10, before, "20"),
  };
  auto groups = PickCompactions(segs, o, now, /*force=*/false);
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0], (std::vector<size_t>{5, 6}));  // the cold partition, by time

  segs.push_back(Entry("a", "2026-11-27", 900, today + 4, "05"));  // a fourth of the tier
  groups = PickCompactions(segs, o, now, false);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0], (std::vector<size_t>{5, 6}));
  EXPECT_EQ(groups[1], (std::vector<size_t>{1, 2, 0, 8}));  // min_time order

  // On demand: every small segment of a partition, whatever the tier.
  groups = PickCompactions(segs, o, now, true);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0], (std::vector<size_t>{5, 6}));
  EXPECT_EQ(groups[1], (std::vector<size_t>{3, 1, 2, 0, 8}));
}

TEST(ConcatSortedTest, KeepsFieldsAndSortsStably) {
  RecordBatch a = IdBatch(0, 3, 100, 10);  // times 100, 110, 120
  RecordBatch b = IdBatch(3, 3, 95, 10);   // times 125, 135, 145
  RecordBatch c;
  c.BeginRow();
  c.AddDouble("x", 1.5);
  c.EndRow(110, "tie");
  RecordBatch all = ConcatSorted({&a, &b, &c});
  ASSERT_EQ(all.num_rows(), 7u);
  EXPECT_TRUE(std::is_sorted(all.times().begin(), all.times().end()));
  EXPECT_EQ(all.message(1), "r1");  // equal times keep input order
  EXPECT_EQ(all.message(2), "tie");
  const Column* x = all.FindColumn("x", FieldType::kDouble);
  ASSERT_NE(x, nullptr);
  ASSERT_EQ(x->rows.size(), 1u);
  EXPECT_EQ(x->rows[0], 2u);
  const Column* id = all.FindColumn("id", FieldType::kInt64);
  ASSERT_NE(id, nullptr);
  EXPECT_EQ(id->ints, (std::vector<int64_t>{0, 1, 2, 3, 4, 5}));
}

class CompactionTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> Open(StoreOptions o = {}) {
    o.background = false;
    auto s = Store::Open(&env_, kDir, o);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }
  // `flushes` flushes of `per` records each, interleaved in time over two days, plus one flush
  // of another tenant.
  void Fill(Store* store, int flushes, int per) {
    for (int f = 0; f < flushes; ++f) {
      // Flush f holds ids f, f+flushes, f+2*flushes, ...: every flush spans both days.
      RecordBatch b;
      for (int k = 0; k < per; ++k) {
        const int id = f + k * flushes;
        RecordBatch one = IdBatch(id, 1, kT0, 2 * kDay / (flushes * per));
        AppendBatch(one, &b);
      }
      ASSERT_TRUE(store->Write(b).ok());
      ASSERT_TRUE(store->Flush().ok());
    }
    ASSERT_TRUE(store->Write(IdBatch(0, 10, kT0, kHour), "other").ok());
    ASSERT_TRUE(store->Flush().ok());
  }
  MemEnv env_;
};

TEST_F(CompactionTest, MergesEachPartitionIntoOneTimeOrderedSegment) {
  auto store = Open();
  Fill(store.get(), 5, 40);
  EXPECT_EQ(store->Stats().segments, 11u);  // 5 flushes x 2 days + 1
  const auto before = testing::AllRowTexts(store.get());
  auto r = store->Compact();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->merges, 2u);  // the other tenant has one segment: nothing to merge
  EXPECT_EQ(r->input_segments, 10u);
  EXPECT_EQ(r->records, 200u);
  StoreStats st = store->Stats();
  EXPECT_EQ(st.segments, 3u);
  EXPECT_EQ(st.counters.compactions, 2u);
  EXPECT_EQ(st.counters.compacted_bytes, r->bytes_written);
  EXPECT_GT(st.write_amplification(), 1.0);
  EXPECT_EQ(testing::AllRowTexts(store.get()), before);
  // Rows stay time-ordered inside the merged segments.
  auto snap = store->Snapshot(kDefaultTenant, INT64_MIN, INT64_MAX);
  ASSERT_TRUE(snap.ok());
  ASSERT_EQ((*snap)->sources.size(), 2u);
  for (const auto& src : (*snap)->sources) {
    int64_t last = INT64_MIN;
    RecordBatch b;
    for (size_t i = 0; i < src->num_blocks(); ++i) {
      ASSERT_TRUE(src->ReadBlock(i, &b).ok());
      for (int64_t t : b.times()) {
        EXPECT_LE(last, t);
        last = t;
      }
    }
  }
  // The replaced files are gone (no snapshot held them), and a reopen sees the same.
  snap->reset();
  EXPECT_EQ(testing::SegmentFiles(&env_, kDir), testing::ManifestPaths(&env_, kDir));
  store.reset();
  store = Open();
  EXPECT_EQ(store->recovery().orphan_files_removed, 0u);
  EXPECT_EQ(testing::AllRowTexts(store.get()), before);
  EXPECT_EQ(store->Stats().counters.compactions, 2u);  // lifetime counters are in the manifest
  // Nothing left to merge.
  r = store->Compact();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->merges, 0u);
}

// A merge takes inputs only up to its memory bound; Compact() goes on in rounds, merging only
// segments that fit the bound together, so a merged segment is not merged again past it.
TEST_F(CompactionTest, CompactRoundsStayWithinTheMergeBound) {
  {
    auto store = Open();
    Fill(store.get(), 6, 30);
  }
  // The raw bytes of the flushed segments, which are all about the same.
  uint64_t lo = UINT64_MAX, hi = 0;
  {
    auto store = Open();
    auto snap = store->Snapshot(kDefaultTenant, INT64_MIN, INT64_MAX);
    ASSERT_TRUE(snap.ok());
    for (const auto& src : (*snap)->sources) {
      lo = std::min(lo, src->meta().raw_bytes);
      hi = std::max(hi, src->meta().raw_bytes);
    }
  }
  ASSERT_GT(lo, 0u);
  ASSERT_GE(lo * 10, hi * 9);  // so that two fit the bound below and three do not
  StoreOptions o;
  o.compaction.max_merge_raw_bytes = hi * 5 / 2;
  auto store = Open(o);
  EXPECT_EQ(store->Stats().segments, 13u);  // 6 flushes x 2 days + 1
  const auto before = testing::AllRowTexts(store.get());
  auto r = store->Compact();
  ASSERT_TRUE(r.ok()) << r.status();
  // Per day: s1+s2, then s3+s4, then s5+s6 (a merged pair and the next segment are 3 segments'
  // worth, over the bound), leaving 3 segments.
  EXPECT_EQ(r->merges, 6u);
  EXPECT_EQ(store->Stats().segments, 7u);
  EXPECT_EQ(testing::AllRowTexts(store.get()), before);
  auto snap = store->Snapshot(kDefaultTenant, INT64_MIN, INT64_MAX);
  ASSERT_TRUE(snap.ok());
  for (const auto& src : (*snap)->sources) {
    EXPECT_LE(src->meta().raw_bytes, o.compaction.max_merge_raw_bytes) << src->name();
  }
  snap->reset();
  r = store->Compact();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->merges, 0u);
}

TEST_F(CompactionTest, SegmentsAtTheTargetAreLeftAlone) {
  StoreOptions o;
  o.compaction.target_bytes = 1;  // every segment is "large"
  auto store = Open(o);
  Fill(store.get(), 3, 10);
  auto r = store->Compact();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->merges, 0u);
  EXPECT_EQ(store->Stats().segments, 7u);
}

TEST_F(CompactionTest, ASnapshotKeepsReplacedFilesUntilReleased) {
  auto store = Open();
  Fill(store.get(), 3, 20);
  const auto old_files = testing::SegmentFiles(&env_, kDir);
  auto snap = store->Snapshot(kDefaultTenant, INT64_MIN, INT64_MAX);
  ASSERT_TRUE(snap.ok());
  ASSERT_TRUE(store->Compact().ok());
  // The snapshot still reads every old segment: the files are still there.
  for (const std::string& f : old_files) EXPECT_TRUE(env_.FileExists(JoinPath(kDir, f))) << f;
  uint64_t rows = 0;
  RecordBatch b;
  for (const auto& src : (*snap)->sources) {
    for (size_t i = 0; i < src->num_blocks(); ++i) {
      ASSERT_TRUE(src->ReadBlock(i, &b).ok());
      rows += b.num_rows();
    }
  }
  EXPECT_EQ(rows, 60u);
  // New snapshots see the merged segments only.
  auto fresh = store->Snapshot(kDefaultTenant, INT64_MIN, INT64_MAX);
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ((*fresh)->sources.size(), 2u);
  // Letting go removes the replaced files.
  snap->reset();
  fresh->reset();
  EXPECT_EQ(testing::SegmentFiles(&env_, kDir), testing::ManifestPaths(&env_, kDir));
  EXPECT_EQ(testing::ManifestPaths(&env_, kDir).size(), 3u);
}

TEST_F(CompactionTest, ReadOnlyStoreFollowsAWriterThatCompacted) {
  auto store = Open();
  Fill(store.get(), 3, 20);
  StoreOptions ro;
  ro.read_only = true;
  auto reader = Store::Open(&env_, kDir, ro);
  ASSERT_TRUE(reader.ok()) << reader.status();
  ASSERT_TRUE(store->Compact().ok());
  // The reader's manifest names files the writer removed: it re-reads the manifest.
  auto counts = IdCounts(reader->get());
  EXPECT_EQ(counts.size(), 60u);
  for (auto [id, n] : counts) EXPECT_EQ(n, 1) << id;
  EXPECT_FALSE((*reader)->Compact().ok());
}

TEST_F(CompactionTest, BackgroundThreadMergesColdPartitions) {
  StoreOptions o;
  o.compaction.min_inputs = 100;  // only cold partitions (both days are before the clock's day)
  auto s = Store::Open(&env_, kDir, o);  // background on
  ASSERT_TRUE(s.ok());
  Store* store = s->get();
  Fill(store, 4, 10);
  // Poll (the background thread wakes every second); the bound only guards against a hang.
  for (int i = 0; i < 300 && store->Stats().segments > 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(store->Stats().segments, 3u);
  auto counts = IdCounts(store);
  EXPECT_EQ(counts.size(), 40u);
}

TEST_F(CompactionTest, WritesAndQueriesGoOnDuringCompaction) {
  auto store = Open();
  Fill(store.get(), 4, 200);
  std::atomic<bool> done{false};
  std::atomic<int> next{100000};
  std::thread writer([&] {
    while (!done) {
      const int id = next++;
      ASSERT_TRUE(store->Write(IdBatch(id, 1, kT0, kHour / 1000)).ok());
      auto counts = IdCounts(store.get());
      ASSERT_EQ(counts[id], 1);
    }
  });
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(store->Compact().ok());
    ASSERT_TRUE(store->Flush().ok());
  }
  done = true;
  writer.join();
  auto counts = IdCounts(store.get());
  EXPECT_EQ(counts.size(), 800u + static_cast<size_t>(next - 100000));
  for (auto [id, n] : counts) ASSERT_EQ(n, 1) << id;
}

}  // namespace
}  // namespace lode::storage
