#include "query/query_cursor.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"

#include "common/strings.h"
#include "common/time_util.h"
#include "query/parser.h"
#include "query/query_runner.h"
#include "storage/env.h"
#include "storage/store.h"
#include "tests/query/temp_dir.h"
#include "tests/testing/record_util.h"

namespace lode::query {
namespace {

Filter Compile(std::string_view text) {
  absl::StatusOr<Query> q = ParseQuery(text);
  EXPECT_TRUE(q.ok()) << q.status();
  return Filter::Compile(*q->filter);
}

std::unique_ptr<storage::Store> OpenStore(const std::string& dir, uint32_t block_rows) {
  storage::StoreOptions o;
  o.segment.block_rows = block_rows;
  auto s = storage::Store::Open(storage::Env::Default(), dir, o);
  EXPECT_TRUE(s.ok()) << s.status();
  return std::move(*s);
}

// All results of a cursor, as RowText lines.
std::vector<std::string> Drain(QueryCursor* c) {
  std::vector<std::string> out;
  RecordBatch b;
  while (c->Next(&b)) {
    EXPECT_GT(b.num_rows(), 0u);
    for (uint32_t r = 0; r < b.num_rows(); ++r) out.push_back(testing::RowText(b, r));
  }
  EXPECT_FALSE(c->Next(&b));
  return out;
}

// Times in RowText lines are the text before the first '|'.
int64_t TimeOf(const std::string& row_text) {
  return std::stoll(row_text.substr(0, row_text.find('|')));
}

class CursorRandomTest : public ::testing::TestWithParam<uint32_t> {};

// Several overlapping segments of random records (distinct times), small blocks; every
// combination of query, window and limit must give exactly the newest matching records.
TEST_P(CursorRandomTest, MatchesBruteForce) {
  const uint32_t block_rows = GetParam();
  testing::TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  auto store = OpenStore(dir.path(), block_rows);
  std::mt19937_64 rng(block_rows);
  std::vector<std::pair<int64_t, std::string>> all;  // (time, row text) of every record
  std::vector<RecordBatch> written;
  const int64_t day = 86400 * kNanosPerSecond;
  std::set<int64_t> seen;
  for (int s = 0; s < 6; ++s) {
    // Segments overlap in time; the last one spans two days (two partitions).
    const int64_t start = 20000 * day + static_cast<int64_t>(rng() % 3) * (day / 4);
    RecordBatch b =
        testing::RandomBatch(100 + s, 60 + rng() % 100, start, s == 5 ? 2 * day : day / 2);
    // Keep times distinct so newest-first order is unambiguous.
    RecordBatch unique;
    for (uint32_t r = 0; r < b.num_rows(); ++r) {
      if (seen.insert(b.time(r)).second) unique.AppendRowFrom(b, r);
    }
    ASSERT_TRUE(store->WriteSegments(unique).ok());
    written.push_back(std::move(unique));
  }
  const std::vector<std::string> queries = {
      "", "alpha", "error OR timeout", "-beta", "f1:* OR f2:>=0", "\"a b c\" -f3:*", "zzz"};
  const std::vector<std::pair<int64_t, int64_t>> windows = {
      {INT64_MIN, INT64_MAX},
      {20000 * day + day / 8, 20000 * day + day / 2},
      {20000 * day + day / 3, 20001 * day + day / 2}};
  FilterScratch scratch;
  for (const std::string& text : queries) {
    Filter f = Compile(text);
    for (auto [from, to] : windows) {
      std::vector<std::pair<int64_t, std::string>> want;
      for (const RecordBatch& b : written) {
        Selection sel(b.num_rows(), false);
        for (uint32_t r = 0; r < b.num_rows(); ++r) {
          if (b.time(r) >= from && b.time(r) < to) sel.Set(r);
        }
        f.Evaluate(b, &sel, &scratch);
        sel.ForEach([&](size_t r) { want.emplace_back(b.time(r), testing::RowText(b, r)); });
      }
      std::sort(want.begin(), want.end(),
                [](const auto& a, const auto& b) { return a.first > b.first; });
      for (uint64_t limit : {0, 1, 3, 50, 100000}) {
        SearchOptions o;
        o.from = from;
        o.to = to;
        o.limit = limit;
        auto c = QueryCursor::Open(store.get(), Compile(text), o);
        ASSERT_TRUE(c.ok()) << c.status();
        std::vector<std::string> got = Drain(c->get());
        const size_t n = limit == 0 ? want.size() : std::min<size_t>(limit, want.size());
        ASSERT_EQ(got.size(), n) << "query '" << text << "' limit " << limit;
        for (size_t i = 0; i < n; ++i) {
          ASSERT_EQ(got[i], want[i].second)
              << "query '" << text << "' limit " << limit << " #" << i;
        }
        auto counter = QueryCursor::Open(store.get(), Compile(text), o);
        ASSERT_TRUE(counter.ok());
        EXPECT_EQ((*counter)->Count(), want.size()) << text;
        EXPECT_TRUE((*c)->warnings().empty());
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(BlockSizes, CursorRandomTest, ::testing::Values(1u, 7u, 64u, 8192u));

// Sorted data in many blocks: a limited newest-first query reads only the newest blocks.
TEST(QueryCursorTest, LimitStopsEarly) {
  testing::TempDir dir;
  auto store = OpenStore(dir.path(), 100);
  RecordBatch b;
  for (int i = 0; i < 10000; ++i) {
    b.BeginRow();
    b.AddInt("i", i);
    b.EndRow(int64_t{1'700'000'000} * kNanosPerSecond + i, i % 2 == 0 ? "even" : "odd");
  }
  ASSERT_TRUE(store->WriteSegments(b).ok());
  SearchOptions o;
  o.limit = 150;
  auto c = QueryCursor::Open(store.get(), Compile("even"), o);
  ASSERT_TRUE(c.ok());
  std::vector<std::string> got = Drain(c->get());
  ASSERT_EQ(got.size(), 150u);
  EXPECT_EQ(TimeOf(got.front()), int64_t{1'700'000'000} * kNanosPerSecond + 9998);
  EXPECT_EQ(TimeOf(got.back()), int64_t{1'700'000'000} * kNanosPerSecond + 9700);  // 9998 - 2 * 149
  // 150 even rows need the newest 300 rows: 3 blocks of 100.
  EXPECT_EQ((*c)->stats().blocks_read, 3u);

  // A window in the middle reads only the blocks it overlaps.
  o.limit = 0;
  o.from = int64_t{1'700'000'000} * kNanosPerSecond + 5050;
  o.to = int64_t{1'700'000'000} * kNanosPerSecond + 5250;
  c = QueryCursor::Open(store.get(), Compile(""), o);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(Drain(c->get()).size(), 200u);
  EXPECT_EQ((*c)->stats().blocks_read, 3u);

  // Counting everything needs no block at all.
  c = QueryCursor::Open(store.get(), Compile("*"), SearchOptions{});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->Count(), 10000u);
  EXPECT_EQ((*c)->stats().blocks_read, 0u);
}

// A count needs no row's time for a block inside its window unless the filter has a _time term:
// the time column is then not decoded (and not counted in the bytes decompressed).
TEST(QueryCursorTest, CountDecodesTimesOnlyWhenNeeded) {
  testing::TempDir dir;
  auto store = OpenStore(dir.path(), 100);
  RecordBatch b;
  const int64_t t0 = int64_t{1'700'000'000} * kNanosPerSecond;
  for (int i = 0; i < 2000; ++i) {
    b.BeginRow();
    b.AddInt("i", i);
    b.EndRow(t0 + int64_t{i} * 1'000'003 + (i * i) % 977, "row");  // irregular steps
  }
  ASSERT_TRUE(store->WriteSegments(b).ok());
  auto count = [&](std::string_view text, const SearchOptions& o, uint64_t* bytes) {
    absl::StatusOr<Query> q = ParseQuery(text);
    EXPECT_TRUE(q.ok()) << q.status();
    // Planned (by the index), so that only the filter's columns are read.
    auto c = QueryCursor::Open(store.get(), *q->filter, o);
    EXPECT_TRUE(c.ok()) << c.status();
    const uint64_t n = (*c)->Count();
    EXPECT_TRUE((*c)->warnings().empty());
    EXPECT_EQ((*c)->stats().blocks_read, 20u) << text;
    *bytes = (*c)->stats().bytes_decompressed;
    return n;
  };
  uint64_t without_times, with_term, with_window;
  EXPECT_EQ(count("i:>=0", SearchOptions{}, &without_times), 2000u);
  // The same rows, with a _time term that holds for all of them.
  const std::string all_times = StrCat("i:>=0 _time:[", t0, ", ", t0 + 3 * kNanosPerSecond, ")");
  EXPECT_EQ(count(all_times, SearchOptions{}, &with_term), 2000u);
  EXPECT_GT(with_term, without_times);
  // A window that cuts through the first and the last block: those two need their times.
  SearchOptions cut;
  cut.from = t0 + 50 * int64_t{1'000'003};
  cut.to = t0 + 1950 * int64_t{1'000'003};
  EXPECT_EQ(count("i:>=0", cut, &with_window), 1900u);
  EXPECT_GT(with_window, without_times);
  EXPECT_LT(with_window, with_term);
}

// Rows with equal times: the later-written row of a segment first, deterministic.
TEST(QueryCursorTest, TiesAreDeterministic) {
  testing::TempDir dir;
  auto store = OpenStore(dir.path(), 3);
  RecordBatch b;
  for (int i = 0; i < 10; ++i) {
    b.BeginRow();
    b.EndRow(1000, "row" + std::to_string(i));
  }
  ASSERT_TRUE(store->WriteSegments(b).ok());
  for (uint64_t limit : {0, 4}) {
    SearchOptions o;
    o.limit = limit;
    auto c = QueryCursor::Open(store.get(), Compile(""), o);
    ASSERT_TRUE(c.ok());
    std::vector<std::string> got = Drain(c->get());
    ASSERT_EQ(got.size(), limit == 0 ? 10u : 4u);
    for (size_t i = 0; i < got.size(); ++i)
      EXPECT_EQ(got[i], "1000|row" + std::to_string(9 - i) + "|");
  }
}

// Flips one byte of `path` at `offset` from the end (negative) or the start.
void Corrupt(const std::string& path, int64_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(0, std::ios::end);
  const int64_t size = f.tellg();
  const int64_t at = offset < 0 ? size + offset : offset;
  f.seekg(at);
  char c;
  f.read(&c, 1);
  c ^= 0x5a;
  f.seekp(at);
  f.write(&c, 1);
}

std::vector<std::string> SegmentFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.path().extension() == ".lode") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(QueryCursorTest, CorruptDataIsSkippedWithAWarning) {
  testing::TempDir dir;
  auto store = OpenStore(dir.path(), 8192);
  for (int s = 0; s < 3; ++s) {
    RecordBatch b;
    b.BeginRow();
    b.EndRow(int64_t{1'700'000'000} * kNanosPerSecond + s, "segment" + std::to_string(s));
    ASSERT_TRUE(store->WriteSegments(b).ok());
  }
  std::vector<std::string> files = SegmentFiles(dir.path());
  ASSERT_EQ(files.size(), 3u);
  // A data byte just after the header magic: that block's checksum fails.
  Corrupt(files[1], 8);
  // The trailer magic: the segment does not open at all.
  Corrupt(files[2], -1);

  // A fresh store, so no reader is cached from before the damage.
  store.reset();
  auto fresh = OpenStore(dir.path(), 8192);
  QueryRequest req;
  std::string out, err;
  int rc = RunQuery(
      fresh.get(), req, [&](std::string_view s) { out.append(s); },
      [&](std::string_view s) { err.append(s); });
  EXPECT_EQ(rc, kQueryIncomplete);
  EXPECT_NE(out.find("segment0"), std::string::npos) << out;
  EXPECT_EQ(out.find("segment1"), std::string::npos) << out;
  EXPECT_NE(err.find(files[1]), std::string::npos) << err;
  EXPECT_NE(err.find(files[2]), std::string::npos) << err;
  EXPECT_NE(err.find("2 segment(s) or block(s) could not be read"), std::string::npos) << err;
}

TEST(QueryCursorTest, BadTenantIsAnError) {
  testing::TempDir dir;
  auto store = OpenStore(dir.path(), 8192);
  SearchOptions o;
  o.tenant = "../etc";
  EXPECT_EQ(QueryCursor::Open(store.get(), Compile("x"), o).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace lode::query
