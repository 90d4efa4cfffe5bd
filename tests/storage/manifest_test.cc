#include "storage/manifest.h"

#include <gtest/gtest.h>

#include "common/coding.h"
#include "common/crc32c.h"
#include "storage/mem_env.h"

namespace lode::storage {
namespace {

ManifestData Sample() {
  ManifestData m;
  m.next_file_number = 42;
  m.wal_checkpoint = 40;
  SegmentEntry e;
  e.tenant = "acme";
  e.path = "t=acme/d=2026-11-27/0000000000000029.lode";
  e.records = 1000;
  e.min_time = -5;
  e.max_time = 1795773600000000000;
  e.bytes = 12345;
  m.segments = {e, e};
  m.segments[1].path = "t=acme/d=2026-11-27/000000000000002a.lode";
  m.counters.flushed_bytes = 1 << 20;
  m.counters.flushed_records = 5000;
  m.counters.compactions = 3;
  m.counters.compacted_bytes = 2 << 20;
  m.counters.rewritten_bytes = 7;
  m.counters.retention_runs = 9;
  m.counters.expired_records = 11;
  m.counters.deleted_records = 13;
  m.counters.quarantined = 1;
  return m;
}

// Re-frames `body` with the header of `version`.
std::string Frame(uint32_t version, std::string_view body) {
  std::string out(kManifestMagic, sizeof(kManifestMagic));
  PutFixed32(&out, version);
  PutFixed32(&out, static_cast<uint32_t>(body.size()));
  PutFixed32(&out, Crc32c(body));
  out.append(body);
  return out;
}

TEST(ManifestTest, RoundTripsWithCounters) {
  const ManifestData m = Sample();
  auto back = DecodeManifest(EncodeManifest(m));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->next_file_number, 42u);
  EXPECT_EQ(back->wal_checkpoint, 40u);
  ASSERT_EQ(back->segments.size(), 2u);
  EXPECT_EQ(back->segments[1].path, m.segments[1].path);
  EXPECT_EQ(back->segments[0].min_time, -5);
  EXPECT_EQ(back->counters, m.counters);
}

TEST(ManifestTest, ReadsVersionOneAndIgnoresUnknownCounters) {
  ManifestData m = Sample();
  m.counters = {};
  const std::string v2 = EncodeManifest(m);
  // A version 1 body is the version 2 body without the counters (varint 9 and nine zeros).
  const std::string_view body = std::string_view(v2).substr(20);
  auto v1 = DecodeManifest(Frame(1, body.substr(0, body.size() - 10)));
  ASSERT_TRUE(v1.ok()) << v1.status();
  EXPECT_EQ(v1->segments.size(), 2u);
  EXPECT_EQ(v1->counters, ManifestCounters{});
  // Counters a later writer added are skipped.
  std::string longer(body.substr(0, body.size() - 10));
  PutVarint64(&longer, 11);
  for (uint64_t i = 1; i <= 11; ++i) PutVarint64(&longer, i);
  auto v2b = DecodeManifest(Frame(2, longer));
  ASSERT_TRUE(v2b.ok()) << v2b.status();
  EXPECT_EQ(v2b->counters.flushed_bytes, 1u);
  EXPECT_EQ(v2b->counters.quarantined, 9u);
  // Version 3 is not ours to read.
  EXPECT_TRUE(absl::IsDataLoss(DecodeManifest(Frame(3, body)).status()));
}

TEST(ManifestTest, CorruptionIsDataLoss) {
  std::string bytes = EncodeManifest(Sample());
  for (size_t i : {size_t{0}, size_t{9}, size_t{13}, size_t{17}, size_t{30}, bytes.size() - 1}) {
    std::string bad = bytes;
    bad[i] ^= 0x20;
    EXPECT_TRUE(absl::IsDataLoss(DecodeManifest(bad).status())) << "byte " << i;
  }
  EXPECT_TRUE(absl::IsDataLoss(DecodeManifest(bytes.substr(0, bytes.size() - 3)).status()));
}

TEST(ManifestTest, WriteReportsWhetherTheRenameHappened) {
  MemEnv env;
  ASSERT_TRUE(env.CreateDirs("/d").ok());
  bool replaced = true;
  ASSERT_TRUE(WriteManifest(&env, "/d", Sample(), &replaced).ok());
  EXPECT_TRUE(replaced);
  auto read = ReadManifest(&env, "/d");
  ASSERT_TRUE(read.ok() && read->has_value());
  EXPECT_EQ((*read)->counters, Sample().counters);
  replaced = true;
  EXPECT_FALSE(WriteManifest(&env, "/missing", Sample(), &replaced).ok());
  EXPECT_FALSE(replaced);
}

}  // namespace
}  // namespace lode::storage
