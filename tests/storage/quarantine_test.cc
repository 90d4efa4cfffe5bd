// Corrupt segments: reported by file and block, moved to DIR/quarantine with a reason file,
// counted, their readable blocks kept; never a crash, never a silent skip.
#include <gtest/gtest.h>

#include "storage/mem_env.h"
#include "storage/segment_reader.h"
#include "storage/store.h"
#include "tests/storage/store_testing.h"

namespace lode::storage {
namespace {

using testing::IdBatch;
using testing::kHour;

const std::string kDir = "/data";
const int64_t kT0 = *ParseRfc3339("2026-11-25T00:00:00Z");

class QuarantineTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> Open(bool read_only = false) {
    StoreOptions o;
    o.background = false;
    o.read_only = read_only;
    o.segment.block_rows = 50;
    auto s = Store::Open(&env_, kDir, o);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }
  // The only segment of day 2026-11-25.
  std::string SegmentOfFirstDay() {
    for (const std::string& f : testing::SegmentFiles(&env_, kDir)) {
      if (f.find("d=2026-11-25") != std::string::npos) return f;
    }
    ADD_FAILURE() << "no segment";
    return "";
  }
  // Flips a byte inside the first chunk of block `block` of the segment at `rel`.
  void CorruptBlock(const std::string& rel, size_t block) {
    const std::string path = JoinPath(kDir, rel);
    uint64_t offset;
    {
      auto r = SegmentReader::Open(&env_, path);
      ASSERT_TRUE(r.ok()) << r.status();
      ASSERT_GT((*r)->num_blocks(), block);
      auto chunks = (*r)->Chunks(block);
      ASSERT_TRUE(chunks.ok()) << chunks.status();
      const ChunkMeta& c = (**chunks)[0];
      offset = c.offset + c.stored_len / 2;
    }
    std::string bytes;
    ASSERT_TRUE(env_.ReadFileToString(path, &bytes).ok());
    bytes[offset] ^= 0x5a;
    Rewrite(path, bytes);
  }
  void Rewrite(const std::string& path, const std::string& bytes) {
    auto f = env_.NewWritableFile(path);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Append(bytes).ok());
    ASSERT_TRUE((*f)->Close().ok());
  }
  MemEnv env_;
};

TEST_F(QuarantineTest, CorruptBlockIsReportedQuarantinedAndTheRestSalvaged) {
  auto store = Open();
  // 200 records on day one (4 blocks of 50), 100 on day two.
  ASSERT_TRUE(store->WriteSegments(IdBatch(0, 200, kT0, kHour / 10)).ok());
  ASSERT_TRUE(store->WriteSegments(IdBatch(200, 100, kT0 + 24 * kHour, kHour / 10)).ok());
  const std::string victim = SegmentOfFirstDay();
  store.reset();
  CorruptBlock(victim, 1);

  store = Open();
  // A query reads past the bad block and says which file and block it skipped.
  auto snap = store->Snapshot(kDefaultTenant, INT64_MIN, INT64_MAX);
  ASSERT_TRUE(snap.ok());
  std::vector<std::string> errors;
  uint64_t rows = 0;
  RecordBatch b;
  for (const auto& src : (*snap)->sources) {
    for (size_t i = 0; i < src->num_blocks(); ++i) {
      absl::Status s = src->ReadBlock(i, &b);
      if (s.ok()) {
        rows += b.num_rows();
      } else {
        EXPECT_TRUE(absl::IsDataLoss(s)) << s;
        errors.push_back(std::string(StatusMessage(s)));
      }
    }
  }
  EXPECT_EQ(rows, 250u);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find(victim), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find("block 1"), std::string::npos) << errors[0];
  snap->reset();

  auto n = store->QuarantineReported();
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 1u);
  std::string qname = victim;
  std::replace(qname.begin(), qname.end(), '/', '_');
  EXPECT_TRUE(env_.FileExists(JoinPath(kDir, "quarantine/" + qname)));
  std::string reason;
  ASSERT_TRUE(
      env_.ReadFileToString(JoinPath(kDir, "quarantine/" + qname + ".reason"), &reason).ok());
  EXPECT_NE(reason.find("block 1"), std::string::npos) << reason;
  EXPECT_NE(reason.find("records salvaged: 150"), std::string::npos) << reason;
  EXPECT_NE(reason.find("records lost: 50"), std::string::npos) << reason;
  EXPECT_FALSE(testing::ManifestPaths(&env_, kDir).count(victim));
  EXPECT_FALSE(env_.FileExists(JoinPath(kDir, victim)));

  // Queries now see the salvaged rows with no error; stats count the quarantined file.
  auto counts = testing::IdCounts(store.get());
  EXPECT_EQ(counts.size(), 250u);
  for (int id = 50; id < 100; ++id) EXPECT_EQ(counts.count(id), 0u) << id;
  StoreStats st = store->Stats();
  EXPECT_EQ(st.quarantined_files, 1u);
  EXPECT_EQ(st.counters.quarantined, 1u);
  store.reset();
  store = Open();
  EXPECT_EQ(testing::IdCounts(store.get()).size(), 250u);
  EXPECT_EQ(store->Stats().quarantined_files, 1u);
}

TEST_F(QuarantineTest, UnreadableFooterQuarantinesTheWholeSegmentOnCompaction) {
  auto store = Open();
  // Three segments of one day (300 records, 36 s apart).
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(store->WriteSegments(IdBatch(i * 100, 100, kT0, kHour / 100)).ok());
  }
  auto files = testing::SegmentFiles(&env_, kDir);
  ASSERT_EQ(files.size(), 3u);
  const std::string victim = *files.begin();
  store.reset();
  Rewrite(JoinPath(kDir, victim), "not a segment at all, not even close to one");

  store = Open();
  // Compaction finds it, leaves it out of the merge, and quarantines it.
  auto r = store->Compact();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->merges, 1u);
  EXPECT_EQ(r->input_segments, 2u);
  EXPECT_EQ(store->Stats().quarantined_files, 1u);
  EXPECT_EQ(store->Stats().segments, 1u);
  auto counts = testing::IdCounts(store.get());
  EXPECT_EQ(counts.size(), 200u);
  std::string qname = victim;
  std::replace(qname.begin(), qname.end(), '/', '_');
  std::string reason;
  ASSERT_TRUE(
      env_.ReadFileToString(JoinPath(kDir, "quarantine/" + qname + ".reason"), &reason).ok());
  EXPECT_NE(reason.find("records lost: 100"), std::string::npos) << reason;
}

TEST_F(QuarantineTest, MissingSegmentIsDroppedFromTheManifestWithATrace) {
  auto store = Open();
  ASSERT_TRUE(store->WriteSegments(IdBatch(0, 100, kT0, kHour / 10)).ok());
  const std::string victim = SegmentOfFirstDay();
  store.reset();
  ASSERT_TRUE(env_.RemoveFile(JoinPath(kDir, victim)).ok());
  store = Open();
  auto snap = store->Snapshot(kDefaultTenant, INT64_MIN, INT64_MAX);
  ASSERT_TRUE(snap.ok());
  ASSERT_EQ((*snap)->errors.size(), 1u);
  EXPECT_NE((*snap)->errors[0].find(victim), std::string::npos);
  auto n = store->QuarantineReported();
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 1u);
  EXPECT_TRUE(testing::ManifestPaths(&env_, kDir).empty());
  std::string qname = victim;
  std::replace(qname.begin(), qname.end(), '/', '_');
  std::string reason;
  ASSERT_TRUE(
      env_.ReadFileToString(JoinPath(kDir, "quarantine/" + qname + ".reason"), &reason).ok());
  EXPECT_NE(reason.find("missing"), std::string::npos) << reason;
  EXPECT_EQ(store->Stats().counters.quarantined, 1u);
}

TEST_F(QuarantineTest, ReadOnlyStoresOnlyWarn) {
  auto store = Open();
  ASSERT_TRUE(store->WriteSegments(IdBatch(0, 200, kT0, kHour / 10)).ok());
  const std::string victim = SegmentOfFirstDay();
  store.reset();
  CorruptBlock(victim, 2);
  auto ro = Open(/*read_only=*/true);
  auto snap = ro->Snapshot(kDefaultTenant, INT64_MIN, INT64_MAX);
  ASSERT_TRUE(snap.ok());
  RecordBatch b;
  int bad = 0;
  for (const auto& src : (*snap)->sources) {
    for (size_t i = 0; i < src->num_blocks(); ++i) bad += !src->ReadBlock(i, &b).ok();
  }
  EXPECT_EQ(bad, 1);
  auto n = ro->QuarantineReported();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
  EXPECT_TRUE(env_.FileExists(JoinPath(kDir, victim)));
  EXPECT_FALSE(env_.FileExists(JoinPath(kDir, "quarantine")));
}

}  // namespace
}  // namespace lode::storage
