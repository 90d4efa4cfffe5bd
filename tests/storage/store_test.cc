#include "storage/store.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

#include "common/time_util.h"
#include "tests/testing/record_util.h"

namespace lode::storage {
namespace {

constexpr int64_t kDay = 86400 * kNanosPerSecond;
const int64_t kT0 = *ParseRfc3339("2026-11-25T00:00:00Z");

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lode_store_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::vector<std::string> ReadSnapshot(Store* store, int64_t from, int64_t to,
                                        std::string_view tenant = kDefaultTenant) {
    auto snap = store->Snapshot(tenant, from, to);
    EXPECT_TRUE(snap.ok());
    std::vector<std::string> rows;
    RecordBatch b;
    for (const auto& seg : *snap) {
      for (size_t i = 0; i < seg->num_blocks(); ++i) {
        EXPECT_TRUE(seg->ReadBlock(i, &b).ok());
        for (uint32_t r = 0; r < b.num_rows(); ++r) {
          if (b.time(r) >= from && b.time(r) < to) rows.push_back(lode::testing::RowText(b, r));
        }
      }
    }
    std::sort(rows.begin(), rows.end());
    return rows;
  }

  std::filesystem::path dir_;
};

TEST_F(StoreTest, PartitionsByDayAndPrunes) {
  auto store = Store::Open(Env::Default(), dir_.string());
  ASSERT_TRUE(store.ok());
  RecordBatch b = lode::testing::RandomBatch(5, 3000, kT0, 3 * kDay);
  auto w = (*store)->Write(b);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->records, 3000u);
  EXPECT_EQ(w->segments, 3u);
  for (const char* day : {"d=2026-11-25", "d=2026-11-26", "d=2026-11-27"}) {
    EXPECT_TRUE(std::filesystem::exists(dir_ / "t=default" / day)) << day;
  }
  auto all = lode::testing::AllRows(b);
  std::sort(all.begin(), all.end());
  EXPECT_EQ(ReadSnapshot(store->get(), INT64_MIN, INT64_MAX), all);

  // A window inside the second day touches only that day's segment.
  auto snap = (*store)->Snapshot(kDefaultTenant, kT0 + kDay + kDay / 2,
                                 kT0 + kDay + kDay / 2 + kNanosPerSecond);
  ASSERT_TRUE(snap.ok());
  ASSERT_EQ(snap->size(), 1u);
  EXPECT_NE((*snap)[0]->path().find("d=2026-11-26"), std::string::npos);

  // Newest first.
  auto every = (*store)->Snapshot(kDefaultTenant, INT64_MIN, INT64_MAX);
  ASSERT_EQ(every->size(), 3u);
  EXPECT_GT((*every)[0]->meta().max_time, (*every)[1]->meta().max_time);
}

TEST_F(StoreTest, TenantsAreSeparate) {
  auto store = Store::Open(Env::Default(), dir_.string());
  ASSERT_TRUE(store.ok());
  RecordBatch a = lode::testing::RandomBatch(6, 10, kT0, 1000);
  RecordBatch b = lode::testing::RandomBatch(7, 20, kT0, 1000);
  ASSERT_TRUE((*store)->Write(a, "acme").ok());
  ASSERT_TRUE((*store)->Write(b, "globex").ok());
  EXPECT_EQ(ReadSnapshot(store->get(), INT64_MIN, INT64_MAX, "acme").size(), 10u);
  EXPECT_EQ(ReadSnapshot(store->get(), INT64_MIN, INT64_MAX, "globex").size(), 20u);
  EXPECT_EQ(ReadSnapshot(store->get(), INT64_MIN, INT64_MAX).size(), 0u);
  EXPECT_FALSE((*store)->Write(a, "../etc").ok());
  EXPECT_FALSE((*store)->Write(a, "").ok());
}

TEST_F(StoreTest, CorruptSegmentIsReportedAndSkipped) {
  auto store = Store::Open(Env::Default(), dir_.string());
  ASSERT_TRUE(store.ok());
  RecordBatch good = lode::testing::RandomBatch(8, 50, kT0, 1000);
  ASSERT_TRUE((*store)->Write(good).ok());
  std::ofstream(dir_ / "t=default" / "d=2026-11-25" / "zzzz-bad.lode") << "garbage";
  std::vector<std::string> errors;
  auto snap = (*store)->Snapshot(kDefaultTenant, INT64_MIN, INT64_MAX, &errors);
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->size(), 1u);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("zzzz-bad.lode"), std::string::npos) << errors[0];
}

}  // namespace
}  // namespace lode::storage
