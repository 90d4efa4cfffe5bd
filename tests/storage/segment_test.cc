#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>
#include <unistd.h>

#include "common/time_util.h"
#include "storage/segment_reader.h"
#include "storage/segment_writer.h"
#include "tests/testing/record_util.h"

namespace lode::storage {
namespace {

class SegmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lode_segment_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Reads every block of the segment at `path` and returns the rows' canonical text.
  absl::StatusOr<std::vector<std::string>> ReadAll(const std::string& path) {
    auto r = SegmentReader::Open(Env::Default(), path);
    if (!r.ok()) return r.status();
    std::vector<std::string> rows;
    RecordBatch b;
    for (size_t i = 0; i < (*r)->num_blocks(); ++i) {
      absl::Status s = (*r)->ReadBlock(i, &b);
      if (!s.ok()) return s;
      for (auto& t : lode::testing::AllRows(b)) rows.push_back(std::move(t));
    }
    return rows;
  }

  std::filesystem::path dir_;
};

RecordBatch SortedRandom(uint32_t seed, size_t n) {
  RecordBatch b =
      lode::testing::RandomBatch(seed, n, 1'700'000'000 * kNanosPerSecond, 3600 * kNanosPerSecond);
  return b.Select(b.TimeOrder());
}

TEST_F(SegmentTest, RoundTripAcrossBlocks) {
  RecordBatch b = SortedRandom(1, 20000);
  SegmentWriterOptions opt;
  opt.block_rows = 3000;  // several blocks, the last one partial
  const std::string path = dir_ / "a.lode";
  SegmentMeta meta;
  ASSERT_TRUE(WriteSegment(Env::Default(), path, b, opt, &meta).ok());
  EXPECT_EQ(meta.blocks.size(), 7u);
  auto r = SegmentReader::Open(Env::Default(), path);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)->meta().num_records, 20000u);
  EXPECT_EQ((*r)->meta().min_time, b.time(0));
  EXPECT_EQ((*r)->meta().max_time, b.time(b.num_rows() - 1));
  for (const BlockMeta& bm : (*r)->meta().blocks) EXPECT_LE(bm.min_time, bm.max_time);
  auto rows = ReadAll(path);
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(*rows, lode::testing::AllRows(b));
}

TEST_F(SegmentTest, EmptyMessagesAndNoFields) {
  RecordBatch b;
  for (int i = 0; i < 10; ++i) {
    b.BeginRow();
    b.EndRow(i, "");
  }
  const std::string path = dir_ / "e.lode";
  ASSERT_TRUE(WriteSegment(Env::Default(), path, b, {}).ok());
  auto rows = ReadAll(path);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(*rows, lode::testing::AllRows(b));
}

TEST_F(SegmentTest, NotASegment) {
  const std::string path = dir_ / "junk.lode";
  std::ofstream(path) << "hello, this is not a segment at all, but it is long enough to try";
  auto r = SegmentReader::Open(Env::Default(), path);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::IsDataLoss(r.status())) << r.status();
  EXPECT_NE(r.status().message().find("junk.lode"), absl::string_view::npos);
}

// Every single-byte corruption is either detected (DataLoss naming the file) or harmless (the
// data reads back unchanged); never a crash or wrong data.
TEST_F(SegmentTest, BitFlipsAreDetectedOrHarmless) {
  RecordBatch b = SortedRandom(2, 600);
  SegmentWriterOptions opt;
  opt.block_rows = 200;
  const std::string bytes = EncodeSegment(b, opt);
  const auto want = lode::testing::AllRows(b);
  std::mt19937 rng(7);
  const std::string path = dir_ / "flip.lode";
  int detected = 0;
  for (int trial = 0; trial < 400; ++trial) {
    std::string bad = bytes;
    size_t pos = trial < 64 ? bad.size() - 1 - trial : rng() % bad.size();  // trailer + random
    bad[pos] = static_cast<char>(bad[pos] ^ (1 << (rng() % 8)));
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(bad.data(), bad.size());
    auto rows = ReadAll(path);
    if (rows.ok()) {
      EXPECT_EQ(*rows, want) << "undetected corruption at byte " << pos;
    } else {
      ++detected;
      EXPECT_TRUE(absl::IsDataLoss(rows.status()) || absl::IsOutOfRange(rows.status()))
          << rows.status();
    }
  }
  EXPECT_GT(detected, 350);
}

TEST_F(SegmentTest, TruncationsAreDetected) {
  RecordBatch b = SortedRandom(3, 300);
  const std::string bytes = EncodeSegment(b, {});
  const std::string path = dir_ / "trunc.lode";
  for (size_t len : {size_t{0}, size_t{7}, size_t{39}, bytes.size() / 2, bytes.size() - 1}) {
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), len);
    auto rows = ReadAll(path);
    EXPECT_FALSE(rows.ok()) << len;
    EXPECT_TRUE(absl::IsDataLoss(rows.status())) << rows.status();
  }
}

}  // namespace
}  // namespace lode::storage
