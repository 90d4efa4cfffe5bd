#include "storage/internal/column_codec.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include <gtest/gtest.h>

namespace lode::storage::internal {
namespace {

Encoding EncodingOf(const std::string& payload, size_t at = 0) {
  return static_cast<Encoding>(static_cast<uint8_t>(payload[at]));
}

TEST(ColumnCodec, TimesSortedUseGcdDeltas) {
  std::vector<int64_t> t;
  for (int i = 0; i < 1000; ++i) t.push_back(1'700'000'000'000'000'000 + i * 3'000'000LL);
  std::string out;
  EncodeTimes(t.data(), t.size(), &out);
  EXPECT_EQ(EncodingOf(out), Encoding::kTimeDelta);
  EXPECT_LT(out.size(), 1100u);  // one byte per delta after dividing by the GCD
  std::vector<int64_t> back;
  ASSERT_TRUE(DecodeTimes(out, t.size(), &back));
  EXPECT_EQ(back, t);
}

TEST(ColumnCodec, TimesUnsortedAndExtremes) {
  std::vector<int64_t> t = {
      5, -3, std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min(), 0, 0};
  std::string out;
  EncodeTimes(t.data(), t.size(), &out);
  EXPECT_EQ(EncodingOf(out), Encoding::kTimeZigzag);
  std::vector<int64_t> back;
  ASSERT_TRUE(DecodeTimes(out, t.size(), &back));
  EXPECT_EQ(back, t);
  // Equal timestamps (GCD 0) round-trip too.
  std::vector<int64_t> same(10, 42);
  out.clear();
  EncodeTimes(same.data(), same.size(), &out);
  ASSERT_TRUE(DecodeTimes(out, same.size(), &back));
  EXPECT_EQ(back, same);
  EXPECT_FALSE(DecodeTimes(out, same.size() + 1, &back));  // truncated
}

Column RoundTrip(const Column& c, uint32_t block_rows, std::string* payload = nullptr) {
  std::string out;
  EncodeField(c, 0, c.size(), 0, block_rows, &out);
  if (payload != nullptr) *payload = out;
  Column back;
  back.type = c.type;
  EXPECT_TRUE(DecodeField(out, static_cast<uint32_t>(c.size()), block_rows, &back));
  EXPECT_EQ(back.rows, c.rows);
  return back;
}

TEST(ColumnCodec, IntsPickAnEncodingAndRoundTrip) {
  std::mt19937_64 rng(1);
  struct Case {
    std::vector<int64_t> v;
    Encoding want;
  };
  std::vector<Case> cases;
  Case around_big{{}, Encoding::kIntFor};
  Case counter{{}, Encoding::kIntDelta};
  Case small{{}, Encoding::kIntPlain};
  for (int i = 0; i < 500; ++i) {
    around_big.v.push_back(1'000'000'000 + static_cast<int64_t>(rng() % 100));
    counter.v.push_back(1'000'000'000'000 + i * 7);
    small.v.push_back(static_cast<int64_t>(rng() % 50) - 25);
  }
  cases = {around_big,
           counter,
           small,
           {{std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), 0, -1},
            Encoding::kIntPlain}};
  for (const Case& k : cases) {
    Column c;
    c.type = FieldType::kInt64;
    for (size_t i = 0; i < k.v.size(); ++i) c.rows.push_back(static_cast<uint32_t>(i));
    c.ints = k.v;
    std::string payload;
    Column back = RoundTrip(c, static_cast<uint32_t>(k.v.size()), &payload);
    EXPECT_EQ(back.ints, k.v);
    if (k.v.size() > 4) EXPECT_EQ(EncodingOf(payload, 1), k.want);
  }
}

TEST(ColumnCodec, DoublesDecimalWhenExactOtherwisePlain) {
  Column c;
  c.type = FieldType::kDouble;
  c.doubles = {7.9, 12.25, 0.01, -3.5, 100, 0};
  for (size_t i = 0; i < c.doubles.size(); ++i) c.rows.push_back(static_cast<uint32_t>(i * 2));
  std::string payload;
  Column back = RoundTrip(c, 20, &payload);
  EXPECT_EQ(back.doubles, c.doubles);
  // payload: presence(1) + rows, then encoding; find it after the row list.
  EXPECT_NE(payload.find(static_cast<char>(Encoding::kDoubleDecimal)), std::string::npos);

  for (double odd : {1.0 / 3.0, -0.0, std::numeric_limits<double>::infinity(),
                     std::numeric_limits<double>::quiet_NaN(), 1e300, 5e-324}) {
    Column d;
    d.type = FieldType::kDouble;
    d.doubles = {1.5, odd};
    d.rows = {0, 1};
    Column b = RoundTrip(d, 2);
    ASSERT_EQ(b.doubles.size(), 2u);
    EXPECT_EQ(std::memcmp(&b.doubles[1], &odd, sizeof(double)), 0) << odd;  // bit-exact
  }
}

TEST(ColumnCodec, StringsDictionaryTemplateAndPlain) {
  auto check = [](const std::vector<std::string>& vals, Encoding want) {
    Column c;
    c.type = FieldType::kString;
    for (size_t i = 0; i < vals.size(); ++i) {
      c.rows.push_back(static_cast<uint32_t>(i));
      c.strings.Append(vals[i]);
    }
    std::string payload;
    Column back = RoundTrip(c, static_cast<uint32_t>(vals.size()), &payload);
    ASSERT_EQ(back.strings.size(), vals.size());
    for (size_t i = 0; i < vals.size(); ++i) EXPECT_EQ(back.strings.Get(i), vals[i]);
    EXPECT_EQ(EncodingOf(payload, 1), want);
  };
  std::vector<std::string> levels, ids, msgs, hex, tricky;
  std::mt19937_64 rng(3);
  for (int i = 0; i < 2000; ++i) {
    levels.push_back(i % 3 ? "info" : "error");
    ids.push_back("u-" + std::string(6 - std::to_string(i).size(), '0') + std::to_string(i));
    msgs.push_back("GET /api/v1/items/" + std::to_string(rng() % 100000) + " done in " +
                   std::to_string(rng() % 500) + "ms status " + (i % 5 ? "200" : "503"));
    char buf[40];
    std::snprintf(buf, sizeof(buf), "%016llx%016llx", static_cast<unsigned long long>(rng()),
                  static_cast<unsigned long long>(rng()));
    hex.push_back(buf);
    // Placeholder bytes in the text itself, zero-padded numbers, huge numbers, digits inside
    // words, empty values.
    tricky.push_back(std::string("a\x11 b\x12\x13 ") + std::to_string(i % 7) +
                     " 007 x=" + std::to_string(i) + " 123456789012345678901234 ");
  }
  tricky.push_back("");
  check(levels, Encoding::kStringDict);
  check(ids, Encoding::kStringTemplate);
  check(msgs, Encoding::kStringTemplate);
  check(hex, Encoding::kStringPlain);
  check(tricky, Encoding::kStringTemplate);
}

TEST(ColumnCodec, PresenceListAndCorruption) {
  Column c;
  c.type = FieldType::kBool;
  c.rows = {3, 9, 10};
  c.ints = {1, 0, 1};
  std::string payload;
  Column back = RoundTrip(c, 11, &payload);
  EXPECT_EQ(back.ints, c.ints);
  // Rows beyond the block, a wrong count, truncation and trailing bytes are all rejected.
  Column x;
  x.type = FieldType::kBool;
  EXPECT_FALSE(DecodeField(payload, 3, 10, &x));
  x = Column();
  x.type = FieldType::kBool;
  EXPECT_FALSE(DecodeField(payload, 2, 11, &x));
  x = Column();
  x.type = FieldType::kBool;
  EXPECT_FALSE(DecodeField(payload.substr(0, payload.size() - 1), 3, 11, &x));
  x = Column();
  x.type = FieldType::kBool;
  EXPECT_FALSE(DecodeField(payload + "z", 3, 11, &x));
}

}  // namespace
}  // namespace lode::storage::internal
