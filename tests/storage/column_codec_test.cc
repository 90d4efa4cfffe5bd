#include "storage/internal/column_codec.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <numeric>
#include <random>

#include <gtest/gtest.h>

#include "storage/internal/chunk_streams.h"
#include "storage/internal/string_codec.h"

namespace lode::storage::internal {
namespace {

// A chunk as the writer stores it and the reader gets it back: streams, compressed, then
// decompressed. Views stay valid as long as the object lives.
class Chunk {
 public:
  explicit Chunk(const StreamWriter& w) {
    ChunkCompressor c(3, 3);
    c.Compress(w, &stored_);
    raw_ = w.raw_bytes();
  }
  explicit Chunk(std::string stored) : stored_(std::move(stored)) {}
  // A reader over the chunk, or nullopt-like false when the container is corrupt.
  bool Open(StreamReader** r) {
    uint64_t raw = 0;
    if (!DecompressChunk(stored_, uint64_t{1} << 30, &buffers_, &views_, &raw)) return false;
    reader_ = std::make_unique<StreamReader>(views_);
    *r = reader_.get();
    return true;
  }
  const std::string& stored() const { return stored_; }

 private:
  std::string stored_;
  uint64_t raw_ = 0;
  std::vector<std::string> buffers_;
  std::vector<std::string_view> views_;
  std::unique_ptr<StreamReader> reader_;
};

Encoding TagOf(const StreamWriter& w, size_t at = 0) {
  return static_cast<Encoding>(static_cast<uint8_t>(w.stream(0)[at]));
}

std::vector<int64_t> RoundTripTimes(const std::vector<int64_t>& t, Encoding* tag = nullptr) {
  StreamWriter w;
  EncodeTimeChunk(t.data(), t.size(), &w);
  if (tag != nullptr) *tag = TagOf(w);
  Chunk c(w);
  StreamReader* r;
  std::vector<int64_t> back;
  EXPECT_TRUE(c.Open(&r));
  EXPECT_TRUE(DecodeTimeChunk(r, t.size(), &back));
  return back;
}

TEST(ColumnCodec, TimesSortedUseGcdDeltas) {
  std::vector<int64_t> t;
  for (int i = 0; i < 1000; ++i) t.push_back(1'700'000'000'000'000'000 + i * 3'000'000LL);
  StreamWriter w;
  EncodeTimeChunk(t.data(), t.size(), &w);
  EXPECT_EQ(TagOf(w), Encoding::kTimeDelta);
  EXPECT_LT(w.raw_bytes(), 1100u);  // one byte per delta after dividing by the GCD
  EXPECT_EQ(RoundTripTimes(t), t);
}

TEST(ColumnCodec, TimesUnsortedExtremesAndSingle) {
  Encoding tag;
  std::vector<int64_t> t = {
      5, -3, std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min(), 0, 0};
  EXPECT_EQ(RoundTripTimes(t, &tag), t);
  EXPECT_EQ(tag, Encoding::kTimeInts);
  // Sorted, but spanning more than int64 can hold as one delta.
  std::vector<int64_t> wide = {std::numeric_limits<int64_t>::min(), 0,
                               std::numeric_limits<int64_t>::max()};
  EXPECT_EQ(RoundTripTimes(wide, &tag), wide);
  EXPECT_EQ(tag, Encoding::kTimeInts);
  std::vector<int64_t> same(10, 42);  // GCD 0
  EXPECT_EQ(RoundTripTimes(same, &tag), same);
  EXPECT_EQ(tag, Encoding::kTimeDelta);
  std::vector<int64_t> one = {-7};
  EXPECT_EQ(RoundTripTimes(one), one);

  // A reader asked for more rows than were written fails.
  std::vector<int64_t> steps = {1, 5, 6, 90, 1000};
  StreamWriter w;
  EncodeTimeChunk(steps.data(), steps.size(), &w);
  Chunk c(w);
  StreamReader* r;
  ASSERT_TRUE(c.Open(&r));
  std::vector<int64_t> back;
  EXPECT_FALSE(DecodeTimeChunk(r, steps.size() + 1, &back));
}

// Encodes `c` as a field of a block of `block_rows` rows and decodes it again.
Column RoundTrip(const Column& c, uint32_t block_rows, BlockRefs* enc_refs = nullptr,
                 BlockRefs* dec_refs = nullptr, StreamWriter* out = nullptr) {
  StreamWriter w;
  EncodeField(c, 0, c.size(), 0, block_rows, enc_refs, &w);
  if (out != nullptr) {
    out->Clear();
    for (size_t i = 0; i < w.size(); ++i) {
      *(i == 0 ? out->main() : out->Add()) = w.stream(i);
    }
  }
  Chunk chunk(w);
  StreamReader* r;
  Column back;
  back.type = c.type;
  EXPECT_TRUE(chunk.Open(&r));
  EXPECT_TRUE(DecodeField(r, static_cast<uint32_t>(c.size()), block_rows, dec_refs, &back));
  EXPECT_EQ(back.rows, c.rows);
  return back;
}

Column IntColumn(const std::vector<int64_t>& v) {
  Column c;
  c.type = FieldType::kInt64;
  c.ints = v;
  c.rows.resize(v.size());
  std::iota(c.rows.begin(), c.rows.end(), 0u);
  return c;
}

Column StringColumn(const std::vector<std::string>& v, std::string name = "s") {
  Column c;
  c.name = std::move(name);
  c.type = FieldType::kString;
  for (size_t i = 0; i < v.size(); ++i) {
    c.rows.push_back(static_cast<uint32_t>(i));
    c.strings.Append(v[i]);
  }
  return c;
}

TEST(ColumnCodec, IntsPickAnEncodingAndRoundTrip) {
  std::mt19937_64 rng(1);
  struct Case {
    const char* name;
    std::vector<int64_t> v;
    std::vector<Encoding> want;  // any of these
  };
  Case around_big{"around_big", {}, {Encoding::kIntFor, Encoding::kIntForVarint}};
  Case counter{"counter", {}, {Encoding::kIntDelta, Encoding::kIntDeltaVarint}};
  Case status{"status", {}, {Encoding::kIntDict}};
  Case wide{"wide", {}, {Encoding::kIntFor, Encoding::kIntForVarint}};
  for (int i = 0; i < 5000; ++i) {
    around_big.v.push_back(1'000'000'000 + static_cast<int64_t>(rng() % 100'000));
    counter.v.push_back(1'000'000'000'000 + i * 7);
    status.v.push_back(std::array<int64_t, 5>{200, 200, 404, 500, 302}[rng() % 5]);
    wide.v.push_back(static_cast<int64_t>(rng() % 1'000'000'000) - 500'000'000);
  }
  const int64_t kMin = std::numeric_limits<int64_t>::min(),
                kMax = std::numeric_limits<int64_t>::max();
  std::vector<Case> cases = {around_big,
                             counter,
                             status,
                             wide,
                             {"extremes", {kMin, kMax, 0, -1, kMax, kMin}, {}},
                             {"constant", std::vector<int64_t>(300, -9), {}},
                             {"single", {kMin}, {}}};
  for (const Case& k : cases) {
    SCOPED_TRACE(k.name);
    StreamWriter w;
    Column back =
        RoundTrip(IntColumn(k.v), static_cast<uint32_t>(k.v.size()), nullptr, nullptr, &w);
    EXPECT_EQ(back.ints, k.v);
    if (!k.want.empty()) {
      EXPECT_NE(std::find(k.want.begin(), k.want.end(), TagOf(w, 1)), k.want.end())
          << static_cast<int>(TagOf(w, 1));
    }
  }
}

TEST(ColumnCodec, DoublesDecimalWhenExactOtherwisePlain) {
  Column c;
  c.type = FieldType::kDouble;
  c.doubles = {7.9, 12.25, 0.01, -3.5, 100, 0, 118.96, 1e-6};
  for (size_t i = 0; i < c.doubles.size(); ++i) c.rows.push_back(static_cast<uint32_t>(i * 2));
  StreamWriter w;
  Column back = RoundTrip(c, 20, nullptr, nullptr, &w);
  EXPECT_EQ(back.doubles, c.doubles);
  EXPECT_EQ(TagOf(w, 1), Encoding::kDoubleDecimal);

  for (double odd : {1.0 / 3.0, -0.0, std::numeric_limits<double>::infinity(),
                     std::numeric_limits<double>::quiet_NaN(), 1e300, 5e-324}) {
    Column d;
    d.type = FieldType::kDouble;
    d.doubles = {1.5, odd};
    d.rows = {0, 1};
    Column b = RoundTrip(d, 2, nullptr, nullptr, &w);
    EXPECT_EQ(TagOf(w, 1), Encoding::kDoublePlain);
    ASSERT_EQ(b.doubles.size(), 2u);
    EXPECT_EQ(std::memcmp(&b.doubles[1], &odd, sizeof(double)), 0) << odd;  // bit-exact
  }
}

std::string Hex(std::mt19937_64& rng, int chars, bool upper = false) {
  std::string s;
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  for (int i = 0; i < chars; ++i) s.push_back(digits[rng() % 16]);
  return s;
}

// The string encoding of `vals`, after checking that they round-trip.
Encoding StringRoundTrip(const std::vector<std::string>& vals, StreamWriter* w = nullptr) {
  StreamWriter local;
  if (w == nullptr) w = &local;
  Column c = StringColumn(vals);
  Column back = RoundTrip(c, static_cast<uint32_t>(vals.size()), nullptr, nullptr, w);
  EXPECT_EQ(back.strings.size(), vals.size());
  for (size_t i = 0; i < vals.size() && i < back.strings.size(); ++i) {
    EXPECT_EQ(back.strings.Get(i), vals[i]) << i;
  }
  const Encoding tag = TagOf(*w, 1);
  // Codes where the decoder gives them (every value of a dictionary): equal codes, equal values.
  const bool dictionary = tag == Encoding::kStringDict || tag == Encoding::kStringRecent;
  EXPECT_EQ(back.strings.has_codes(), dictionary || tag == Encoding::kStringTemplateHex);
  std::map<uint32_t, std::string> value_of_code;
  for (size_t i = 0; back.strings.has_codes() && i < back.strings.size(); ++i) {
    const uint32_t code = back.strings.code(i);
    if (dictionary) {
      EXPECT_NE(code, StringData::kNoCode) << i;
    }
    if (code == StringData::kNoCode) continue;
    EXPECT_LT(code, back.strings.num_codes());
    auto [it, inserted] = value_of_code.emplace(code, vals[i]);
    EXPECT_EQ(it->second, vals[i]) << i;
  }
  return tag;
}

TEST(ColumnCodec, StringsDictionaryTemplateRecentAndPlain) {
  std::vector<std::string> levels, ids, msgs, trace, hex_unique, upper, tricky, words;
  std::mt19937_64 rng(3);
  std::vector<std::string> recent;
  for (int i = 0; i < 2000; ++i) {
    levels.push_back(i % 3 ? "info" : "error");
    ids.push_back("u-" + std::string(6 - std::to_string(i).size(), '0') + std::to_string(i));
    msgs.push_back("GET /api/v1/items/" + std::to_string(rng() % 100000) + " done in " +
                   std::to_string(rng() % 500) + "ms status " + (i % 5 ? "200" : "503"));
    // Trace ids: new ones, and repeats of one of the last few.
    if (recent.empty() || rng() % 3 != 0) {
      recent.push_back(Hex(rng, 32));
      trace.push_back(recent.back());
    } else {
      trace.push_back(recent[recent.size() - 1 - rng() % std::min<size_t>(recent.size(), 20)]);
    }
    hex_unique.push_back(Hex(rng, 16));
    upper.push_back(Hex(rng, 8, true));
    // Placeholder bytes in the text itself, zero-padded numbers, huge numbers, digits inside
    // words, empty values.
    tricky.push_back(std::string("a\x11 b\x12\x13 ") + std::to_string(i % 7) +
                     " 007 x=" + std::to_string(i) + " 123456789012345678901234 ");
    words.push_back("w" + Hex(rng, 5) + "-" + Hex(rng, 3) + "z");  // distinct, no numbers
  }
  tricky.push_back("");
  EXPECT_EQ(StringRoundTrip(levels), Encoding::kStringDict);
  EXPECT_EQ(StringRoundTrip(ids), Encoding::kStringTemplateHex);
  EXPECT_EQ(StringRoundTrip(msgs), Encoding::kStringTemplateHex);
  EXPECT_EQ(StringRoundTrip(tricky), Encoding::kStringTemplateHex);
  EXPECT_EQ(StringRoundTrip(words), Encoding::kStringPlain);

  // Hex ids are packed to half their size before compression.
  StreamWriter w;
  EXPECT_EQ(StringRoundTrip(trace, &w), Encoding::kStringRecent);
  EXPECT_LT(w.raw_bytes(), 2000 * 16 + 4000);
  EXPECT_EQ(StringRoundTrip(hex_unique, &w), Encoding::kStringPlain);
  EXPECT_LT(w.raw_bytes(), 2000 * 8 + 100);
  EXPECT_EQ(StringRoundTrip(upper, &w), Encoding::kStringPlain);
  EXPECT_LT(w.raw_bytes(), 2000 * 4 + 100);
}

// The skeleton of a template-encoded value, computed here from the value by the tokenizer rule
// (docs/formats/segment.md): each number (1-18 digits at the start or after a byte that is not
// an ASCII letter or digit) reads "0", with `hex` each hex id (a whole token of 8-64 characters
// 0-9a-f with a digit and a letter) too, and every other byte stays.
std::string ReferenceSkeleton(std::string_view v, bool hex = true) {
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  std::string out;
  for (size_t i = 0; i < v.size();) {
    if (hex && alnum(v[i]) && (i == 0 || !alnum(v[i - 1]))) {
      size_t j = i;
      while (j < v.size() && alnum(v[j])) ++j;
      const std::string_view token = v.substr(i, j - i);
      const bool lower_hex = token.find_first_not_of("0123456789abcdef") == std::string::npos;
      const bool digit = token.find_first_of("0123456789") != std::string::npos;
      const bool letter = token.find_first_of("abcdef") != std::string::npos;
      if (token.size() >= 8 && token.size() <= 64 && lower_hex && digit && letter) {
        out += "0";
        i = j;
        continue;
      }
    }
    if (std::isdigit(static_cast<unsigned char>(v[i])) && (i == 0 || !alnum(v[i - 1]))) {
      size_t j = i;
      while (j < v.size() && std::isdigit(static_cast<unsigned char>(v[j]))) ++j;
      out += j - i <= 18 ? std::string("0") : std::string(v.substr(i, j - i));
      i = j;
    } else {
      out.push_back(v[i++]);
    }
  }
  return out;
}

TEST(ColumnCodec, MessageSkeletonsMatchTheTokenizerRule) {
  std::mt19937_64 rng(11);
  // Hex ids (whole tokens of 8-64 lower-case hex digits with a digit and a letter), and tokens
  // that are not: too short or long, upper case, no digit, no letter, glued to a letter.
  const std::vector<std::string> pieces = {"5a90c78e97fd0ba4",
                                           "bb03092ac165f3ce3432fbff6fe9ab39",
                                           "0123456a",
                                           std::string(64, 'a') + "1",
                                           "a" + std::string(63, '7'),
                                           "123456a",
                                           "5A90C78E97FD0BA4",
                                           "deadbeefcafe",
                                           "x5a90c78e97fd0ba4",
                                           "5a90c78e97fd0ba4g",
                                           "id=5a90c78e97fd0ba4;",
                                           std::string("\x14", 1),
                                           "connection",
                                           " ",
                                           "\t",
                                           "\x01",
                                           std::string("\x11", 1),
                                           std::string("\x12", 1),
                                           std::string("\x13", 1),
                                           "a-",
                                           "v",
                                           "=",
                                           "ms",
                                           "long text without any placeholder at all ",
                                           "\xc3\xa9t\xc3\xa9",
                                           "/"};
  StringData values;
  std::vector<std::string> want;
  auto number = [&](int kind) {
    switch (kind) {
      case 0:
        return std::to_string(rng() % 100000);
      case 1:
        return "00" + std::to_string(10 + rng() % 90);  // zero-padded, 4 digits
      default:
        return std::string(19 + rng() % 3, '7');  // too long to be a number
    }
  };
  for (int i = 0; i < 3000; ++i) {
    // A few hundred templates: two pieces and two numbers of three kinds.
    std::string v = "msg " + std::to_string(rng() % 1000) + " ";
    // Digits right after a letter stay text ("v12"), so those values are their own templates:
    // only one in 50 glues a number to the piece before it.
    const std::string& a = pieces[i % pieces.size()];
    const std::string& b = pieces[(i / 500) % pieces.size()];
    v += a + (i % 50 == 0 ? "" : " ") + number(i % 3) + b + " " + number((i / 3) % 3) + "ms";
    values.Append(v);
    want.push_back(ReferenceSkeleton(v));
  }
  // Both dialects: string-template-hex, which the writer uses, and string-template (numbers
  // only), which older segments hold.
  for (bool hex : {true, false}) {
    StreamWriter w;
    if (hex) {
      EncodeMessageChunk(values, 0, values.size(), nullptr, &w);
      ASSERT_EQ(TagOf(w), Encoding::kStringTemplateHex);
    } else {
      ASSERT_TRUE(TryEncodeTemplates(values, 0, values.size(), nullptr, values.size(), nullptr, &w,
                                     /*hex=*/false));
      ASSERT_EQ(TagOf(w), Encoding::kStringTemplate);
      for (std::string& sk : want) sk.clear();
      for (size_t i = 0; i < values.size(); ++i) want[i] = ReferenceSkeleton(values.Get(i), false);
    }
    for (bool with_predicate : {false, true}) {
      Chunk c(w);
      StreamReader* r;
      ASSERT_TRUE(c.Open(&r));
      StringData out;
      // The predicate expands the values holding "connection" (in full) and no others.
      const TemplatePredicate expand = [](std::string_view sk) {
        return sk.find("connection") != std::string_view::npos;
      };
      ASSERT_TRUE(DecodeMessageChunk(r, values.size(), nullptr, &out, true,
                                     with_predicate ? &expand : nullptr));
      ASSERT_EQ(out.size(), values.size());
      EXPECT_TRUE(out.dictionary_form());
      size_t expanded = 0;
      for (size_t i = 0; i < values.size(); ++i) {
        const bool full = with_predicate && want[i].find("connection") != std::string::npos;
        ASSERT_EQ(out.Get(i), full ? values.Get(i) : std::string_view(want[i])) << i;
        expanded += full;
      }
      if (with_predicate) {
        EXPECT_GT(expanded, 100u);
      }
      // And in full, without a skeleton.
      Chunk full(w);
      ASSERT_TRUE(full.Open(&r));
      StringData all;
      ASSERT_TRUE(DecodeMessageChunk(r, values.size(), nullptr, &all, false, nullptr));
      ASSERT_EQ(all.size(), values.size());
      for (size_t i = 0; i < values.size(); ++i) ASSERT_EQ(all.Get(i), values.Get(i)) << i;
    }
  }
}

// Hex ids in messages are template variables (string-template-hex): one template for all the
// "session <id> refreshed" values, ids of one length or of several, two digits a byte.
TEST(ColumnCodec, HexIdsInTemplates) {
  std::mt19937_64 rng(21);
  std::vector<std::string> fixed, varying, mixed;
  for (int i = 0; i < 3000; ++i) {
    std::string id = Hex(rng, 16);
    if (id.find_first_of("0123456789") == std::string::npos) id[0] = '7';
    if (id.find_first_of("abcdef") == std::string::npos) id[1] = 'c';
    fixed.push_back("span " + id + " closed after " + std::to_string(rng() % 900) + "ms");
    varying.push_back("session " + id.substr(0, 8 + rng() % 9) + "a1 refreshed for user u-" +
                      std::to_string(rng() % 1000));
    mixed.push_back(i % 2 ? fixed.back() : varying.back());
  }
  for (const auto* vals : {&fixed, &varying, &mixed}) {
    StreamWriter w;
    EXPECT_EQ(StringRoundTrip(*vals, &w), Encoding::kStringTemplateHex);
    size_t text = 0;
    for (const std::string& v : *vals) text += v.size();
    // Ids take half their digits; templates are few.
    EXPECT_LT(w.raw_bytes(), text / 2);
  }
}

// A slot of the wrong kind for its placeholder (a hex slot for a number, or the reverse) makes
// the chunk corrupt; nothing is printed from the wrong stream.
TEST(ColumnCodec, TemplateSlotKindsMatchPlaceholders) {
  std::mt19937_64 rng(23);
  StringData values;
  // Numbers 1..64: read as a hex id's place and length they would point inside the hex stream.
  for (int i = 1; i <= 64; ++i) values.Append("a 5" + Hex(rng, 14) + "f b " + std::to_string(i));
  StreamWriter w;
  ASSERT_TRUE(TryEncodeTemplates(values, 0, values.size(), nullptr, values.size(), nullptr, &w));
  // The template list holds "a \x14 b \x11": swap the two placeholders in a copy.
  const std::string tmpl("a \x14 b \x11", 7);
  StreamWriter bad;
  bool swapped = false;
  for (size_t i = 0; i < w.size(); ++i) {
    std::string s = w.stream(i);
    if (const size_t at = s.find(tmpl); at != std::string::npos) {
      std::swap(s[at + 2], s[at + 6]);
      swapped = true;
    }
    *(i == 0 ? bad.main() : bad.Add()) = s;
  }
  ASSERT_TRUE(swapped);
  for (bool with_predicate : {false, true}) {
    const TemplatePredicate all = [](std::string_view) { return true; };
    for (const StreamWriter* sw : {&w, &bad}) {
      Chunk c(*sw);
      StreamReader* r;
      ASSERT_TRUE(c.Open(&r));
      StringData out;
      const bool ok = DecodeMessageChunk(r, values.size(), nullptr, &out, with_predicate,
                                         with_predicate ? &all : nullptr);
      EXPECT_EQ(ok, sw == &w) << with_predicate;
      if (ok) {
        for (size_t i = 0; i < values.size(); ++i) EXPECT_EQ(out.Get(i), values.Get(i));
      }
    }
  }
}

TEST(ColumnCodec, StringEdgeCases) {
  // Not hex after all: mixed case, odd length, a length change, a non-hex byte at the end.
  std::mt19937_64 rng(5);
  std::vector<std::vector<std::string>> cases;
  for (int variant = 0; variant < 4; ++variant) {
    std::vector<std::string> v;
    for (int i = 0; i < 100; ++i) v.push_back(Hex(rng, 16));
    if (variant == 0) v[50] = "ABCDEF0123456789" + std::string();
    if (variant == 0) v[51] = "abcdef0123456789";
    if (variant == 1) {
      for (auto& s : v) s.pop_back();
    }
    if (variant == 2) v[99] += "00";
    if (variant == 3) v[99][15] = 'g';
    cases.push_back(v);
  }
  // Not the hex list form: plain text, or templates of hex ids (those of the odd lengths).
  for (const auto& v : cases) {
    const Encoding tag = StringRoundTrip(v);
    EXPECT_TRUE(tag == Encoding::kStringPlain || tag == Encoding::kStringTemplateHex)
        << static_cast<int>(tag);
  }
  // Few values, all empty, one value, bytes that are placeholders in templates.
  StringRoundTrip({""});
  StringRoundTrip(std::vector<std::string>(40, ""));
  StringRoundTrip({"x"});
  StringRoundTrip({std::string("\x11\x12\x13\x14", 4), "1", "01", "\x12\x02", "0"});
  std::vector<std::string> big;
  for (int i = 0; i < 40; ++i) big.push_back(std::string(100000, static_cast<char>('a' + i % 3)));
  StringRoundTrip(big);
}

// A block where the message repeats fields: it refers to them instead of storing numbers again,
// and a string field that equals another one is a copy.
TEST(ColumnCodec, ReferencesToOtherColumns) {
  const uint32_t n = 500;
  std::mt19937_64 rng(9);
  Column status = IntColumn({}), latency, path = StringColumn({}, "path"), host, pod;
  status.name = "status";
  latency.type = FieldType::kDouble;
  host.type = pod.type = FieldType::kString;
  StringData messages;
  for (uint32_t i = 0; i < n; ++i) {
    status.rows.push_back(i);
    status.ints.push_back(std::array<int64_t, 3>{200, 404, 500}[rng() % 3]);
    latency.rows.push_back(i);
    latency.doubles.push_back(static_cast<double>(rng() % 100000) / 100);
    path.rows.push_back(i);
    path.strings.Append("/api/v1/items/" + std::to_string(rng() % 1000000));
    host.rows.push_back(i);
    host.strings.Append("web-" + std::to_string(rng() % 4));
    if (i % 2 == 0) {
      pod.rows.push_back(i);
      pod.strings.Append(host.strings.Get(i));
    }
    messages.Append("GET " + std::string(path.strings.Get(i)) + " completed with status " +
                    std::to_string(status.ints[i]) + " in " +
                    std::to_string(static_cast<uint64_t>(latency.doubles[i])) + "ms");
  }
  BlockRefs enc(n);
  enc.Add(ColumnView::Of(2, status, 0, n, 0));
  enc.Add(ColumnView::Of(3, latency, 0, n, 0));
  enc.Add(ColumnView::Of(4, path, 0, n, 0));
  enc.Add(ColumnView::Of(5, host, 0, n, 0));

  // The pod is a copy of the host (rows are a subset).
  StreamWriter w;
  EncodeField(pod, 0, pod.size(), 0, n, &enc, &w);
  EXPECT_EQ(TagOf(w, 1), Encoding::kStringCopy) << static_cast<int>(TagOf(w, 1));
  EXPECT_EQ(*enc.used(), std::vector<uint32_t>({5}));
  {
    Chunk c(w);
    StreamReader* r;
    ASSERT_TRUE(c.Open(&r));
    BlockRefs dec(n);
    dec.Add(ColumnView::Of(5, host, 0, n, 0));
    std::vector<uint32_t> allowed = {5};
    dec.Allow(&allowed);
    Column back;
    back.type = FieldType::kString;
    ASSERT_TRUE(DecodeField(r, static_cast<uint32_t>(pod.size()), n, &dec, &back));
    ASSERT_EQ(back.strings.size(), pod.size());
    for (size_t i = 0; i < pod.size(); ++i) EXPECT_EQ(back.strings.Get(i), pod.strings.Get(i));
  }

  // The message takes status, the latency's integer part and the path's number by reference.
  enc.used()->clear();
  StreamWriter mw;
  EncodeMessageChunk(messages, 0, n, &enc, &mw);
  EXPECT_EQ(TagOf(mw), Encoding::kStringTemplateHex);
  EXPECT_EQ(*enc.used(), std::vector<uint32_t>({2, 3, 4}));
  StreamWriter plain;
  EncodeMessageChunk(messages, 0, n, nullptr, &plain);
  EXPECT_LT(mw.raw_bytes() + 3 * n, plain.raw_bytes());
  Chunk c(mw);
  StreamReader* r;
  ASSERT_TRUE(c.Open(&r));
  BlockRefs dec(n);
  dec.Add(ColumnView::Of(2, status, 0, n, 0));
  dec.Add(ColumnView::Of(3, latency, 0, n, 0));
  dec.Add(ColumnView::Of(4, path, 0, n, 0));
  std::vector<uint32_t> allowed = {2, 3, 4};
  dec.Allow(&allowed);
  StringData back;
  ASSERT_TRUE(DecodeMessageChunk(r, n, &dec, &back));
  ASSERT_EQ(back.size(), n);
  for (uint32_t i = 0; i < n; ++i) EXPECT_EQ(back.Get(i), messages.Get(i));

  // Without permission to use a column (the footer does not list it), decoding fails.
  Chunk c2(mw);
  ASSERT_TRUE(c2.Open(&r));
  std::vector<uint32_t> fewer = {2, 3};
  dec.Allow(&fewer);
  StringData none;
  EXPECT_FALSE(DecodeMessageChunk(r, n, &dec, &none));
}

TEST(ColumnCodec, PresenceListSameAsAndCorruption) {
  Column c;
  c.type = FieldType::kBool;
  c.rows = {3, 9, 10};
  c.ints = {1, 0, 1};
  StreamWriter w;
  Column back = RoundTrip(c, 11, nullptr, nullptr, &w);
  EXPECT_EQ(back.ints, c.ints);

  // Same rows as a referenceable column: no row list stored.
  Column other = c;
  other.type = FieldType::kInt64;
  other.ints = {5, 6, 7};
  BlockRefs refs(11);
  refs.Add(ColumnView::Of(7, other, 0, 3, 0));
  StreamWriter sw;
  EncodeField(c, 0, 3, 0, 11, &refs, &sw);
  EXPECT_EQ(static_cast<Presence>(sw.stream(0)[0]), Presence::kSameAs);
  EXPECT_EQ(sw.size(), 1u);

  // Rows beyond the block, a wrong count, and trailing or missing bytes are all rejected.
  auto decodes = [&](const std::string& stored, uint32_t n, uint32_t block_rows) {
    Chunk chunk(stored);
    StreamReader* r;
    if (!chunk.Open(&r)) return false;
    Column x;
    x.type = FieldType::kBool;
    return DecodeField(r, n, block_rows, nullptr, &x);
  };
  const std::string good = Chunk(w).stored();
  EXPECT_TRUE(decodes(good, 3, 11));
  EXPECT_FALSE(decodes(good, 3, 10));
  EXPECT_FALSE(decodes(good, 2, 11));
  EXPECT_FALSE(decodes(good.substr(0, good.size() - 1), 3, 11));
  EXPECT_FALSE(decodes(good + "z", 3, 11));
  // A stream the encoding does not take is corruption too.
  StreamWriter extra = w;
  extra.Add()->append("?");
  EXPECT_FALSE(decodes(Chunk(extra).stored(), 3, 11));
}

// Random damage to encoded chunks of every kind: decoders return false or produce some values,
// but never read out of bounds (this test matters most under ASan).
TEST(ColumnCodec, RandomCorruptionNeverCrashes) {
  std::mt19937_64 rng(11);
  std::vector<Column> cols;
  std::vector<std::string> trace, msgs, words;
  std::vector<int64_t> ints;
  for (int i = 0; i < 300; ++i) {
    trace.push_back(i % 3 == 0 && i > 0 ? trace[i - 1] : Hex(rng, 32));
    msgs.push_back("user u-" + std::to_string(rng() % 999) + " took " +
                   std::to_string(rng() % 100) + "ms");
    words.push_back(i % 4 ? "info" : "warn");
    ints.push_back(static_cast<int64_t>(rng() % 1000));
  }
  cols.push_back(StringColumn(trace));
  cols.push_back(StringColumn(msgs));
  cols.push_back(StringColumn(words));
  cols.push_back(IntColumn(ints));
  Column sparse = IntColumn({1, 2, 3});
  sparse.rows = {1, 100, 200};
  cols.push_back(sparse);
  int rejected = 0, total = 0;
  for (const Column& c : cols) {
    StreamWriter w;
    EncodeField(c, 0, c.size(), 0, 300, nullptr, &w);
    const std::string good = Chunk(w).stored();
    for (int trial = 0; trial < 300; ++trial) {
      std::string bad = good;
      if (trial % 5 == 0) {
        bad.resize(rng() % bad.size());
      } else {
        const size_t pos = rng() % bad.size();
        bad[pos] = static_cast<char>(bad[pos] ^ (1 << (rng() % 8)));
      }
      Chunk chunk(bad);
      StreamReader* r;
      ++total;
      if (!chunk.Open(&r)) {
        ++rejected;
        continue;
      }
      Column x;
      x.type = c.type;
      if (!DecodeField(r, static_cast<uint32_t>(c.size()), 300, nullptr, &x)) {
        ++rejected;
        continue;
      }
      // Accepted: the shape must still be consistent.
      EXPECT_EQ(x.rows.size(), c.size());
      for (uint32_t row : x.rows) EXPECT_LT(row, 300u);
    }
  }
  EXPECT_GT(rejected, total / 4);  // much damage is caught even without the CRC
}

// Damage after decompression (what a zstd frame that still decodes, or a raw stream, could
// hand over): flipped bits, cut or extended streams, dropped or extra streams, in every kind of
// payload, references included. Decoders must reject it or produce well-formed values.
TEST(ColumnCodec, PayloadCorruptionNeverCrashes) {
  std::mt19937_64 rng(13);
  const uint32_t n = 400;
  Column status = IntColumn({}), latency, path = StringColumn({}, "path"), trace, sparse, flags;
  latency.type = FieldType::kDouble;
  trace.type = sparse.type = FieldType::kString;
  flags.type = FieldType::kBool;
  StringData messages;
  std::vector<std::string> recent;
  for (uint32_t i = 0; i < n; ++i) {
    status.rows.push_back(i);
    status.ints.push_back(std::array<int64_t, 3>{200, 404, 500}[rng() % 3]);
    latency.rows.push_back(i);
    latency.doubles.push_back(i % 7 == 0 ? 1.0 / (i + 3) : static_cast<double>(rng() % 9999) / 100);
    path.rows.push_back(i);
    path.strings.Append("/v1/x/" + std::to_string(rng() % 100000));
    if (recent.empty() || rng() % 2) recent.push_back(Hex(rng, 16));
    trace.rows.push_back(i);
    trace.strings.Append(recent[recent.size() - 1 - rng() % std::min<size_t>(recent.size(), 5)]);
    if (i % 3 == 0) {
      sparse.rows.push_back(i);
      sparse.strings.Append(i % 2 ? "alpha" : "beta");
      flags.rows.push_back(i);
      flags.ints.push_back(i % 2);
    }
    // Hex ids of one length and of several, so that the hex stream is damaged too.
    messages.Append("GET " + std::string(path.strings.Get(i)) + " status " +
                    std::to_string(status.ints[i]) + " in " +
                    std::to_string(static_cast<uint64_t>(latency.doubles[i])) + "ms id 0" +
                    std::to_string(i % 50) + " span 7" + Hex(rng, 14) + "a" +
                    (i % 4 == 0 ? " session 9" + Hex(rng, 8 + rng() % 9) + "c" : ""));
  }
  std::vector<int64_t> times;
  for (uint32_t i = 0; i < n; ++i) times.push_back(1'000'000 * (i * 3 + rng() % 3));
  std::sort(times.begin(), times.end());

  BlockRefs enc(n);
  enc.Add(ColumnView::Of(2, status, 0, n, 0));
  enc.Add(ColumnView::Of(3, latency, 0, n, 0));
  enc.Add(ColumnView::Of(4, path, 0, n, 0));
  enc.Add(ColumnView::Of(6, sparse, 0, sparse.size(), 0));
  std::vector<uint32_t> allowed = {2, 3, 4, 6};

  struct Payload {
    const char* name;
    StreamWriter w;
    const Column* column;  // nullptr: time (kind 0) or message (kind 1)
    int kind;
  };
  std::vector<Payload> payloads;
  auto add_field = [&](const char* name, const Column& c) {
    Payload p{name, {}, &c, 2};
    EncodeField(c, 0, c.size(), 0, n, &enc, &p.w);
    payloads.push_back(std::move(p));
  };
  add_field("status", status);
  add_field("latency", latency);
  add_field("path", path);
  add_field("trace", trace);
  add_field("sparse", sparse);
  add_field("flags", flags);  // same rows as `sparse`
  {
    Payload p{"time", {}, nullptr, 0};
    EncodeTimeChunk(times.data(), n, &p.w);
    payloads.push_back(std::move(p));
    Payload q{"message", {}, nullptr, 1};
    EncodeMessageChunk(messages, 0, n, &enc, &q.w);
    payloads.push_back(std::move(q));
  }
  size_t accepted_damage = 0;
  for (const Payload& p : payloads) {
    SCOPED_TRACE(p.name);
    for (int trial = 0; trial < 400; ++trial) {
      std::vector<std::string> streams;
      for (size_t i = 0; i < p.w.size(); ++i) streams.push_back(p.w.stream(i));
      std::string& s = streams[rng() % streams.size()];
      switch (trial % 6) {
        case 0:
        case 1:
          if (!s.empty()) s[rng() % s.size()] ^= static_cast<char>(1 << (rng() % 8));
          break;
        case 2:
          if (!s.empty()) s[rng() % s.size()] = static_cast<char>(rng());
          break;
        case 3:
          s.resize(s.empty() ? 0 : rng() % s.size());
          break;
        case 4:
          s.push_back(static_cast<char>(rng()));
          break;
        case 5:
          if (streams.size() > 1 && rng() % 2) {
            streams.pop_back();
          } else {
            streams.emplace_back("\x01\x02");
          }
          break;
      }
      std::vector<std::string_view> views(streams.begin(), streams.end());
      StreamReader r(views);
      BlockRefs dec(n);
      dec.Add(ColumnView::Of(2, status, 0, n, 0));
      dec.Add(ColumnView::Of(3, latency, 0, n, 0));
      dec.Add(ColumnView::Of(4, path, 0, n, 0));
      dec.Add(ColumnView::Of(6, sparse, 0, sparse.size(), 0));
      dec.Allow(&allowed);
      bool ok;
      if (p.kind == 0) {
        std::vector<int64_t> back;
        ok = DecodeTimeChunk(&r, n, &back);
        if (ok) {
          EXPECT_EQ(back.size(), n);
        }
      } else if (p.kind == 1) {
        StringData back;
        ok = DecodeMessageChunk(&r, n, &dec, &back);
        if (ok) {
          EXPECT_EQ(back.size(), n);
        }
      } else {
        Column back;
        back.type = p.column->type;
        ok = DecodeField(&r, static_cast<uint32_t>(p.column->size()), n, &dec, &back);
        if (ok) {
          EXPECT_EQ(back.rows.size(), p.column->size());
          EXPECT_TRUE(std::is_sorted(back.rows.begin(), back.rows.end()));
          for (uint32_t row : back.rows) EXPECT_LT(row, n);
          const size_t values = back.type == FieldType::kString   ? back.strings.size()
                                : back.type == FieldType::kDouble ? back.doubles.size()
                                                                  : back.ints.size();
          EXPECT_EQ(values, back.rows.size());
        }
      }
      accepted_damage += ok;
    }
  }
  // Some damage is undetectable without the CRC (a flipped low bit of a stored number), but
  // most breaks a count, a length or an id.
  EXPECT_LT(accepted_damage, payloads.size() * 400 / 2);
}

}  // namespace
}  // namespace lode::storage::internal
