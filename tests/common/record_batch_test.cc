#include "common/record_batch.h"

#include <gtest/gtest.h>

namespace lode {
namespace {

TEST(RecordBatch, SparseTypedColumns) {
  RecordBatch b;
  b.BeginRow();
  b.AddString("host", "a");
  b.AddInt("status", 200);
  b.EndRow(10, "first");
  b.BeginRow();
  b.AddString("status", "n/a");  // same name, other type: a second column
  b.AddBool("ok", true);
  b.EndRow(5, "second");
  ASSERT_EQ(b.num_rows(), 2u);
  EXPECT_EQ(b.message(1), "second");
  const Column* si = b.FindColumn("status", FieldType::kInt64);
  const Column* ss = b.FindColumn("status", FieldType::kString);
  ASSERT_NE(si, nullptr);
  ASSERT_NE(ss, nullptr);
  EXPECT_EQ(si->rows, std::vector<uint32_t>{0});
  EXPECT_EQ(ss->rows, std::vector<uint32_t>{1});
  EXPECT_EQ(ss->strings.Get(0), "n/a");
  EXPECT_EQ(si->Find(1), -1);
  EXPECT_EQ(b.FindColumn("missing", FieldType::kString), nullptr);
}

TEST(RecordBatch, LastDuplicateKeyWinsAcrossTypes) {
  RecordBatch b;
  b.BeginRow();
  b.AddInt("a", 1);
  b.AddString("a", "x");
  b.AddString("a", "y");
  b.EndRow(0, "");
  EXPECT_EQ(b.FindColumn("a", FieldType::kInt64)->size(), 0u);
  const Column* s = b.FindColumn("a", FieldType::kString);
  ASSERT_EQ(s->size(), 1u);
  EXPECT_EQ(s->strings.Get(0), "y");
}

TEST(RecordBatch, AbortRowRollsBack) {
  RecordBatch b;
  b.BeginRow();
  b.AddString("k", "keep");
  b.EndRow(1, "m");
  b.BeginRow();
  b.AddString("k", "drop");
  b.AddInt("n", 3);
  b.AbortRow();
  EXPECT_EQ(b.num_rows(), 1u);
  EXPECT_EQ(b.FindColumn("k", FieldType::kString)->size(), 1u);
  EXPECT_EQ(b.FindColumn("n", FieldType::kInt64)->size(), 0u);
}

TEST(RecordBatch, SelectReordersRowsAndFields) {
  RecordBatch b;
  for (int i = 0; i < 5; ++i) {
    b.BeginRow();
    if (i % 2 == 0) b.AddInt("even", i);
    b.AddString("s", std::to_string(i));
    b.EndRow(100 - i, "m" + std::to_string(i));
  }
  std::vector<uint32_t> order = b.TimeOrder();
  EXPECT_EQ(order, (std::vector<uint32_t>{4, 3, 2, 1, 0}));
  RecordBatch s = b.Select({4, 0, 2});
  ASSERT_EQ(s.num_rows(), 3u);
  EXPECT_EQ(s.message(0), "m4");
  EXPECT_EQ(s.time(1), 100);
  const Column* even = s.FindColumn("even", FieldType::kInt64);
  ASSERT_NE(even, nullptr);
  EXPECT_EQ(even->rows, (std::vector<uint32_t>{0, 1, 2}));
  EXPECT_EQ(even->ints, (std::vector<int64_t>{4, 0, 2}));
  RecordBatch c;
  c.AppendRowFrom(b, 3);
  EXPECT_EQ(c.message(0), "m3");
  EXPECT_EQ(c.FindColumn("s", FieldType::kString)->strings.Get(0), "3");
  EXPECT_EQ(c.FindColumn("even", FieldType::kInt64), nullptr);
}

}  // namespace
}  // namespace lode

namespace lode {
namespace {

// Codes: equal codes are equal values; codes from a second dictionary never mix with the first.
TEST(StringDataCodes, CodesDictionaryFormAndRefusals) {
  StringData s;
  ASSERT_TRUE(s.StartCodes(2));
  s.AppendCoded("a", 0);
  s.AppendCoded("b", 1);
  s.Append("x");  // no code
  ASSERT_TRUE(s.has_codes());
  EXPECT_EQ(s.code(0), 0u);
  EXPECT_EQ(s.code(2), StringData::kNoCode);
  // A second start on a non-empty one is refused and drops the codes given so far.
  EXPECT_FALSE(s.StartCodes(5));
  s.AppendCoded("c", 0);
  EXPECT_FALSE(s.has_codes());
  EXPECT_EQ(s.Get(3), "c");
  s.PopBack();
  EXPECT_EQ(s.size(), 3u);

  // Dictionary form: coded values come from the dictionary, others are stored.
  auto dict = std::make_shared<StringData>();
  dict->Append("GET /a");
  dict->Append("GET /b");
  StringData d;
  ASSERT_TRUE(d.StartDictionary(dict));
  d.AppendCode(1);
  d.AppendCoded("expanded 42", StringData::kNoCode);
  d.AppendCode(0);
  d.AppendEmpty(2);
  ASSERT_TRUE(d.dictionary_form());
  EXPECT_EQ(d.size(), 5u);
  EXPECT_EQ(d.Get(0), "GET /b");
  EXPECT_EQ(d.Get(1), "expanded 42");
  EXPECT_EQ(d.Get(2), "GET /a");
  EXPECT_EQ(d.Get(3), "");
  EXPECT_EQ(d.DictionaryValue(0), "GET /a");
  EXPECT_EQ(d.bytes(), "expanded 42");  // only the values without a code are stored
  // Refused on a non-empty one: later values are stored, with no code.
  EXPECT_FALSE(d.StartDictionary(dict));
  d.AppendCoded("late", 1);
  EXPECT_EQ(d.code(5), StringData::kNoCode);
  EXPECT_EQ(d.Get(5), "late");
  d.PopBack();
  d.PopBack();
  EXPECT_EQ(d.Get(2), "GET /a");
  // The memory a query's budget counts includes the dictionary's.
  EXPECT_EQ(d.MemoryBytes(), d.byte_size() + d.size() * (8 + 4) + dict->MemoryBytes());
  EXPECT_EQ(dict->MemoryBytes(), 12u + 2 * 8);
  d.Clear();
  EXPECT_FALSE(d.dictionary_form());
  EXPECT_FALSE(d.has_codes());
}

}  // namespace
}  // namespace lode
