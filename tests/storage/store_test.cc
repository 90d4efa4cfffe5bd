#include "storage/store.h"

#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

#include "common/time_util.h"
#include "storage/fault_injection_env.h"
#include "storage/mem_env.h"
#include "storage/wal.h"
#include "tests/testing/record_util.h"

namespace lode::storage {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kDay = 86400 * kNanosPerSecond;
const int64_t kT0 = *ParseRfc3339("2026-11-25T00:00:00Z");

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("lode_store_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Store> OpenStore(StoreOptions o = {}) {
    o.background = false;  // flushes happen when a test asks
    auto s = Store::Open(Env::Default(), dir_.string(), o);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }

  // All rows of `tenant` visible in a snapshot, sorted, and the snapshot's source names.
  std::vector<std::string> Rows(Store* store, std::string_view tenant = kDefaultTenant,
                                int64_t from = INT64_MIN, int64_t to = INT64_MAX,
                                std::vector<std::string>* names = nullptr) {
    auto snap = store->Snapshot(tenant, from, to);
    EXPECT_TRUE(snap.ok());
    std::vector<std::string> rows;
    RecordBatch b;
    for (const auto& src : (*snap)->sources) {
      if (names != nullptr) names->push_back(src->name());
      for (size_t i = 0; i < src->num_blocks(); ++i) {
        EXPECT_TRUE(src->ReadBlock(i, &b).ok());
        for (uint32_t r = 0; r < b.num_rows(); ++r) {
          if (b.time(r) >= from && b.time(r) < to) rows.push_back(lode::testing::RowText(b, r));
        }
      }
    }
    std::sort(rows.begin(), rows.end());
    return rows;
  }

  static std::vector<std::string> Sorted(const RecordBatch& b) {
    auto rows = lode::testing::AllRows(b);
    std::sort(rows.begin(), rows.end());
    return rows;
  }

  std::vector<std::string> WalFiles() {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_ / "wal")) out.push_back(e.path().string());
    std::sort(out.begin(), out.end());
    return out;
  }

  fs::path dir_;
};

TEST_F(StoreTest, BulkWritePartitionsByDayAndPrunes) {
  auto store = OpenStore();
  RecordBatch b = lode::testing::RandomBatch(5, 3000, kT0, 3 * kDay);
  auto w = store->WriteSegments(b);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->records, 3000u);
  EXPECT_EQ(w->segments, 3u);
  for (const char* day : {"d=2026-11-25", "d=2026-11-26", "d=2026-11-27"}) {
    EXPECT_TRUE(fs::exists(dir_ / "t=default" / day)) << day;
  }
  EXPECT_EQ(Rows(store.get()), Sorted(b));
  // A window inside the second day touches only that day's segment.
  std::vector<std::string> names;
  Rows(store.get(), kDefaultTenant, kT0 + kDay + kDay / 2, kT0 + kDay + kDay / 2 + 1000, &names);
  ASSERT_EQ(names.size(), 1u);
  EXPECT_NE(names[0].find("d=2026-11-26"), std::string::npos);
  // Newest first; the manifest brings them back after a reopen.
  auto snap = store->Snapshot(kDefaultTenant, INT64_MIN, INT64_MAX);
  ASSERT_EQ((*snap)->sources.size(), 3u);
  EXPECT_GT((*snap)->sources[0]->meta().max_time, (*snap)->sources[1]->meta().max_time);
  store.reset();
  store = OpenStore();
  EXPECT_EQ(Rows(store.get()), Sorted(b));
}

TEST_F(StoreTest, WritesAreVisibleAtOnceAndSurviveReopenThroughTheWal) {
  auto store = OpenStore();
  RecordBatch a = lode::testing::RandomBatch(6, 500, kT0, 2 * kDay);
  RecordBatch b = lode::testing::RandomBatch(7, 300, kT0, kDay);
  ASSERT_TRUE(store->Write(a).ok());
  ASSERT_TRUE(store->Write(b, "other").ok());
  EXPECT_EQ(Rows(store.get()), Sorted(a));
  EXPECT_EQ(Rows(store.get(), "other"), Sorted(b));
  std::vector<std::string> names;
  Rows(store.get(), kDefaultTenant, INT64_MIN, INT64_MAX, &names);
  for (const auto& n : names) EXPECT_EQ(n.rfind("memtable:", 0), 0u) << n;
  store.reset();  // no flush: the records live only in the WAL now
  store = OpenStore();
  EXPECT_EQ(store->recovery().wal_records, 800u);
  EXPECT_EQ(Rows(store.get()), Sorted(a));
  EXPECT_EQ(Rows(store.get(), "other"), Sorted(b));
}

TEST_F(StoreTest, FlushMovesRecordsToSegmentsAndDrainsTheWal) {
  auto store = OpenStore();
  RecordBatch a = lode::testing::RandomBatch(8, 400, kT0, kDay);
  ASSERT_TRUE(store->Write(a).ok());
  ASSERT_TRUE(store->Flush().ok());
  std::vector<std::string> names;
  EXPECT_EQ(Rows(store.get(), kDefaultTenant, INT64_MIN, INT64_MAX, &names), Sorted(a));
  ASSERT_EQ(names.size(), 1u);
  EXPECT_NE(names[0].find(".lode"), std::string::npos);
  EXPECT_EQ(store->Stats().memtable_records, 0u);
  // Only the fresh, empty generation is left.
  auto wal = WalFiles();
  ASSERT_EQ(wal.size(), 1u);
  EXPECT_EQ(fs::file_size(wal[0]), kWalHeaderSize);
  RecordBatch b = lode::testing::RandomBatch(9, 100, kT0, kDay);
  ASSERT_TRUE(store->Write(b).ok());
  store.reset();
  store = OpenStore();
  EXPECT_EQ(store->recovery().wal_records, 100u);
  auto all = Sorted(a);
  auto more = Sorted(b);
  all.insert(all.end(), more.begin(), more.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(Rows(store.get()), all);
}

TEST_F(StoreTest, TornWalTailIsDiscarded) {
  auto store = OpenStore();
  std::vector<std::string> want;
  for (uint32_t i = 0; i < 3; ++i) {
    RecordBatch b = lode::testing::RandomBatch(10 + i, 50, kT0, kDay);
    ASSERT_TRUE(store->Write(b).ok());
    for (auto& r : Sorted(b)) want.push_back(r);
  }
  std::sort(want.begin(), want.end());
  store.reset();
  auto wal = WalFiles();
  ASSERT_EQ(wal.size(), 1u);
  // A frame that was being appended when the power went: a header promising more than is there.
  std::ofstream(wal[0], std::ios::app | std::ios::binary)
      << std::string("\x40\x00\x00\x00\x12\x34", 6);
  store = OpenStore();
  EXPECT_EQ(store->recovery().wal_torn_bytes, 6u);
  EXPECT_EQ(store->recovery().wal_corrupt_frames, 0u);
  EXPECT_EQ(Rows(store.get()), want);
}

TEST_F(StoreTest, CorruptWalFrameInTheMiddleIsReportedAndTheRestKept) {
  auto store = OpenStore();
  std::vector<RecordBatch> batches;
  for (uint32_t i = 0; i < 3; ++i) {
    batches.push_back(lode::testing::RandomBatch(20 + i, 40, kT0, kDay));
    ASSERT_TRUE(store->Write(batches.back()).ok());
  }
  store.reset();
  auto wal = WalFiles();
  ASSERT_EQ(wal.size(), 1u);
  // Flip a byte inside the second frame's payload.
  std::string bytes;
  {
    std::ifstream in(wal[0], std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  size_t first = kWalHeaderSize;
  uint32_t len1;
  std::memcpy(&len1, bytes.data() + first, 4);
  size_t second = first + 8 + len1;
  bytes[second + 20] ^= 0x55;
  std::ofstream(wal[0], std::ios::binary | std::ios::trunc) << bytes;
  store = OpenStore();
  EXPECT_EQ(store->recovery().wal_corrupt_frames, 1u);
  ASSERT_EQ(store->recovery().errors.size(), 1u);
  EXPECT_NE(store->recovery().errors[0].find(".wal"), std::string::npos);
  auto want = Sorted(batches[0]);
  for (auto& r : Sorted(batches[2])) want.push_back(r);
  std::sort(want.begin(), want.end());
  EXPECT_EQ(Rows(store.get()), want);
}

TEST_F(StoreTest, OneWriterAtATimeReadersBeside) {
  auto store = OpenStore();
  RecordBatch a = lode::testing::RandomBatch(30, 20, kT0, kDay);
  ASSERT_TRUE(store->Write(a).ok());
  auto second = Store::Open(Env::Default(), dir_.string());
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(second.status())) << second.status();
  StoreOptions ro;
  ro.read_only = true;
  auto reader = Store::Open(Env::Default(), dir_.string(), ro);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(Rows(reader->get()), Sorted(a));  // from the writer's WAL
  EXPECT_FALSE((*reader)->Write(a).ok());
  StoreOptions missing;
  missing.read_only = true;
  EXPECT_TRUE(
      absl::IsNotFound(Store::Open(Env::Default(), (dir_ / "nope").string(), missing).status()));
}

TEST_F(StoreTest, TenantsAreValidated) {
  auto store = OpenStore();
  RecordBatch a = lode::testing::RandomBatch(31, 10, kT0, 1000);
  EXPECT_FALSE(store->Write(a, "../etc").ok());
  EXPECT_FALSE(store->Write(a, "").ok());
  EXPECT_FALSE(store->WriteSegments(a, "a/b").ok());
  EXPECT_FALSE(store->Snapshot("x y", 0, 1).ok());
}

TEST_F(StoreTest, CorruptSegmentIsReportedAndTheRestServed) {
  auto store = OpenStore();
  RecordBatch b = lode::testing::RandomBatch(32, 100, kT0, 2 * kDay);
  ASSERT_TRUE(store->WriteSegments(b).ok());
  store.reset();
  fs::path victim;
  for (const auto& e : fs::recursive_directory_iterator(dir_ / "t=default")) {
    if (e.path().extension() == ".lode") victim = e.path();
  }
  ASSERT_FALSE(victim.empty());
  std::ofstream(victim, std::ios::binary | std::ios::trunc) << "garbage";
  store = OpenStore();
  auto snap = store->Snapshot(kDefaultTenant, INT64_MIN, INT64_MAX);
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ((*snap)->sources.size(), 1u);
  ASSERT_EQ((*snap)->errors.size(), 1u);
  EXPECT_NE((*snap)->errors[0].find(victim.filename().string()), std::string::npos);
}

TEST_F(StoreTest, SegmentsWithoutManifestAreAdoptedAndOrphansRemoved) {
  // A directory from before the manifest existed: segments only.
  RecordBatch b = lode::testing::RandomBatch(33, 200, kT0, kDay / 2);
  fs::create_directories(dir_ / "t=default" / "d=2026-11-25");
  RecordBatch sorted = b.Select(b.TimeOrder());
  ASSERT_TRUE(
      WriteSegment(Env::Default(), (dir_ / "t=default/d=2026-11-25/old.lode").string(), sorted, {})
          .ok());
  auto store = OpenStore();
  EXPECT_EQ(Rows(store.get()), Sorted(b));
  store.reset();
  // Now with a manifest: a segment it does not name (a flush that crashed before its manifest)
  // and a temp file are removed at open.
  ASSERT_TRUE(WriteSegment(Env::Default(), (dir_ / "t=default/d=2026-11-25/stray.lode").string(),
                           sorted, {})
                  .ok());
  std::ofstream(dir_ / "t=default/d=2026-11-25/x.lode.tmp") << "partial";
  store = OpenStore();
  EXPECT_EQ(store->recovery().orphan_files_removed, 2u);
  EXPECT_FALSE(fs::exists(dir_ / "t=default/d=2026-11-25/stray.lode"));
  EXPECT_EQ(Rows(store.get()), Sorted(b));
}

TEST_F(StoreTest, ConcurrentWritersEachAcknowledgedOnce) {
  auto store = OpenStore();
  constexpr int kThreads = 8, kWrites = 40;
  std::vector<std::thread> threads;
  std::vector<std::vector<std::string>> sent(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        RecordBatch b;
        b.BeginRow();
        b.AddInt("thread", t);
        b.AddInt("seq", i);
        b.EndRow(kT0 + i, "m" + std::to_string(t) + "-" + std::to_string(i));
        if (store->Write(b).ok()) sent[t].push_back(lode::testing::RowText(b, 0));
        if (t == 0 && i == kWrites / 2) {
          ASSERT_TRUE(store->Flush().ok());
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  std::vector<std::string> want;
  for (auto& s : sent) want.insert(want.end(), s.begin(), s.end());
  std::sort(want.begin(), want.end());
  ASSERT_EQ(want.size(), static_cast<size_t>(kThreads * kWrites));
  EXPECT_EQ(Rows(store.get()), want);
  store.reset();
  store = OpenStore();
  EXPECT_EQ(Rows(store.get()), want);
}

}  // namespace
}  // namespace lode::storage

namespace lode::storage {
namespace {

// A batch whose WAL sync failed was answered with an error; it must not come back at the next
// open (the client retries it, and would then have it twice).
TEST(StoreFailedWriteTest, FailedSyncLeavesNoPhantomRecords) {
  MemEnv mem;
  FaultInjectionEnv env(&mem);
  StoreOptions o;
  o.background = false;
  RecordBatch ok_batch = lode::testing::RandomBatch(40, 5, kT0, 1000);
  RecordBatch failed = lode::testing::RandomBatch(41, 7, kT0, 1000);
  {
    auto store = Store::Open(&env, "/data", o);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->Write(ok_batch).ok());
    env.FailAfter(FaultInjectionEnv::Op::kSync, 1, absl::UnavailableError("injected"));
    EXPECT_FALSE((*store)->Write(failed).ok());
    env.ClearFailures();
  }
  auto store = Store::Open(&env, "/data", o);
  ASSERT_TRUE(store.ok()) << store.status();
  auto snap = (*store)->Snapshot(kDefaultTenant, INT64_MIN, INT64_MAX);
  ASSERT_TRUE(snap.ok());
  uint64_t rows = 0;
  for (const auto& src : (*snap)->sources) rows += src->meta().num_records;
  EXPECT_EQ(rows, 5u);
}

}  // namespace
}  // namespace lode::storage

namespace lode::storage {
namespace {

// Random bit flips and truncations anywhere in a WAL: the store opens, reports what it dropped,
// and serves every record of every frame the damage did not touch, never more than was written.
TEST(StoreWalDamageTest, RandomFlipsAndTruncations) {
  std::mt19937 rng(99);
  for (int trial = 0; trial < 40; ++trial) {
    MemEnv mem;
    StoreOptions o;
    o.background = false;
    std::vector<RecordBatch> batches;
    {
      auto store = Store::Open(&mem, "/d", o);
      ASSERT_TRUE(store.ok());
      for (uint32_t i = 0; i < 6; ++i) {
        batches.push_back(lode::testing::RandomBatch(100 + trial * 10 + i, 20, kT0, kDay / 2));
        ASSERT_TRUE((*store)->Write(batches.back()).ok());
      }
    }
    auto names = mem.ListDir("/d/wal");
    ASSERT_TRUE(names.ok());
    ASSERT_EQ(names->size(), 1u);
    const std::string path = "/d/wal/" + (*names)[0];
    std::string bytes;
    ASSERT_TRUE(mem.ReadFileToString(path, &bytes).ok());
    if (trial % 4 == 3) {
      bytes.resize(kWalHeaderSize + rng() % (bytes.size() - kWalHeaderSize));
    } else {
      for (int f = 0; f < 1 + trial % 3; ++f) {
        size_t pos = kWalHeaderSize + rng() % (bytes.size() - kWalHeaderSize);
        bytes[pos] = static_cast<char>(bytes[pos] ^ (1 << (rng() % 8)));
      }
    }
    auto w = mem.NewWritableFile(path);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Append(bytes).ok());
    ASSERT_TRUE((*w)->Close().ok());

    auto store = Store::Open(&mem, "/d", o);
    ASSERT_TRUE(store.ok()) << store.status();
    std::multiset<std::string> written;
    for (const auto& b : batches) {
      for (auto& r : lode::testing::AllRows(b)) written.insert(r);
    }
    auto snap = (*store)->Snapshot(kDefaultTenant, INT64_MIN, INT64_MAX);
    ASSERT_TRUE(snap.ok());
    RecordBatch b;
    size_t seen = 0;
    for (const auto& src : (*snap)->sources) {
      for (size_t i = 0; i < src->num_blocks(); ++i) {
        ASSERT_TRUE(src->ReadBlock(i, &b).ok());
        for (uint32_t r = 0; r < b.num_rows(); ++r) {
          auto it = written.find(lode::testing::RowText(b, r));
          ASSERT_NE(it, written.end()) << "a record that was never written, trial " << trial;
          written.erase(it);
          ++seen;
        }
      }
    }
    const RecoveryInfo& rec = (*store)->recovery();
    // Each flip damages at most one frame (20 records); a truncation drops the tail only.
    if (trial % 4 != 3) {
      EXPECT_GE(seen, 120u - 20u * (1 + trial % 3)) << trial;
      EXPECT_LE(rec.wal_corrupt_frames + (rec.wal_torn_bytes > 0 ? 1 : 0),
                static_cast<uint64_t>(1 + trial % 3))
          << trial;
    }
    if (seen < 120) {
      EXPECT_TRUE(rec.wal_corrupt_frames > 0 || rec.wal_torn_bytes > 0) << trial;
    }
  }
}

}  // namespace
}  // namespace lode::storage
