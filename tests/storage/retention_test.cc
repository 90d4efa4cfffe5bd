#include "storage/retention.h"

#include <gtest/gtest.h>

#include "storage/mem_env.h"
#include "storage/store.h"
#include "tests/storage/store_testing.h"

namespace lode::storage {
namespace {

using testing::IdBatch;
using testing::IdCounts;
using testing::kDay;
using testing::kHour;

const std::string kDir = "/data";
// MemEnv's clock: 2026-11-27T10:00:00Z.
const int64_t kNow = MemEnv::kDefaultNowNanos;
const int64_t kDay20 = *ParseRfc3339("2026-11-20T00:00:00Z");

SegmentEntry Seg(std::string tenant, std::string day, int64_t min_time, int64_t max_time,
                 uint64_t bytes) {
  SegmentEntry e;
  e.tenant = tenant;
  e.path = StrCat("t=", tenant, "/d=", day, "/x.lode");
  e.min_time = min_time;
  e.max_time = max_time;
  e.bytes = bytes;
  e.records = 10;
  return e;
}

TEST(RetentionPolicyTest, CutoffsAndOverrides) {
  RetentionPolicy p;
  EXPECT_TRUE(p.empty());
  EXPECT_FALSE(p.Cutoff("a", kNow));
  p.max_age_ns = 3 * kDay;
  p.tenant_max_age["short"] = kDay;
  p.tenant_max_age["forever"] = std::nullopt;
  EXPECT_FALSE(p.empty());
  EXPECT_EQ(p.Cutoff("a", kNow), kNow - 3 * kDay);
  EXPECT_EQ(p.Cutoff("short", kNow), kNow - kDay);
  EXPECT_FALSE(p.Cutoff("forever", kNow));
  RetentionPolicy only_forever;
  only_forever.tenant_max_age["x"] = std::nullopt;
  EXPECT_TRUE(only_forever.empty());
}

TEST(RetentionPlanTest, AgeDropsOldSegmentsAndTrimsTheOneAcrossTheCutoff) {
  const int64_t cutoff = kNow - 3 * kDay;  // 2026-11-24T10:00
  std::vector<SegmentEntry> segs = {
      Seg("a", "2026-11-23", cutoff - 30 * kHour, cutoff - 10 * kHour, 100),  // wholly older
      Seg("a", "2026-11-24", cutoff - 10 * kHour, cutoff - 1, 100),           // ends just before
      Seg("a", "2026-11-24", cutoff - kHour, cutoff + kHour, 100),            // straddles
      Seg("a", "2026-11-24", cutoff, cutoff + kHour, 100),                    // starts at it
      Seg("b", "2026-11-01", 0, 1, 100),                                      // no age limit
  };
  RetentionPolicy p;
  p.max_age_ns = 3 * kDay;
  p.tenant_max_age["b"] = std::nullopt;
  auto a = PlanAge(segs, p, kNow);
  ASSERT_EQ(a.size(), 5u);
  EXPECT_EQ(a[0].kind, AgeAction::Kind::kDrop);
  EXPECT_EQ(a[1].kind, AgeAction::Kind::kDrop);
  EXPECT_EQ(a[2].kind, AgeAction::Kind::kTrim);
  EXPECT_EQ(a[2].cutoff, cutoff);
  EXPECT_EQ(a[3].kind, AgeAction::Kind::kKeep);
  EXPECT_EQ(a[4].kind, AgeAction::Kind::kKeep);
}

TEST(RetentionPlanTest, SizeDropsOldestPartitionsPerTenantThenOverall) {
  std::vector<SegmentEntry> segs = {
      Seg("a", "2026-11-20", 0, 0, 100), Seg("a", "2026-11-21", 0, 0, 100),
      Seg("a", "2026-11-22", 0, 0, 100), Seg("b", "2026-11-19", 0, 0, 50),
      Seg("b", "2026-11-21", 0, 0, 50),  Seg("b", "2026-11-22", 0, 0, 50),
  };
  RetentionPolicy p;
  p.tenant_max_bytes["a"] = 150;  // a keeps only its newest day
  auto drop = PlanSize(segs, p);
  EXPECT_EQ(drop.size(), 2u);
  const int64_t d20 = kDay20 / kDay, d21 = d20 + 1, d19 = d20 - 1;
  EXPECT_TRUE(drop.count({"a", d20}));
  EXPECT_TRUE(drop.count({"a", d21}));
  // Then a total limit of 150 over a(100) + b(150): oldest days of any tenant first.
  p.max_bytes = 150;
  drop = PlanSize(segs, p);
  EXPECT_TRUE(drop.count({"b", d19}));
  EXPECT_TRUE(drop.count({"b", d21}));
  EXPECT_FALSE(drop.count({"b", d21 + 1}));
  EXPECT_FALSE(drop.count({"a", d21 + 1}));
  EXPECT_EQ(drop.size(), 4u);
}

class RetentionTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> Open(bool read_only = false) {
    StoreOptions o;
    o.background = false;
    o.read_only = read_only;
    o.segment.block_rows = 16;
    auto s = Store::Open(&env_, kDir, o);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }
  // Records every hour from 2026-11-20T00:00 (id 0) to 2026-11-27T09:00 (id 177): the first
  // 150 in segments (one flush), the rest in the memtable; plus some of tenant "keep".
  void Fill(Store* store) {
    ASSERT_TRUE(store->Write(IdBatch(0, 150, kDay20, kHour)).ok());
    ASSERT_TRUE(store->Flush().ok());
    ASSERT_TRUE(store->Write(IdBatch(150, 28, kDay20, kHour)).ok());
    ASSERT_TRUE(store->Write(IdBatch(0, 178, kDay20, kHour), "keep").ok());
    ASSERT_TRUE(store->Flush().ok());
    // Old records still in the memtable: ids 1000..1004 at 2026-11-20T00:00..04:00.
    ASSERT_TRUE(store->Write(IdBatch(1000, 5, kDay20 - 1000 * kHour, kHour)).ok());
  }
  MemEnv env_;
};

TEST_F(RetentionTest, NothingOlderThanTheCutoffRemainsAndEverythingNewerDoes) {
  auto store = Open();
  Fill(store.get());
  RetentionPolicy p;
  p.max_age_ns = 3 * kDay;  // cutoff 2026-11-24T10:00 = id 106
  p.tenant_max_age["keep"] = std::nullopt;
  const int64_t cutoff = kNow - 3 * kDay;
  const int first_kept = static_cast<int>((cutoff - kDay20) / kHour);
  ASSERT_EQ(first_kept, 106);

  // The dry run changes nothing and predicts the run exactly (records).
  auto dry = store->ApplyRetention(p, /*dry_run=*/true);
  ASSERT_TRUE(dry.ok()) << dry.status();
  EXPECT_EQ(dry->records_removed, 106u);
  EXPECT_EQ(dry->memtable_records_expired, 5u);
  EXPECT_EQ(IdCounts(store.get()).size(), 183u);

  auto run = store->ApplyRetention(p);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->records_removed, 106u + 5u);
  // Partitions 20..23 dropped whole, 24 trimmed at 10:00, 25..27 kept.
  std::map<std::string, RetentionPartition::Fate> fates;
  for (const auto& part : run->partitions) {
    if (part.tenant == kDefaultTenant) fates[part.day] = part.fate;
    if (part.tenant == "keep") {
      EXPECT_EQ(part.fate, RetentionPartition::Fate::kKeep);
    }
  }
  using F = RetentionPartition::Fate;
  EXPECT_EQ(fates, (std::map<std::string, F>{{"2026-11-20", F::kDrop},
                                             {"2026-11-21", F::kDrop},
                                             {"2026-11-22", F::kDrop},
                                             {"2026-11-23", F::kDrop},
                                             {"2026-11-24", F::kTrim},
                                             {"2026-11-25", F::kKeep},
                                             {"2026-11-26", F::kKeep},
                                             {"2026-11-27", F::kKeep}}));
  auto check = [&](Store* s) {
    auto counts = IdCounts(s);
    for (int id = 0; id < 178; ++id) EXPECT_EQ(counts[id], id >= first_kept ? 1 : 0) << id;
    for (int id = 1000; id < 1005; ++id) EXPECT_EQ(counts[id], 0) << id;
    EXPECT_EQ(IdCounts(s, "keep").size(), 178u);
  };
  check(store.get());
  EXPECT_FALSE(env_.FileExists(JoinPath(kDir, "t=default/d=2026-11-20")));
  EXPECT_TRUE(env_.FileExists(JoinPath(kDir, "t=keep/d=2026-11-20")));
  StoreStats st = store->Stats();
  EXPECT_EQ(st.counters.retention_runs, 1u);
  EXPECT_EQ(st.counters.expired_records, 111u);
  store.reset();
  store = Open();
  check(store.get());
  EXPECT_EQ(store->Stats().counters.retention_runs, 1u);
  // A second run has nothing to do.
  run = store->ApplyRetention(p);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->records_removed, 0u);
  EXPECT_EQ(store->Stats().counters.retention_runs, 2u);
}

TEST_F(RetentionTest, SizeLimitDropsOldestDaysAndDryRunPredictsIt) {
  auto store = Open();
  Fill(store.get());
  ASSERT_TRUE(store->Flush().ok());
  const StoreStats before = store->Stats();
  uint64_t newest_two = 0;
  for (const auto& part : before.partitions) {
    if (part.day >= "2026-11-26") newest_two += part.bytes;
  }
  RetentionPolicy p;
  p.max_bytes = newest_two;  // both tenants' two newest days fit exactly
  auto dry = store->ApplyRetention(p, true);
  ASSERT_TRUE(dry.ok());
  auto run = store->ApplyRetention(p);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(dry->records_removed, run->records_removed);
  EXPECT_EQ(dry->bytes_after, run->bytes_after);
  EXPECT_EQ(run->bytes_after, newest_two);
  StoreStats after = store->Stats();
  EXPECT_EQ(after.segment_bytes, newest_two);
  for (const auto& part : after.partitions) EXPECT_GE(part.day, "2026-11-26") << part.day;
  auto counts = IdCounts(store.get());
  const int first_kept = static_cast<int>((*ParseRfc3339("2026-11-26T00:00:00Z") - kDay20) / kHour);
  for (int id = 0; id < 178; ++id) EXPECT_EQ(counts[id], id >= first_kept ? 1 : 0) << id;
}

TEST_F(RetentionTest, TenantSizeOverride) {
  auto store = Open();
  Fill(store.get());
  ASSERT_TRUE(store->Flush().ok());
  RetentionPolicy p;
  p.tenant_max_bytes["keep"] = 1;  // less than any partition: all of it goes
  auto run = store->ApplyRetention(p);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_TRUE(IdCounts(store.get(), "keep").empty());
  EXPECT_EQ(IdCounts(store.get()).size(), 183u);
  EXPECT_FALSE(env_.FileExists(JoinPath(kDir, "t=keep")));
}

TEST_F(RetentionTest, ReadOnlyStoreCanOnlyDryRun) {
  auto store = Open();
  Fill(store.get());
  store.reset();
  auto ro = Open(true);
  RetentionPolicy p;
  p.max_age_ns = kDay;
  EXPECT_TRUE(absl::IsFailedPrecondition(ro->ApplyRetention(p).status()));
  auto dry = ro->ApplyRetention(p, true);
  ASSERT_TRUE(dry.ok()) << dry.status();
  EXPECT_GT(dry->records_removed + dry->memtable_records_expired, 0u);
}

TEST_F(RetentionTest, ASnapshotTakenBeforeARunStillReadsEverything) {
  auto store = Open();
  Fill(store.get());
  ASSERT_TRUE(store->Flush().ok());
  auto snap = store->Snapshot(kDefaultTenant, INT64_MIN, INT64_MAX);
  ASSERT_TRUE(snap.ok());
  RetentionPolicy p;
  p.max_age_ns = kHour;
  ASSERT_TRUE(store->ApplyRetention(p).ok());
  uint64_t rows = 0;
  RecordBatch b;
  for (const auto& src : (*snap)->sources) {
    for (size_t i = 0; i < src->num_blocks(); ++i) {
      ASSERT_TRUE(src->ReadBlock(i, &b).ok());
      rows += b.num_rows();
    }
  }
  EXPECT_EQ(rows, 183u);
  snap->reset();
  EXPECT_EQ(testing::SegmentFiles(&env_, kDir), testing::ManifestPaths(&env_, kDir));
}

}  // namespace
}  // namespace lode::storage
