// Differential test of the index: for a few hundred random queries over a store with many
// blocks, several segments and a memtable, the planned cursor (QueryCursor::Open with the query
// tree: index, block ranges, projected columns) must return exactly what the brute-force cursor
// (Open with a compiled Filter: every block, every column) returns: the same count, the same
// records in the same order, with and without a limit and a time window. The filter is the
// ground truth; the index may only save work.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"

#include "bench/corpus_generator.h"
#include "common/record_batch.h"
#include "common/strings.h"
#include "index/tokenizer.h"
#include "ingest/line_parser.h"
#include "query/parser.h"
#include "query/query_cursor.h"
#include "storage/mem_env.h"
#include "storage/store.h"
#include "tests/testing/record_util.h"

namespace lode::query {
namespace {

// Unoptimized and sanitizer builds run a smaller version of the same test.
#if defined(NDEBUG) && !defined(__SANITIZE_ADDRESS__)
constexpr uint64_t kCorpusLines = 20000;
constexpr int kQueries = 200;
#else
constexpr uint64_t kCorpusLines = 6000;
constexpr int kQueries = 80;
#endif
constexpr uint32_t kBlockRows = 200;
constexpr int kHandRows = 600;
constexpr int kSegments = 3;  // plus the memtable, destination kSegments

std::string Quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// True when `s` can be written as a bare word (or prefix, or field value) of the language.
bool SafeBare(std::string_view s) {
  if (s.empty() || s[0] == '-' || s[0] == '~' || s[0] == '(' || s[0] == '[' || s[0] == '{') {
    return false;
  }
  if (s == "AND" || s == "OR" || s == "NOT" || s == "TO") return false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (!(index::IsTokenByte(c) || c == '.' || c == '-' || c == '@' || c == '/') || u < 0x20) {
      return false;
    }
  }
  return true;
}

std::string WordText(std::string_view w) { return SafeBare(w) ? std::string(w) : Quoted(w); }

// Escapes RE2 metacharacters.
std::string RegexQuote(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::string_view("\\.+*?()|[]{}^$").find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// Records that stress the tokenizer and the typed fields. `dest` (0..kSegments) decides the
// types of the fields whose type differs between segments.
void AddHandRecord(std::mt19937_64& rng, int dest, int64_t time, RecordBatch* b) {
  auto pick = [&](std::initializer_list<const char*> l) {
    return std::string(*(l.begin() + rng() % l.size()));
  };
  auto hex = [&](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s.push_back("0123456789abcdef"[rng() % 16]);
    return s;
  };
  const std::string uuid = StrCat(hex(8), "-", hex(4), "-", hex(4), "-", hex(4), "-", hex(12));
  const std::string long_token = std::string(66, 'L') + hex(6);             // unique, over 64 bytes
  const std::string long_shared = std::string(70, 'z') + pick({"1", "2"});  // repeated
  std::string msg;
  switch (rng() % 16) {
    case 0:
      msg = "conn from 10.0.0.1.5 accepted";
      break;
    case 1:
      msg = "peer x10.0.0.12 refused the Connection";
      break;
    case 2:
      msg = StrCat("ip 10.0.0.1 up after ", rng() % 1000, "ms");
      break;
    case 3:
      msg = StrCat("req-id 7f3a-9c2b-", hex(4), " uuid ", uuid, " created");
      break;
    case 4:
      msg = StrCat("token ", long_token, " and ", long_shared);
      break;
    case 5:
      msg = "caf\xC3\xA9 na\xC3\xAFve \xE6\x97\xA5\xE6\x9C\xAC CAF\xC3\x89 ok";
      break;
    case 6:
      msg = "Connection REFUSED by Peer";
      break;
    case 7:
      // The Kelvin sign and the long s fold to k and s in RE2's (?i), not in the index.
      msg =
          pick({"x \xE2\x84\xAA"
                "elvin y",
                "\xC5\xBF"
                "tatus code 7"});
      break;
    case 8:
      msg = StrCat("at com.example.Foo.bar(Foo.java:", rng() % 50, ")");
      break;
    case 9:
      msg = StrCat("mail ada@example.com sent to user-", rng() % 30);
      break;
    case 10:
      msg = StrCat("snake_case_word timeout after ", rng() % 100, "ms");
      break;
    case 11:
      msg = StrCat("rareword", rng() % 40, " order ", 1000000 + rng() % 9000000);
      break;
    case 12:
      msg = StrCat("hand", dest, "word only in destination ", dest);
      break;
    case 13:
      msg = StrCat("a:b:c:d:e:f ", "a.b.c.d.e", " v1.2.3-rc", rng() % 3);
      break;
    case 14:
      // Hex ids, which templates take out as variables: some start with letters a-f alone.
      msg = rng() % 2 ? StrCat("span ", hex(16), " done")
                      : StrCat("session ", pick({"cafe", "bead", "f00d"}), hex(8), "a1 refreshed");
      break;
    default:
      msg = "";
      break;
  }
  b->BeginRow();
  // Numbers: int in segment 0, double in segment 1, either in the others.
  if (rng() % 2) {
    const int64_t v = static_cast<int64_t>(rng() % 200) - 50;
    if (dest == 0 || (dest >= 2 && rng() % 2)) {
      b->AddInt("num", v);
    } else {
      b->AddDouble("num", static_cast<double>(v) + (rng() % 2 ? 0.5 : 0.0));
    }
  }
  // A string in segment 0, an int in segment 1, a bool in segment 2, a double in the memtable.
  if (rng() % 3 == 0) {
    switch (dest) {
      case 0:
        b->AddString("mixed", pick({"12", "abc", "true", "x y"}));
        break;
      case 1:
        b->AddInt("mixed", 12 + static_cast<int64_t>(rng() % 3));
        break;
      case 2:
        b->AddBool("mixed", rng() % 2);
        break;
      default:
        b->AddDouble("mixed", 12.0 + static_cast<double>(rng() % 3) / 2);
        break;
    }
  }
  if (rng() % 2) b->AddBool("flag", rng() % 2);
  if (rng() % 2) {
    b->AddString("tag", pick({"alpha", "beta", "Gamma", "10.0.0.1", "a b", "", "needle-7f3a9c"}));
  } else if (rng() % 4 == 0) {
    b->AddString("tag", StrCat("tag-", uuid));
  }
  if (rng() % 5 == 0) b->AddString("arr", "[\"red\",\"green\"]");
  if (rng() % 7 == 0) b->AddString("longval", std::string(80, 'v') + pick({"1", "2"}));
  if (rng() % 9 == 0) b->AddString("hand.host", StrCat("web-", rng() % 4));
  b->EndRow(time, msg);
}

// What the generator draws from: values actually present in the data.
struct Vocabulary {
  std::vector<std::string> words;     // folded terms (tokens and compound pieces)
  std::vector<std::string> messages;  // sample of messages
  std::map<std::string, std::vector<std::string>> strings;  // field -> sample of values
  std::map<std::string, std::vector<std::string>> numbers;  // field -> sample of numbers
  std::vector<std::string> bool_fields;
  std::vector<int64_t> times;  // sorted
};

std::string NumberText(const Column& c, size_t i) {
  if (c.type == FieldType::kInt64) return std::to_string(c.ints[i]);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", c.doubles[i]);
  return buf;
}

Vocabulary MakeVocabulary(const RecordBatch& b, std::mt19937_64& rng) {
  Vocabulary v;
  std::map<std::string, int> counts;
  std::string folded;
  for (uint32_t r = 0; r < b.num_rows(); ++r) {
    if (rng() % 8 != 0) continue;
    index::Tokenize(b.message(r), &folded, [&](std::string_view t) { ++counts[std::string(t)]; });
    if (v.messages.size() < 3000) v.messages.emplace_back(b.message(r));
  }
  for (const Column& c : b.columns()) {
    for (size_t i = 0; i < c.rows.size(); ++i) {
      if (rng() % 16 != 0 && c.rows.size() > 64) continue;
      switch (c.type) {
        case FieldType::kString:
          v.strings[c.name].emplace_back(c.strings.Get(i));
          index::Tokenize(c.strings.Get(i), &folded,
                          [&](std::string_view t) { ++counts[std::string(t)]; });
          break;
        case FieldType::kInt64:
        case FieldType::kDouble:
          v.numbers[c.name].push_back(NumberText(c, i));
          break;
        case FieldType::kBool:
          break;
      }
    }
    if (c.type == FieldType::kBool) v.bool_fields.push_back(c.name);
  }
  for (const auto& [w, n] : counts) v.words.push_back(w);
  v.times = b.times();
  std::sort(v.times.begin(), v.times.end());
  return v;
}

class QueryGenerator {
 public:
  QueryGenerator(const Vocabulary& v, uint64_t seed) : v_(v), rng_(seed) {}

  std::string Query() { return Expr(1 + static_cast<int>(rng_() % 3)); }

 private:
  size_t Pick(size_t n) { return static_cast<size_t>(rng_() % n); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Pick(v.size())];
  }
  template <typename M>
  const typename M::value_type& PickEntry(const M& m) {
    auto it = m.begin();
    std::advance(it, Pick(m.size()));
    return *it;
  }

  std::string Expr(int depth) {
    if (depth == 0 || Pick(4) == 0) return Leaf();
    switch (Pick(6)) {
      case 0:
      case 1:
        return StrCat(Expr(depth - 1), Pick(2) ? " " : " AND ", Expr(depth - 1));
      case 2:
      case 3:
        return StrCat("(", Expr(depth - 1), " OR ", Expr(depth - 1), ")");
      case 4:
        return StrCat(Pick(2) ? "NOT " : "-", "(", Expr(depth - 1), ")");
      default:
        return StrCat(Expr(depth - 1), " -", Leaf());
    }
  }

  std::string Word() {
    if (Pick(10) == 0) return StrCat("absentword", Pick(100));
    return WordText(Pick(v_.words));
  }

  std::string Leaf() {
    switch (Pick(20)) {
      case 0:
      case 1:
      case 2:
      case 3:
        return Word();
      case 4: {
        // Two or three consecutive space-separated pieces of a message.
        const std::string& m = Pick(v_.messages);
        std::vector<std::string> parts;
        size_t s = 0;
        while (s <= m.size()) {
          size_t e = m.find(' ', s);
          if (e == std::string::npos) e = m.size();
          if (e > s) parts.push_back(m.substr(s, e - s));
          s = e + 1;
        }
        if (parts.empty()) return Word();
        const size_t b = Pick(parts.size());
        const size_t n = std::min(parts.size() - b, 1 + Pick(3));
        std::string phrase;
        for (size_t k = b; k < b + n; ++k) StrAppend(&phrase, k > b ? " " : "", parts[k]);
        return Quoted(phrase);
      }
      case 5:
      case 6: {
        // A prefix of a word present in the data.
        const std::string& w = Pick(v_.words);
        std::string p = w.substr(0, 1 + Pick(w.size()));
        if (!SafeBare(p)) return Word();
        return StrCat(p, "*");
      }
      case 7:
      case 8: {
        const auto& [field, values] = PickEntry(v_.strings);
        std::string value = Pick(3) == 0 ? "absent value" : Pick(values);
        if (Pick(3) == 0 && !values.empty()) {
          // field:(a OR b)
          return StrCat(field, ":(", Quoted(value), " OR ", Quoted(Pick(values)), ")");
        }
        return StrCat(field, ":", SafeBare(value) && Pick(2) ? value : Quoted(value));
      }
      case 9: {
        const auto& [field, values] = PickEntry(v_.strings);
        const std::string& value = Pick(values);
        std::string p = value.substr(0, Pick(value.size() + 1));
        if (!SafeBare(p)) return StrCat(field, ":*");
        return StrCat(field, ":", p, "*");
      }
      case 10:
      case 11: {
        const auto& [field, values] = PickEntry(v_.numbers);
        const std::string& n = Pick(values);
        switch (Pick(6)) {
          case 0:
            return StrCat(field, ":", n);
          case 1:
            return StrCat(field, ":>=", n);
          case 2:
            return StrCat(field, ":<", n);
          case 3:
            return StrCat(field, ":>", n);
          default: {
            std::string a = n, b = Pick(values);
            if (std::stod(a) > std::stod(b)) std::swap(a, b);
            if (a == b) return StrCat(field, ":[", a, " TO ", b, "]");
            const char* open[] = {"[", "{"};
            const char* close[] = {"]", "}"};
            if (Pick(4) == 0) return StrCat(field, ":[", a, " TO *]");
            return StrCat(field, ":", open[Pick(2)], a, " TO ", b, close[Pick(2)]);
          }
        }
      }
      case 12: {
        static const char* kAbsent[] = {"nope", "mixed", "num", "flag", "arr", "span_id"};
        if (Pick(2)) return StrCat(kAbsent[Pick(6)], ":*");
        return StrCat(PickEntry(v_.strings).first, ":*");
      }
      case 13:
        if (v_.bool_fields.empty()) return Word();
        return StrCat(Pick(v_.bool_fields), Pick(2) ? ":true" : ":false");
      case 14:
      case 15: {
        static const char* kRegexes[] = {
            "~\"timeout after [0-9]+ms\"",
            "~\"timeout after 2[0-9]+ms\"",
            "~\"after 1[0-9]ms\"",
            "~\"timeout after [0-9]+ms\" -\"connection refused\"",
            "~\"(?i)REFUSED\"",
            "~\"a|b\"",
            "~\"\\d+\"",
            "~\"connection refused\"",
            "~\"needle-7f3a9c\"",
            "~\"(?i)x kelvin y\"",
            "~\"(?i)status code\"",
            "~\"^audit marker\"",
            "~\"slow query on table (carts|orders)\"",
            "~\"[0-9a-f]{32}\"",
            "~\"span [0-9a-f]+ done\"",
            "~\"com\\.example\\.Foo\\.bar\"",
            "~\"(?i)CAF\xC3\x89 ok\"",
            "host:~\"^cart-\"",
            "level:~\"err\"",
            "http.path:~\"/api/v1/users/[0-9]+$\"",
            "tag:~\"^tag-[0-9a-f]{4}\"",
            "mixed:~\"1\"",
        };
        if (Pick(3) == 0) {
          // A word of the data as a literal regex, with unknown text around it.
          return StrCat("~", Quoted(StrCat(Pick(2) ? "(?i)" : "", RegexQuote(Pick(v_.words)))));
        }
        return kRegexes[Pick(sizeof(kRegexes) / sizeof(*kRegexes))];
      }
      case 16: {
        int64_t a = Pick(v_.times), b = Pick(v_.times);
        if (a > b) std::swap(a, b);
        return StrCat("_time:[", a, ", ", b + 1, ")");
      }
      case 17:
        // Keys that are only in the dictionary, only in a block filter, or both.
        return WordText(Pick(std::vector<std::string>{"needle-7f3a9c",
                                                      "10.0.0.1",
                                                      "x10.0.0.12",
                                                      "0.0.1",
                                                      "com.example.Foo",
                                                      "foo.java",
                                                      "ada@example.com",
                                                      "7f3a-9c2b",
                                                      "snake_case_word",
                                                      "caf\xC3\xA9",
                                                      "CAF\xC3\x89",
                                                      std::string(70, 'z') + "1",
                                                      std::string(64, 'z'),
                                                      "hand0word",
                                                      "hand3word",
                                                      "rareword7",
                                                      "a.b.c.d.e",
                                                      "b.c.d",
                                                      "v1.2.3-rc1",
                                                      "3-rc1",
                                                      "REFUSED"}));
      case 18:
        return Pick(10) == 0 ? "*" : StrCat(Word(), " ", Word());
      default:
        return StrCat("_msg:", Quoted(Pick(v_.messages)));
    }
  }

  const Vocabulary& v_;
  std::mt19937_64 rng_;
};

// All results of a cursor, as RowText lines.
std::vector<std::string> Drain(QueryCursor* c) {
  std::vector<std::string> out;
  RecordBatch b;
  while (c->Next(&b)) {
    for (uint32_t r = 0; r < b.num_rows(); ++r) out.push_back(testing::RowText(b, r));
  }
  EXPECT_TRUE(c->status().ok()) << c->status();
  EXPECT_TRUE(c->warnings().empty()) << c->warnings().front();
  return out;
}

int64_t TimeOf(const std::string& row_text) {
  return std::stoll(row_text.substr(0, row_text.find('|')));
}

// Where two result lists first differ, for the failure message.
std::string FirstDifference(const std::vector<std::string>& want,
                            const std::vector<std::string>& got) {
  for (size_t i = 0; i < std::max(want.size(), got.size()); ++i) {
    const std::string w = i < want.size() ? want[i] : "(none)";
    const std::string g = i < got.size() ? got[i] : "(none)";
    if (w != g) return StrCat("#", i, "\n  brute:   ", w, "\n  planned: ", g);
  }
  return "";
}

class IndexDifferentialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The generated corpus, parsed as `lode ingest` would.
    bench::CorpusOptions co;
    co.lines = kCorpusLines;
    co.seed = 17;
    bench::CorpusGenerator gen(co);
    std::string ndjson;
    while (!gen.done()) gen.Fill(&ndjson, ndjson.size() + (1 << 20));
    RecordBatch corpus;
    ingest::LineParser parser(ingest::InputFormat::kNdjson);
    parser.Parse(ndjson, 1, co.start_ns, &corpus);
    ASSERT_EQ(corpus.num_rows(), kCorpusLines);
    ASSERT_EQ(parser.stats().rejected, 0u);

    // Each record goes to one of three segments or the memtable (one in ten). The segments
    // overlap in time, or with disjoint_ each holds a third of the time span. The hand-made
    // records are spread over the corpus's time span.
    std::mt19937_64 rng(99);
    std::vector<RecordBatch> parts(kSegments + 1);
    auto segment_of = [&](int64_t t) {
      return static_cast<int>((t - co.start_ns) * __int128{kSegments} / co.span_ns);
    };
    for (uint32_t r = 0; r < corpus.num_rows(); ++r) {
      const uint64_t x = rng() % 20;
      const int dest = x < 2 ? kSegments : disjoint_ ? segment_of(corpus.time(r)) : x % kSegments;
      parts[dest].AppendRowFrom(corpus, r);
    }
    for (int i = 0; i < kHandRows; ++i) {
      const int64_t t = co.start_ns + static_cast<int64_t>(rng() % uint64_t(co.span_ns));
      int dest = static_cast<int>(rng() % (kSegments + 1));
      if (disjoint_ && dest < kSegments) dest = segment_of(t);
      AddHandRecord(rng, dest, t, &parts[dest]);
    }
    RecordBatch everything;
    for (const RecordBatch& p : parts) {
      for (uint32_t r = 0; r < p.num_rows(); ++r) everything.AppendRowFrom(p, r);
    }

    storage::StoreOptions o;
    o.segment.block_rows = kBlockRows;
    o.background = false;
    auto store = storage::Store::Open(&env_, "/data", o);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    for (int s = 0; s < kSegments; ++s) ASSERT_TRUE(store_->WriteSegments(parts[s]).ok());
    // The memtable: batches of ~300 records, each sorted by time (one memtable block each).
    const RecordBatch& mem = parts[kSegments];
    const std::vector<uint32_t> order = mem.TimeOrder();
    for (size_t b = 0; b < order.size(); b += 300) {
      const std::vector<uint32_t> rows(order.begin() + b,
                                       order.begin() + std::min(order.size(), b + 300));
      RecordBatch batch = mem.Select(rows);
      ASSERT_TRUE(store_->Write(std::move(batch)).ok());
    }
    vocabulary_ = MakeVocabulary(everything, rng);
    ASSERT_FALSE(vocabulary_.words.empty());
    ASSERT_FALSE(vocabulary_.numbers.empty());
  }

  absl::StatusOr<std::unique_ptr<QueryCursor>> Brute(const Node& filter, SearchOptions o) {
    return QueryCursor::Open(store_.get(), Filter::Compile(filter), std::move(o));
  }
  absl::StatusOr<std::unique_ptr<QueryCursor>> Planned(const Node& filter, SearchOptions o) {
    return QueryCursor::Open(store_.get(), filter, std::move(o));
  }

  // The fixed queries, then random ones from the grammar (generator seed `seed`) up to `n`.
  std::vector<std::string> Queries(uint64_t seed, size_t n) const {
    QueryGenerator gen(vocabulary_, seed);
    std::vector<std::string> queries = FixedQueries();
    while (queries.size() < n) queries.push_back(gen.Query());
    return queries;
  }

  // Queries that are always run: selective ones, ones with exact counts, the corner cases.
  static std::vector<std::string> FixedQueries() {
    return {"needle-7f3a9c", "NEEDLE-7F3A9C", "level:error", "service:cart", "http.status:500",
            "http.status:>=500", "10.0.0.1", "\"connection refused\"", "connect*",
            "hand.host:web-*", "tag:*", "mixed:12", "mixed:true", "num:>=10.5", "num:[0 TO 10]",
            "num:-3", "flag:false", "~\"(?i)x kelvin y\"", "~\"(?i)status code\"", "arr:green",
            "green", "longval:*", StrCat("longval:", std::string(80, 'v'), "1"), "-level:info",
            "tag:\"\"", "tag:\"a b\"", "_msg:\"Connection REFUSED by Peer\"", "*",
            // A field with two types in one segment (num: int and double in segment 2).
            "num:*", "-num:*", "num:* level:error", "mixed:*", "mixed:12 OR num:12",
            // Message skeletons: regexes with digits in their literals need full messages.
            "~\"timeout after 2[0-9]+ms\"", "~\"after 1[0-9]ms\"",
            "~\"timeout after [0-9]+ms\" -\"connection refused\"", "\"timeout after\" -ms",
            // Hex ids read "0" in skeletons: prefixes and literals that may lie in one.
            "cafe*", "bead*", "f00d*", "session cafe*", "~\"cafe[0-9a-f]+a1\"",
            "~\"ea1 refreshed\"", "~\"session [0-9a-f]+ refreshed\"", "~\"(?i)CAFE\"", "~\"e1\"",
            "\"session\" -cafe*"};
  }

  struct Totals {
    uint64_t brute_blocks = 0, planned_blocks = 0, counted_blocks = 0, nonempty = 0;
  };

  // Runs every query both ways (see the file comment) and compares.
  Totals CompareAll(const std::vector<std::string>& queries) {
    Totals t;
    std::mt19937_64 rng(5);
    int parsed = 0, failing_queries = 0, failure_parts = 0;
    std::vector<std::string> index_notes;
    for (const std::string& text : queries) {
      SCOPED_TRACE(StrCat("query: ", text));
      absl::StatusOr<Query> q = ParseQuery(text);
      EXPECT_TRUE(q.ok()) << q.status();
      if (!q.ok()) continue;
      ++parsed;
      Compare(*q->filter, parsed, rng, &t, &index_notes);
      const int parts =
          ::testing::UnitTest::GetInstance()->current_test_info()->result()->total_part_count();
      if (parts > failure_parts) {
        failure_parts = parts;
        if (++failing_queries >= 20) break;  // enough to go on
      }
    }
    EXPECT_EQ(parsed, static_cast<int>(queries.size()));
    // A damaged index only costs speed, but a healthy one must never be given up on.
    EXPECT_TRUE(index_notes.empty()) << index_notes.size() << " plans gave up on the index, e.g.\n"
                                     << index_notes.front();
    return t;
  }

  void Compare(const Node& filter, int n, std::mt19937_64& rng, Totals* t,
               std::vector<std::string>* index_notes) {
    // The truth: every match, newest first.
    SearchOptions all;
    all.limit = 0;
    auto brute = Brute(filter, all);
    ASSERT_TRUE(brute.ok()) << brute.status();
    const std::vector<std::string> want = Drain(brute->get());
    t->brute_blocks += (*brute)->stats().blocks_read;
    t->nonempty += !want.empty();

    // (a) counts.
    auto planned_count = Planned(filter, all);
    ASSERT_TRUE(planned_count.ok());
    EXPECT_EQ((*planned_count)->Count(), want.size());
    t->counted_blocks += (*planned_count)->stats().blocks_counted;
    if (n % 8 == 0) {
      auto brute_count = Brute(filter, all);
      ASSERT_TRUE(brute_count.ok());
      EXPECT_EQ((*brute_count)->Count(), want.size());
    }

    // (b) every record, in order.
    auto planned = Planned(filter, all);
    ASSERT_TRUE(planned.ok());
    const std::vector<std::string> got = Drain(planned->get());
    t->planned_blocks += (*planned)->stats().blocks_read;
    const std::string explain = (*planned)->Explain();
    if (explain.find("index unusable") != std::string::npos) index_notes->push_back(explain);
    EXPECT_EQ(got.size(), want.size());
    EXPECT_TRUE(got == want) << FirstDifference(want, got) << "\n" << explain;
    if (getenv("LODE_DIFF_VERBOSE") != nullptr) {
      std::printf("%s  brute %llu planned %llu rows %zu\n", DebugString(filter).c_str(),
                  static_cast<unsigned long long>((*brute)->stats().blocks_read),
                  static_cast<unsigned long long>((*planned)->stats().blocks_read), want.size());
    }

    // (c) a small limit.
    SearchOptions limited;
    limited.limit = 7;
    auto first = Planned(filter, limited);
    ASSERT_TRUE(first.ok());
    const std::vector<std::string> got7 = Drain(first->get());
    const std::vector<std::string> want7(want.begin(),
                                         want.begin() + std::min<size_t>(7, want.size()));
    EXPECT_TRUE(got7 == want7) << FirstDifference(want7, got7);

    // (d) a time window, with and without a limit.
    const std::vector<int64_t>& times = vocabulary_.times;
    int64_t from = times[rng() % times.size()], to = times[rng() % times.size()];
    if (from > to) std::swap(from, to);
    SearchOptions window;
    window.from = from;
    window.to = to + 1;
    window.limit = n % 2 ? 0 : 5;
    std::vector<std::string> want_window;
    for (const std::string& row : want) {
      const int64_t time = TimeOf(row);
      if (time >= window.from && time < window.to) want_window.push_back(row);
    }
    auto windowed_count = Planned(filter, window);
    ASSERT_TRUE(windowed_count.ok());
    EXPECT_EQ((*windowed_count)->Count(), want_window.size())
        << "window [" << from << ", " << to + 1 << ")";
    if (window.limit != 0 && want_window.size() > window.limit) want_window.resize(window.limit);
    auto windowed = Planned(filter, window);
    ASSERT_TRUE(windowed.ok());
    const std::vector<std::string> got_window = Drain(windowed->get());
    EXPECT_TRUE(got_window == want_window)
        << "window [" << from << ", " << to + 1 << ") limit " << window.limit << "\n"
        << FirstDifference(want_window, got_window);
  }

  bool disjoint_ = false;  // set by subclasses before SetUp
  storage::MemEnv env_;
  std::unique_ptr<storage::Store> store_;
  Vocabulary vocabulary_;
};

// Segments that follow each other in time (as flushes of in-order logs do).
class IndexDifferentialDisjointTest : public IndexDifferentialTest {
 protected:
  IndexDifferentialDisjointTest() { disjoint_ = true; }
};

TEST_F(IndexDifferentialTest, PlannedCursorMatchesBruteForce) {
  // The sources must include segments with an index, several blocks each, and the memtable.
  {
    auto snap = store_->Snapshot(std::string(storage::kDefaultTenant), INT64_MIN, INT64_MAX);
    ASSERT_TRUE(snap.ok());
    size_t indexed = 0, memtables = 0, blocks = 0;
    for (const auto& src : (*snap)->sources) {
      indexed += src->index() != nullptr;
      memtables += src->name().starts_with("memtable:");
      blocks += src->num_blocks();
    }
    ASSERT_EQ(indexed, static_cast<size_t>(kSegments));
    ASSERT_EQ(memtables, 1u);
    ASSERT_GT(blocks, 3 * kCorpusLines / kBlockRows / 4);
  }
  const std::vector<std::string> queries = Queries(2024, kQueries);
  const Totals t = CompareAll(queries);
  // Many queries match something, and the index saved work: blocks it ruled out or counted.
  EXPECT_GT(t.nonempty, queries.size() / 3);
  EXPECT_LT(t.planned_blocks, t.brute_blocks * 4 / 5) << "the planner skipped too little";
  EXPECT_GT(t.counted_blocks, 0u);
}

// Decoded blocks carry value codes (string dictionaries, message templates) that let the filter
// decide a value once per code; the brute force above uses them too. Here the filter on each
// decoded block must select exactly what it selects on a plain copy of the block, which has no
// codes.
TEST_F(IndexDifferentialTest, FilterOnCodedValuesMatchesPlainCopies) {
  auto snap = store_->Snapshot(std::string(storage::kDefaultTenant), INT64_MIN, INT64_MAX);
  ASSERT_TRUE(snap.ok());
  const std::vector<std::string> queries = Queries(5, 120);
  std::vector<Filter> filters;
  for (const std::string& text : queries) {
    absl::StatusOr<Query> q = ParseQuery(text);
    ASSERT_TRUE(q.ok()) << text;
    filters.push_back(Filter::Compile(*q->filter));
  }
  size_t coded_columns = 0, dictionary_columns = 0, selected = 0;
  FilterScratch scratch;
  for (const auto& src : (*snap)->sources) {
    if (src->name().starts_with("memtable:")) continue;
    for (size_t b = 0; b < src->num_blocks(); ++b) {
      RecordBatch block;
      ASSERT_TRUE(src->ReadBlock(b, &block).ok());
      std::vector<uint32_t> all(block.num_rows());
      for (uint32_t r = 0; r < all.size(); ++r) all[r] = r;
      const RecordBatch plain = block.Select(all);
      coded_columns += block.messages().has_codes();
      for (const Column& c : block.columns()) coded_columns += c.strings.has_codes();
      ASSERT_FALSE(plain.messages().has_codes());
      // Reads for the filter put dictionary-encoded columns (a projection) and message
      // skeletons in dictionary form; on the projection, which has the real messages, the
      // filter must select the same rows.
      std::vector<uint32_t> ids = {storage::kMessageColumnId};
      for (uint32_t f = 0; f < src->meta().fields.size(); ++f) {
        ids.push_back(storage::kFirstFieldColumnId + f);
      }
      RecordBatch projected, skeletons;
      ASSERT_TRUE(src->ReadBlock(b, ids, &projected).ok());
      ASSERT_TRUE(
          src->ReadBlock(b, {storage::kMessageColumnId}, &skeletons, {.message_skeleton = true})
              .ok());
      dictionary_columns += skeletons.messages().dictionary_form();
      for (const Column& c : projected.columns()) dictionary_columns += c.strings.dictionary_form();
      for (size_t f = 0; f < filters.size(); ++f) {
        Selection coded, dictionary, want;
        coded.Reset(block.num_rows(), true);
        dictionary.Reset(block.num_rows(), true);
        want.Reset(block.num_rows(), true);
        filters[f].Evaluate(block, &coded, &scratch);
        filters[f].Evaluate(projected, &dictionary, &scratch);
        filters[f].Evaluate(plain, &want, &scratch);
        ASSERT_TRUE(coded == want) << queries[f] << " in " << src->name() << " block " << b;
        ASSERT_TRUE(dictionary == want) << queries[f] << " in " << src->name() << " block " << b;
        selected += want.Count();
      }
    }
  }
  EXPECT_GT(coded_columns, 0u);
  EXPECT_GT(dictionary_columns, 0u);
  EXPECT_GT(selected, 0u);
}

// Compaction merges the segments (and rewrites their indexes); the memtable is flushed.
TEST_F(IndexDifferentialTest, AfterFlushAndCompaction) {
  ASSERT_TRUE(store_->Flush().ok());
  auto r = store_->Compact();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_GT(r->merges, 0u);
  const std::vector<std::string> queries = Queries(77, kQueries / 5);
  const Totals t = CompareAll(queries);
  EXPECT_LT(t.planned_blocks, t.brute_blocks) << "the planner skipped nothing";
}

// Compaction of segments in time order: their blocks and indexes may be kept and merged
// rather than rebuilt from the rows.
TEST_F(IndexDifferentialDisjointTest, AfterCompactionOfSegmentsInTimeOrder) {
  // Segments and their blocks, before and after: the merge must keep the blocks (and so merge
  // the indexes) rather than re-sort and re-index, or this test would not test the merger.
  auto segment_blocks = [&](size_t* segments) {
    auto snap = store_->Snapshot(std::string(storage::kDefaultTenant), INT64_MIN, INT64_MAX);
    EXPECT_TRUE(snap.ok());
    size_t blocks = 0;
    *segments = 0;
    for (const auto& src : (*snap)->sources) {
      if (src->name().starts_with("memtable:")) continue;
      ++*segments;
      blocks += src->num_blocks();
      EXPECT_NE(src->index(), nullptr) << src->name();
    }
    return blocks;
  };
  size_t segments_before = 0, segments_after = 0;
  const size_t blocks_before = segment_blocks(&segments_before);
  auto r = store_->Compact();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_GT(r->merges, 0u);
  const size_t blocks_after = segment_blocks(&segments_after);
  EXPECT_LT(segments_after, segments_before);
  EXPECT_EQ(blocks_after, blocks_before);
  EXPECT_EQ(r->index_merges, r->merges) << "compaction rebuilt indexes instead of merging them";
  const std::vector<std::string> queries = Queries(91, kQueries / 4);
  const Totals t = CompareAll(queries);
  EXPECT_LT(t.planned_blocks, t.brute_blocks) << "the planner skipped nothing";
}

// A needle in a few records reads only their blocks (and the memtable).
TEST_F(IndexDifferentialTest, SelectiveQueriesReadFewBlocks) {
  auto snap = store_->Snapshot(std::string(storage::kDefaultTenant), INT64_MIN, INT64_MAX);
  ASSERT_TRUE(snap.ok());
  uint64_t memtable_blocks = 0;
  for (const auto& src : (*snap)->sources) {
    if (src->index() == nullptr) memtable_blocks += src->num_blocks();
  }
  for (const char* text : {"needle-7f3a9c", "hand0word", "x10.0.0.12"}) {
    SCOPED_TRACE(text);
    absl::StatusOr<Query> q = ParseQuery(text);
    ASSERT_TRUE(q.ok());
    SearchOptions all;
    all.limit = 0;
    auto brute = Brute(*q->filter, all);
    ASSERT_TRUE(brute.ok());
    const std::vector<std::string> want = Drain(brute->get());
    ASSERT_FALSE(want.empty());
    auto planned = Planned(*q->filter, all);
    ASSERT_TRUE(planned.ok());
    EXPECT_EQ(Drain(planned->get()), want);
    // At most one block per match, plus the memtable's.
    EXPECT_LE((*planned)->stats().blocks_read, want.size() + memtable_blocks)
        << (*planned)->Explain();
    EXPECT_LT((*planned)->stats().blocks_read, (*brute)->stats().blocks_read);
  }
}

}  // namespace
}  // namespace lode::query
