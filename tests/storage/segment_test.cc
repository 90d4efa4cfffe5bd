#include <array>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <tuple>

#include <gtest/gtest.h>
#include <unistd.h>

#include "common/coding.h"
#include "common/crc32c.h"
#include "common/strings.h"
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

  // Writes `b` as segment `name` in blocks of `block_rows`; returns its path.
  std::string Write(const RecordBatch& b, uint32_t block_rows, const std::string& name,
                    SegmentMeta* meta) {
    SegmentWriterOptions opt;
    opt.block_rows = block_rows;
    const std::string path = dir_ / name;
    EXPECT_TRUE(WriteSegment(Env::Default(), path, b, opt, meta).ok());
    return path;
  }

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

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), bytes.size());
}

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
    WriteBytes(path, bad);
    auto rows = ReadAll(path);
    if (rows.ok()) {
      EXPECT_EQ(*rows, want) << "undetected corruption at byte " << pos;
    } else {
      ++detected;
      EXPECT_TRUE(absl::IsDataLoss(rows.status()) || absl::IsOutOfRange(rows.status()))
          << rows.status();
    }
  }
  // Flips in the index's chunk tables are left to lookups (a group's tables are checked when a
  // lookup first uses it); reading every row does not look at them.
  EXPECT_GT(detected, 340);
}

// Rows like real application logs, so that every encoding and every kind of reference between
// columns occurs: hex trace ids that repeat, a message that repeats fields, a field that copies
// another, groups of fields present in the same rows.
RecordBatch AppLogs(uint32_t seed, size_t n) {
  std::mt19937_64 rng(seed);
  RecordBatch b;
  std::vector<std::string> traces;
  int64_t t = 1'700'000'000'000'000'000;
  auto hex = [&](int chars) {
    std::string s;
    for (int i = 0; i < chars; ++i) s.push_back("0123456789abcdef"[rng() % 16]);
    return s;
  };
  for (size_t i = 0; i < n; ++i) {
    t += static_cast<int64_t>(rng() % 20) * 1'000'000;
    b.BeginRow();
    const std::string host = "web-" + std::to_string(rng() % 5) + "-xk" + std::to_string(rng() % 3);
    b.AddString("host", host);
    if (traces.empty() || rng() % 3 != 0) traces.push_back(hex(32));
    b.AddString("trace_id", traces[traces.size() - 1 - rng() % std::min<size_t>(traces.size(), 9)]);
    const int64_t status = std::array<int64_t, 4>{200, 200, 404, 503}[rng() % 4];
    const double latency = static_cast<double>(rng() % 50000) / 100;
    const std::string path = "/api/v1/items/" + std::to_string(rng() % 100000);
    b.AddInt("http.status", status);
    b.AddDouble("http.latency_ms", latency);
    b.AddString("http.path", path);
    if (rng() % 3 == 0) b.AddString("span_id", hex(16));
    if (rng() % 4 == 0) {
      b.AddString("k8s.namespace", "prod");
      b.AddString("k8s.pod", host);
      b.AddBool("k8s.ready", rng() % 2 == 0);
    }
    std::string msg = rng() % 5 == 0
                          ? "user u-" + std::to_string(rng() % 100) + " signed in"
                          : "GET " + path + " completed with status " + std::to_string(status) +
                                " in " + std::to_string(static_cast<int64_t>(latency)) + "ms";
    b.EndRow(t, msg);
  }
  return b;
}

TEST_F(SegmentTest, AppLogsRoundTripWithReferences) {
  RecordBatch b = AppLogs(4, 5000);
  SegmentMeta meta;
  const std::string path = Write(b, 1500, "app.lode", &meta);
  ASSERT_EQ(meta.blocks.size(), 4u);
  // The message refers to fields in every block, and so does some field.
  for (const BlockMeta& bm : meta.blocks) {
    EXPECT_FALSE(bm.chunks[1].refs.empty());
    size_t with_refs = 0;
    for (size_t k = 2; k < bm.chunks.size(); ++k) with_refs += !bm.chunks[k].refs.empty();
    EXPECT_GT(with_refs, 0u);
  }
  auto rows = ReadAll(path);
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(*rows, lode::testing::AllRows(b));
}

TEST_F(SegmentTest, ProjectedReadDecodesOnlyWhatIsAsked) {
  RecordBatch b = AppLogs(5, 3000);
  const std::string path = Write(b, 1000, "proj.lode", nullptr);
  auto r = SegmentReader::Open(Env::Default(), path);
  ASSERT_TRUE(r.ok()) << r.status();
  uint32_t status_id = 0;
  for (size_t f = 0; f < (*r)->meta().fields.size(); ++f) {
    if ((*r)->meta().fields[f].name == "http.status") status_id = kFirstFieldColumnId + f;
  }
  ASSERT_NE(status_id, 0u);
  RecordBatch block;
  uint32_t base = 0;
  for (size_t i = 0; i < (*r)->num_blocks(); ++i) {
    // The message alone: it is encoded against fields, which are decoded but not returned.
    ASSERT_TRUE((*r)->ReadBlock(i, {kMessageColumnId}, &block).ok());
    EXPECT_TRUE(block.columns().empty());
    for (uint32_t row = 0; row < block.num_rows(); ++row) {
      ASSERT_EQ(block.message(row), b.message(base + row));
      ASSERT_EQ(block.time(row), b.time(base + row));
    }
    // One field alone: messages are empty.
    ASSERT_TRUE((*r)->ReadBlock(i, {status_id}, &block).ok());
    ASSERT_EQ(block.columns().size(), 1u);
    const Column& c = block.columns()[0];
    EXPECT_EQ(c.name, "http.status");
    ASSERT_EQ(c.size(), block.num_rows());
    for (uint32_t row = 0; row < block.num_rows(); ++row) {
      EXPECT_EQ(block.message(row), "");
      EXPECT_EQ(c.ints[row], b.FindColumn("http.status", FieldType::kInt64)->ints[base + row]);
    }
    // Without times: the same rows and values, every time the block's first.
    RecordBatch no_times;
    ASSERT_TRUE((*r)->ReadBlock(i, {status_id}, &no_times, {.times = false}).ok());
    ASSERT_EQ(no_times.num_rows(), block.num_rows());
    ASSERT_EQ(no_times.columns().size(), 1u);
    EXPECT_EQ(no_times.columns()[0].ints, c.ints);
    for (uint32_t row = 0; row < no_times.num_rows(); ++row) {
      ASSERT_EQ(no_times.time(row), b.time(base));
    }
    base += static_cast<uint32_t>(block.num_rows());
  }
  EXPECT_EQ(base, 3000u);
}

TEST_F(SegmentTest, AppLogsBitFlipsAreDetectedOrHarmless) {
  RecordBatch b = AppLogs(6, 900);
  SegmentWriterOptions opt;
  opt.block_rows = 300;
  const std::string bytes = EncodeSegment(b, opt);
  const auto want = lode::testing::AllRows(b);
  std::mt19937 rng(8);
  const std::string path = dir_ / "flip.lode";
  for (int trial = 0; trial < 300; ++trial) {
    std::string bad = bytes;
    const size_t pos = rng() % bad.size();
    bad[pos] = static_cast<char>(bad[pos] ^ (1 << (rng() % 8)));
    WriteBytes(path, bad);
    auto rows = ReadAll(path);
    if (rows.ok()) {
      EXPECT_EQ(*rows, want) << "undetected corruption at byte " << pos;
    } else {
      EXPECT_TRUE(absl::IsDataLoss(rows.status())) << rows.status();
    }
  }
}

// A skeleton is the message with some runs of digits replaced by "0": every other byte is the
// same, so texts without digits are found at the same places and token boundaries.
TEST_F(SegmentTest, MessageSkeletonsKeepEverythingButNumbers) {
  RecordBatch b = AppLogs(6, 3000);
  const std::string path = Write(b, 1000, "skel.lode", nullptr);
  auto r = SegmentReader::Open(Env::Default(), path);
  ASSERT_TRUE(r.ok()) << r.status();
  auto digits_as_zero = [](std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size();) {
      if (s[i] >= '0' && s[i] <= '9') {
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
        out.push_back('0');
      } else {
        out.push_back(s[i++]);
      }
    }
    return out;
  };
  RecordBatch block;
  uint32_t base = 0;
  size_t shorter = 0;
  for (size_t i = 0; i < (*r)->num_blocks(); ++i) {
    ASSERT_TRUE((*r)->ReadBlock(i, {kMessageColumnId}, &block, {.message_skeleton = true}).ok());
    for (uint32_t row = 0; row < block.num_rows(); ++row) {
      const std::string_view real = b.message(base + row);
      const std::string_view skel = block.message(row);
      // Collapsing every digit run to one "0" makes both the same text.
      ASSERT_EQ(digits_as_zero(skel), digits_as_zero(real)) << real;
      shorter += skel.size() < real.size();
    }
    base += static_cast<uint32_t>(block.num_rows());
  }
  EXPECT_EQ(base, 3000u);
  EXPECT_GT(shorter, 1000u);  // numbers were really left out
}

// With an expand predicate, the templates it accepts come out in full, numbers taken from the
// columns they reference (decoded on demand: only the message column is asked for), and the
// others as skeletons. Equal codes are equal values.
TEST_F(SegmentTest, MessageSkeletonsExpandChosenTemplates) {
  RecordBatch b = AppLogs(7, 3000);
  SegmentMeta meta;
  const std::string path = Write(b, 1000, "expand.lode", &meta);
  ASSERT_EQ(meta.blocks.size(), 3u);
  for (const BlockMeta& bm : meta.blocks) ASSERT_FALSE(bm.chunks[1].refs.empty());
  auto r = SegmentReader::Open(Env::Default(), path);
  ASSERT_TRUE(r.ok()) << r.status();
  const MessageExpandPredicate expand = [](std::string_view skeleton) {
    return skeleton.find("completed") != std::string_view::npos;
  };
  RecordBatch block;
  uint32_t base = 0;
  size_t expanded = 0, skeletons = 0;
  for (size_t i = 0; i < (*r)->num_blocks(); ++i) {
    ASSERT_TRUE((*r)->ReadBlock(i, {kMessageColumnId}, &block, {true, &expand}).ok());
    const StringData& msgs = block.messages();
    ASSERT_TRUE(msgs.dictionary_form());
    EXPECT_TRUE(block.columns().empty());  // the referenced columns stay out of the batch
    std::map<uint32_t, std::string> value_of_code;
    for (uint32_t row = 0; row < block.num_rows(); ++row) {
      const std::string_view real = b.message(base + row);
      const std::string_view got = msgs.Get(row);
      if (real.find("completed") != std::string_view::npos) {
        ASSERT_EQ(got, real);
        ++expanded;
      } else {
        ASSERT_TRUE(real.starts_with("user u-")) << real;
        ASSERT_EQ(got, "user u-0 signed in");  // the skeleton: the number reads 0
        skeletons += got != real;
      }
      const uint32_t code = msgs.code(row);
      if (code == StringData::kNoCode) continue;
      ASSERT_LT(code, msgs.num_codes());
      auto [it, inserted] = value_of_code.emplace(code, std::string(got));
      ASSERT_EQ(it->second, got);
    }
    base += static_cast<uint32_t>(block.num_rows());
  }
  EXPECT_EQ(base, 3000u);
  EXPECT_GT(expanded, 1000u);
  EXPECT_GT(skeletons, 100u);
}

// A read without times still checks the time chunk: a damaged one is reported, not skipped.
TEST_F(SegmentTest, ReadWithoutTimesChecksTheTimeChunk) {
  RecordBatch b = AppLogs(7, 600);
  SegmentWriterOptions opt;
  opt.block_rows = 300;
  std::string bytes = EncodeSegment(b, opt);
  const std::string good = dir_ / "good.lode";
  WriteBytes(good, bytes);
  auto r = SegmentReader::Open(Env::Default(), good);
  ASSERT_TRUE(r.ok()) << r.status();
  auto chunks = (*r)->Chunks(0);
  ASSERT_TRUE(chunks.ok());
  const ChunkMeta& time_chunk = (**chunks)[0];
  ASSERT_EQ(time_chunk.column_id, kTimeColumnId);
  bytes[time_chunk.offset + time_chunk.stored_len / 2] ^= 0x20;
  const std::string bad = dir_ / "bad.lode";
  WriteBytes(bad, bytes);
  auto damaged = SegmentReader::Open(Env::Default(), bad);
  ASSERT_TRUE(damaged.ok()) << damaged.status();
  RecordBatch out;
  absl::Status s = (*damaged)->ReadBlock(0, {kFirstFieldColumnId}, &out, {.times = false});
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_NE(s.message().find("column 0"), absl::string_view::npos) << s;
  EXPECT_TRUE((*damaged)->ReadBlock(1, {kFirstFieldColumnId}, &out, {.times = false}).ok());
}

// An encoded segment's footer taken apart, to be put together again in the layout of version 6
// (what the writer writes), 5 or 4, possibly changed.
struct FooterParts {
  size_t footer_offset = 0;
  std::string before_blocks;  // from num_records to num_blocks
  struct Block {
    std::string header;  // num_rows, min_time, max_time, num_chunks
    std::string entries;
  };
  std::vector<Block> blocks;
  std::string after_blocks;  // index_offset, index_len

  // The footer and its trailer, in place of the original ones in `bytes`. Version 6 takes each
  // block's entries CRC from `crcs` when given (to leave one stale), else computes it.
  std::string Assemble(const std::string& bytes, uint32_t version,
                       const std::vector<uint32_t>* crcs = nullptr) const {
    std::string head = before_blocks, entries;
    for (size_t b = 0; b < blocks.size(); ++b) {
      head += blocks[b].header;
      if (version >= 5) PutVarint64(&head, blocks[b].entries.size());
      if (version >= 6) {
        PutFixed32(&head, crcs != nullptr ? (*crcs)[b] : Crc32c(blocks[b].entries));
        entries += blocks[b].entries;
      } else {
        head += blocks[b].entries;
      }
    }
    head += after_blocks;
    std::string out = bytes.substr(0, footer_offset);
    out += head;
    out += entries;
    PutFixed64(&out, footer_offset);
    PutFixed32(&out, static_cast<uint32_t>(head.size() + entries.size()));
    PutFixed32(&out, Crc32c(head));
    PutFixed32(&out, version);
    PutFixed32(&out, version >= 6 ? static_cast<uint32_t>(head.size()) : 0);
    out.append(kSegmentMagic, sizeof(kSegmentMagic));
    return out;
  }
};

// Takes apart the footer of a segment the writer made (version 6).
FooterParts SplitFooter(const std::string& bytes) {
  FooterParts out;
  const char* trailer = bytes.data() + bytes.size() - 32;
  out.footer_offset = DecodeFixed64(trailer);
  const uint32_t footer_len = DecodeFixed32(trailer + 8);
  const uint32_t head_len = DecodeFixed32(trailer + 20);
  EXPECT_EQ(DecodeFixed32(trailer + 16), 6u);
  EXPECT_EQ(Crc32c(std::string_view(bytes.data() + out.footer_offset, head_len)),
            DecodeFixed32(trailer + 12));
  const std::string_view head(bytes.data() + out.footer_offset, head_len);
  std::string_view entries(bytes.data() + out.footer_offset + head_len, footer_len - head_len);
  Decoder d(head);
  auto position = [&] { return head.size() - d.remaining(); };
  auto taken = [&](size_t from) { return std::string(head.substr(from, position() - from)); };
  uint64_t v = 0, nfields = 0, nblocks = 0;
  int64_t sv = 0;
  std::string_view name;
  uint8_t type;
  EXPECT_TRUE(d.GetVarint64(&v) && d.GetVarsint64(&sv) && d.GetVarsint64(&sv) &&
              d.GetVarint64(&v) && d.GetVarint64(&nfields));
  for (uint64_t f = 0; f < nfields; ++f) {
    EXPECT_TRUE(d.GetLengthPrefixed(&name) && d.GetByte(&type));
  }
  EXPECT_TRUE(d.GetVarint64(&nblocks));
  out.before_blocks = taken(0);
  for (uint64_t b = 0; b < nblocks; ++b) {
    const size_t from = position();
    EXPECT_TRUE(d.GetVarint64(&v) && d.GetVarsint64(&sv) && d.GetVarsint64(&sv) &&
                d.GetVarint64(&v));
    FooterParts::Block block{taken(from), ""};
    uint64_t len = 0;
    uint32_t crc = 0;
    EXPECT_TRUE(d.GetVarint64(&len) && d.GetFixed32(&crc) && len <= entries.size());
    block.entries = std::string(entries.substr(0, len));
    entries.remove_prefix(len);
    EXPECT_EQ(Crc32c(block.entries), crc);
    out.blocks.push_back(std::move(block));
  }
  const size_t from = position();
  EXPECT_TRUE(d.GetVarint64(&v) && d.GetVarint64(&v) && d.done() && entries.empty());
  out.after_blocks = taken(from);
  return out;
}

// `b` encoded in blocks of `block_rows`, and its footer taken apart.
std::string EncodedWithFooter(const RecordBatch& b, uint32_t block_rows, FooterParts* parts) {
  SegmentWriterOptions opt;
  opt.block_rows = block_rows;
  std::string bytes = EncodeSegment(b, opt);
  *parts = SplitFooter(bytes);
  return bytes;
}

// Version 4 footers (no entries_len: the reader walks the entries to find each block's end) and
// version 5 footers (each block's entries after its header, under the footer's CRC) read the same
// rows and chunk entries as version 6.
TEST_F(SegmentTest, OlderFootersAreStillRead) {
  RecordBatch b = AppLogs(11, 2500);
  FooterParts parts;
  const std::string v6 = EncodedWithFooter(b, 600, &parts);
  ASSERT_EQ(parts.blocks.size(), 5u);
  ASSERT_EQ(parts.Assemble(v6, 6), v6) << "the footer layout assumed here is wrong";
  const std::string p6 = dir_ / "v6.lode";
  WriteBytes(p6, v6);
  auto r6 = SegmentReader::Open(Env::Default(), p6);
  ASSERT_TRUE(r6.ok()) << r6.status();
  for (const uint32_t version : {4u, 5u}) {
    const std::string path = dir_ / StrCat("v", version, ".lode");
    WriteBytes(path, parts.Assemble(v6, version));
    auto rows = ReadAll(path);
    ASSERT_TRUE(rows.ok()) << rows.status();
    EXPECT_EQ(*rows, lode::testing::AllRows(b));
    auto r = SegmentReader::Open(Env::Default(), path);
    ASSERT_TRUE(r.ok());
    for (size_t k = 0; k < parts.blocks.size(); ++k) {
      auto c6 = (*r6)->Chunks(k);
      auto c = (*r)->Chunks(k);
      ASSERT_TRUE(c6.ok() && c.ok()) << c.status();
      ASSERT_EQ((*c6)->size(), (*c)->size());
      for (size_t i = 0; i < (*c6)->size(); ++i) {
        const ChunkMeta& x = (**c6)[i];
        const ChunkMeta& y = (**c)[i];
        EXPECT_EQ(std::tie(x.column_id, x.offset, x.stored_len, x.raw_len, x.crc, x.refs),
                  std::tie(y.column_id, y.offset, y.stored_len, y.raw_len, y.crc, y.refs));
      }
    }
  }
}

// A block's chunk entries are checked when the block is first used: damaged ones (their CRC no
// longer matches) and bad ones behind a matching CRC (as only a faulty writer makes) fail that
// block with an error naming it, and the other blocks still read.
TEST_F(SegmentTest, BadChunkEntriesFailOnlyTheirBlock) {
  FooterParts parts;
  const std::string bytes = EncodedWithFooter(SortedRandom(12, 900), 300, &parts);
  ASSERT_EQ(parts.blocks.size(), 3u);
  const std::string path = dir_ / "entries.lode";
  // The first chunk of block 1 claims to be the message column (1) instead of time (0), with
  // the CRC made to match; then block 1's entries with a byte too many; then a byte of them
  // changed under the old CRC.
  for (int variant = 0; variant < 3; ++variant) {
    FooterParts bad_parts = parts;
    std::string& entries = bad_parts.blocks[1].entries;
    std::vector<uint32_t> crcs;
    for (const auto& block : parts.blocks) crcs.push_back(Crc32c(block.entries));
    const char* want = nullptr;
    if (variant == 0) {
      ASSERT_EQ(entries[0], 0);
      entries[0] = 1;
      want = "first chunk not time";
    } else if (variant == 1) {
      entries.push_back('\0');
      want = "trailing bytes";
    } else {
      entries[entries.size() / 2] = static_cast<char>(entries[entries.size() / 2] ^ 0x10);
      want = "chunk entries checksum mismatch";
    }
    if (variant < 2) crcs[1] = Crc32c(entries);
    WriteBytes(path, bad_parts.Assemble(bytes, kSegmentFormatVersion, &crcs));
    auto r = SegmentReader::Open(Env::Default(), path);
    ASSERT_TRUE(r.ok()) << r.status();
    RecordBatch got;
    EXPECT_TRUE((*r)->ReadBlock(0, &got).ok());
    EXPECT_EQ(got.num_rows(), 300u);
    absl::Status s = (*r)->ReadBlock(1, &got);
    EXPECT_TRUE(absl::IsDataLoss(s)) << s;
    EXPECT_NE(s.message().find("block 1:"), absl::string_view::npos) << s;
    EXPECT_NE(s.message().find(want), absl::string_view::npos) << s;
    EXPECT_TRUE(absl::IsDataLoss((*r)->Chunks(1).status()));
    EXPECT_TRUE((*r)->ReadBlock(2, &got).ok());
    EXPECT_EQ(got.num_rows(), 300u);
  }
}

// A block that claims more chunks than its entries' bytes can hold is refused at open, before
// anything is allocated for them.
TEST_F(SegmentTest, ChunkCountBoundedByEntryBytes) {
  FooterParts parts;
  const std::string bytes = EncodedWithFooter(SortedRandom(13, 600), 300, &parts);
  ASSERT_EQ(parts.blocks.size(), 2u);
  // The block's chunk count is the header's last varint (one byte).
  std::string& header = parts.blocks[1].header;
  ASSERT_LT(static_cast<uint8_t>(header.back()), 0x80);
  // Fewer than the footer head's bytes (a count beyond those is refused anyway), more than the
  // entries' bytes can hold.
  const size_t head_len = DecodeFixed32(bytes.data() + bytes.size() - 12);
  std::string huge;
  PutVarint64(&huge, head_len / 2);
  ASSERT_GT(head_len / 2, parts.blocks[1].entries.size() / 11);
  header.pop_back();
  header += huge;
  const std::string path = dir_ / "count.lode";
  WriteBytes(path, parts.Assemble(bytes, kSegmentFormatVersion));
  auto r = SegmentReader::Open(Env::Default(), path);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::IsDataLoss(r.status())) << r.status();
  EXPECT_NE(r.status().message().find("block 1: bad chunk count"), absl::string_view::npos)
      << r.status();
}

TEST_F(SegmentTest, OlderVersionIsRejectedClearly) {
  RecordBatch b = SortedRandom(9, 50);
  std::string bytes = EncodeSegment(b, {});
  const uint32_t old_version = 2;
  std::memcpy(bytes.data() + bytes.size() - 16, &old_version, 4);
  const std::string path = dir_ / "v2.lode";
  WriteBytes(path, bytes);
  auto r = SegmentReader::Open(Env::Default(), path);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::IsDataLoss(r.status())) << r.status();
  EXPECT_NE(r.status().message().find("version 2"), absl::string_view::npos) << r.status();
}

TEST_F(SegmentTest, TruncationsAreDetected) {
  RecordBatch b = SortedRandom(3, 300);
  const std::string bytes = EncodeSegment(b, {});
  const std::string path = dir_ / "trunc.lode";
  std::vector<size_t> lens = {0, 7, 39, bytes.size() / 2, bytes.size() - 1};
  for (size_t len = 41; len < bytes.size(); len += bytes.size() / 37 + 1) lens.push_back(len);
  for (size_t len : lens) {
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), len);
    auto rows = ReadAll(path);
    EXPECT_FALSE(rows.ok()) << len;
    EXPECT_TRUE(absl::IsDataLoss(rows.status())) << rows.status();
  }
}

}  // namespace
}  // namespace lode::storage
