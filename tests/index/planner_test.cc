// The planner on one small indexed segment, block by block against the filter: a skipped block
// holds no match, a counted block holds exactly the counted matches, and a block read with only
// the planned columns gives the same matches as with every column.
#include "query/planner.h"

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

#include "common/record_batch.h"
#include "common/strings.h"
#include "query/filter.h"
#include "query/parser.h"
#include "storage/block_source.h"
#include "storage/mem_env.h"
#include "storage/segment_reader.h"
#include "storage/segment_writer.h"

namespace lode::query {
namespace {

constexpr uint32_t kBlockRows = 16;
constexpr uint32_t kRows = 16 * 12;

// A segment file read through SegmentReader, as a BlockSource (what LiveSegmentSource does
// for the store).
class ReaderSource final : public storage::BlockSource {
 public:
  explicit ReaderSource(std::unique_ptr<storage::SegmentReader> r) : r_(std::move(r)) {}
  const std::string& name() const override { return r_->path(); }
  const storage::SegmentMeta& meta() const override { return r_->meta(); }
  absl::StatusOr<const std::vector<storage::ChunkMeta>*> Chunks(size_t i) const override {
    if (i == bad_block_) return absl::DataLossError("bad chunk entries");
    return r_->Chunks(i);
  }
  // Makes Chunks(i) fail as on corrupt chunk entries.
  void set_bad_block(size_t i) { bad_block_ = i; }
  absl::Status ReadBlock(size_t i, RecordBatch* out) const override {
    return r_->ReadBlock(i, out);
  }
  absl::Status ReadBlock(size_t i, const std::vector<uint32_t>& cols, RecordBatch* out,
                         const storage::BlockReadOptions& options = {}) const override {
    return r_->ReadBlock(i, cols, out, options);
  }
  const index::SegmentIndex* index() const override { return r_->index(); }

 private:
  std::unique_ptr<storage::SegmentReader> r_;
  size_t bad_block_ = SIZE_MAX;
};

RecordBatch MakeBatch() {
  std::mt19937_64 rng(5);
  static const char* kWords[] = {"alpha", "beta", "gamma", "delta", "error", "Alpha"};
  RecordBatch b;
  for (uint32_t r = 0; r < kRows; ++r) {
    const uint32_t block = r / kBlockRows;
    b.BeginRow();
    std::string msg;
    for (int k = 0; k < 3; ++k) {
      // "gamma" only in the first half of the segment, "delta" in the second.
      const char* w = kWords[rng() % 6];
      if (std::string_view(w) == "gamma" && block >= 6) w = "delta";
      if (std::string_view(w) == "delta" && block < 6) w = "gamma";
      StrAppend(&msg, msg.empty() ? "" : " ", w);
    }
    if (r % 37 == 0) StrAppend(&msg, " req", 100000 + r);         // ids in one block: tail terms
    if (block == 3 && r % 2 == 0) StrAppend(&msg, " onlythree");  // several rows, one block
    if (r % 5 == 0) StrAppend(&msg, " from 10.0.0.1 ok");
    if (r % 7 == 0) StrAppend(&msg, " from 10.0.0.1.5 ok");
    if (block % 3 == 0) b.AddString("level", r % 2 ? "error" : "warn");
    if (block == 7 && r % 4 == 0) b.AddString("level", "rare");
    b.AddString("host", StrCat("web-", r % 3));
    if (block % 2 == 0) b.AddInt("code", 500 + r % 20);
    if (block >= 4) b.AddDouble("lat", (r % 8) * 0.5);
    if (r % 3 == 0) b.AddBool("ok", r % 2 == 0);
    // One name, three types in the same blocks.
    if (r % 2 == 0) {
      b.AddInt("dual", r % 3);
    } else if (r % 3 == 0) {
      b.AddString("dual", "x");
    } else {
      b.AddDouble("dual", 0.5);
    }
    // RE2's (?i) folds the Kelvin sign to k and the long s to s; ASCII folding does not.
    if (r == 50)
      StrAppend(&msg,
                " x \xE2\x84\xAA"
                "elvin y");
    if (r == 90)
      StrAppend(&msg,
                " a \xC5\xBF"
                "tatus b");
    b.EndRow(int64_t{1'700'000'000'000'000'000} + int64_t{r} * 1'000'000, msg);
  }
  return b;
}

class PlannerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    batch_ = MakeBatch();
    storage::SegmentWriterOptions o;
    o.block_rows = kBlockRows;
    ASSERT_TRUE(env_.CreateDirs("/seg").ok());
    ASSERT_TRUE(storage::WriteSegment(&env_, "/seg/a.lode", batch_, o).ok());
    auto r = storage::SegmentReader::Open(&env_, "/seg/a.lode");
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_NE((*r)->index(), nullptr) << (*r)->index_error();
    source_ = std::make_unique<ReaderSource>(std::move(*r));
    ASSERT_EQ(source_->num_blocks(), kRows / kBlockRows);
  }

  struct Outcome {
    size_t skipped = 0, counted = 0, read = 0;
    BlockPlan plan;
  };

  // Plans `text` over [from, to) and checks every block against the filter.
  Outcome Check(std::string_view text, int64_t from = INT64_MIN, int64_t to = INT64_MAX) {
    SCOPED_TRACE(StrCat("query '", text, "'"));
    Outcome out;
    absl::StatusOr<Query> q = ParseQuery(text);
    EXPECT_TRUE(q.ok()) << q.status();
    if (!q.ok()) return out;
    Filter filter = Filter::Compile(*q->filter);
    Planner planner(*q->filter);
    out.plan = planner.Plan(*source_, from, to);
    const BlockPlan& plan = out.plan;
    EXPECT_TRUE(plan.index_note.empty()) << plan.index_note;
    EXPECT_EQ(plan.state.size(), source_->num_blocks());
    EXPECT_TRUE(std::is_sorted(plan.columns.begin(), plan.columns.end()));
    FilterScratch scratch;
    for (size_t b = 0; b < source_->num_blocks(); ++b) {
      RecordBatch block;
      EXPECT_TRUE(source_->ReadBlock(b, &block).ok());
      Selection sel(block.num_rows(), false);
      for (size_t r = 0; r < block.num_rows(); ++r) {
        if (block.time(r) >= from && block.time(r) < to) sel.Set(r);
      }
      Selection window = sel;
      filter.Evaluate(block, &sel, &scratch);
      const size_t matches = sel.Count();
      switch (plan.state[b]) {
        case BlockPlan::kSkip:
          EXPECT_EQ(matches, 0u) << "block " << b << " skipped but has matches";
          ++out.skipped;
          break;
        case BlockPlan::kCounted:
          EXPECT_EQ(matches, plan.rows[b]) << "block " << b << " miscounted";
          ++out.counted;
          break;
        case BlockPlan::kRead:
          ++out.read;
          break;
        default:
          ADD_FAILURE() << "bad state " << int{plan.state[b]};
      }
      if (plan.all_columns || plan.state[b] == BlockPlan::kSkip) continue;
      // The planned columns suffice to evaluate the filter.
      RecordBatch projected;
      EXPECT_TRUE(source_->ReadBlock(b, plan.columns, &projected).ok());
      filter.Evaluate(projected, &window, &scratch);
      EXPECT_EQ(window.Count(), matches) << "block " << b << " with the planned columns";
      for (size_t r = 0; r < block.num_rows(); ++r) {
        EXPECT_EQ(window.Test(r), sel.Test(r)) << "block " << b << " row " << r;
      }
    }
    return out;
  }

  storage::MemEnv env_;
  RecordBatch batch_;
  std::unique_ptr<ReaderSource> source_;
};

// Single terms with one home (one text field, or one type of field) are counted from the
// index: no block needs to be read.
TEST_F(PlannerTest, SingleTermsAreCountedExactly) {
  for (const char* q :
       {"alpha", "ALPHA", "beta", "gamma", "delta", "onlythree", "absentword", "level:error",
        "level:warn", "level:*", "code:*", "lat:*", "nope:*", "host:web-1", "host:\"web-2\"",
        "10.0.0.1", "-alpha", "-level:*", "NOT code:*"}) {
    Outcome o = Check(q);
    EXPECT_EQ(o.read, 0u) << q;
  }
  // Blocks without the term are skipped, the others counted.
  Outcome gamma = Check("gamma");
  EXPECT_EQ(gamma.skipped, 6u);
  EXPECT_EQ(gamma.counted, 6u);
  // A rare word keeps an exact posting.
  Outcome three = Check("onlythree");
  EXPECT_EQ(three.counted, 1u);
  EXPECT_EQ(three.skipped, source_->num_blocks() - 1);
  EXPECT_EQ(Check("level:*").counted, 5u);  // blocks 0, 3, 6, 9 and 7
  EXPECT_EQ(Check("absentword").skipped, source_->num_blocks());
}

// Terms the index cannot count still skip what they can and are checked by the filter.
TEST_F(PlannerTest, OtherTermsSkipSoundly) {
  for (const char* q : {"error",  // message and the level field
                        "req100037",
                        "req",
                        "req10003",
                        "req1000*",
                        "level:rare",
                        "level:Rare",
                        "level:(error OR rare)",
                        "code:500",
                        "code:>=515",
                        "code:[500 TO 503]",
                        "code:{518 TO *]",
                        "lat:1.5",
                        "lat:>3",
                        "ok:true",
                        "ok:false",
                        "host:web-*",
                        "host:web*",
                        "host:WEB-*",
                        "alp*",
                        "onlyt*",
                        "10.0.*",
                        "\"10.0.0.1 ok\"",
                        "\"from 10.0.0.1.5\"",
                        "alpha beta -gamma",
                        "alpha OR delta",
                        "(gamma OR onlythree) -beta",
                        "-(alpha beta)",
                        "~\"al.ha beta\"",
                        "~\"onlythree\"",
                        "~\"(?i)ONLYTHREE\"",
                        "~\"x|y\"",
                        "~\"\\d+\"",
                        "host:~\"^web-[12]$\"",
                        "level:~\"rar\"",
                        "_msg:alpha",
                        "_msg:*",
                        "code:(500 OR 501) lat:*",
                        "-ok:*",
                        "nope:1",
                        "*"}) {
    Check(q);
  }
  // An id in one block's filter is read there and skipped elsewhere.
  Outcome tail = Check("req100037");
  EXPECT_EQ(tail.read, 1u);
  EXPECT_EQ(tail.skipped, source_->num_blocks() - 1);
  // A range skips blocks without the field and blocks out of range.
  Outcome range = Check("code:>=600");
  EXPECT_EQ(range.skipped, source_->num_blocks());
  Outcome lat = Check("lat:>3");
  EXPECT_GE(lat.skipped, 4u);  // blocks 0-3 have no lat
}

TEST_F(PlannerTest, TimeWindows) {
  const int64_t t0 = batch_.time(0);
  const int64_t ms = 1'000'000;
  // Window edges inside blocks 2 and 8: those are read, the others skipped or counted.
  for (const char* q : {"alpha", "level:*", "*", "-gamma", "code:>=505"}) {
    Outcome o = Check(q, t0 + 40 * ms, t0 + 135 * ms);
    EXPECT_GE(o.skipped, 5u) << q;
  }
  Outcome all = Check("*", t0 + 40 * ms, t0 + 135 * ms);
  EXPECT_EQ(all.read, 2u);
  EXPECT_EQ(all.counted, 5u);
  EXPECT_EQ(all.skipped, 5u);
  // _time in the query plans like the window.
  Check("_time:[1700000000040000000, 1700000000135000000) alpha");
  Check("-_time:[1700000000040000000, 1700000000135000000) alpha");
}

// A field with several types in one block: presence and values are not counted per type.
TEST_F(PlannerTest, FieldWithSeveralTypes) {
  for (const char* q : {"dual:*", "dual:x", "dual:1", "dual:0.5", "-dual:*", "dual:x OR nope:*",
                        "dual:>=1", "dual:(x OR 2)"}) {
    Check(q);
  }
}

// Case-insensitive regular expressions match more than ASCII case folding: the planner must
// not skip blocks by literals RE2 folded from non-ASCII letters.
TEST_F(PlannerTest, CaseInsensitiveRegexBeyondAscii) {
  for (const char* q : {"~\"(?i)x kelvin y\"", "~\"(?i)a status b\"", "~\"(?i)x KELVIN\"",
                        "~\"x (?i:kelvin) y\""}) {
    Check(q);
  }
}

// Every query of a small random grammar: the per-block invariants hold.
// A block whose chunk entries do not parse is read (and the read reports them): ranges it cannot
// show never rule it out.
TEST_F(PlannerTest, BlocksWithBadChunkEntriesAreRead) {
  source_->set_bad_block(2);
  for (const char* text : {"code:>=100000", "lat:[100 TO 200]"}) {
    absl::StatusOr<Query> q = ParseQuery(text);
    ASSERT_TRUE(q.ok()) << q.status();
    const BlockPlan plan = Planner(*q->filter).Plan(*source_, INT64_MIN, INT64_MAX);
    for (size_t b = 0; b < source_->num_blocks(); ++b) {
      EXPECT_EQ(plan.state[b], b == 2 ? BlockPlan::kRead : BlockPlan::kSkip) << text << " " << b;
    }
  }
}

TEST_F(PlannerTest, RandomQueries) {
  std::mt19937_64 rng(11);
  static const char* kLeaves[] = {
      "alpha",      "beta",       "gamma",    "delta",      "error",        "onlythree",
      "req100074",  "zzz",        "alp*",     "level:warn", "level:error",  "level:rare",
      "level:*",    "code:*",     "code:5*",  "code:>510",  "lat:[1 TO 2]", "ok:true",
      "host:web-0", "host:web-*", "10.0.0.1", "\"0.1.5\"",  "~\"be.a\"",    "~\"gamma alpha\"",
      "_msg:*",     "nope:*"};
  auto leaf = [&] { return std::string(kLeaves[rng() % (sizeof(kLeaves) / sizeof(*kLeaves))]); };
  size_t counted = 0;
  for (int i = 0; i < 200; ++i) {
    std::string q = leaf();
    const int n = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < n; ++k) {
      const char* op[] = {" ", " OR ", " -", " AND NOT "};
      const bool paren = rng() % 2;
      q = StrCat(paren ? "(" : "", q, op[rng() % 4], leaf(), paren ? ")" : "");
    }
    counted += Check(q).counted;
    if (HasFailure()) return;
  }
  EXPECT_GT(counted, 0u);
}

}  // namespace
}  // namespace lode::query
