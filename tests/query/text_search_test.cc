// Word search and the compiled filter on in-memory batches, checked against a deliberately
// simple row-by-row reference implementation of the same rules.
#include "query/internal/text_search.h"

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

#include "query/filter.h"
#include "query/internal/number.h"
#include "query/internal/regex_matcher.h"
#include "query/parser.h"
#include "tests/testing/record_util.h"

namespace lode::query {
namespace {

using internal::TokenMatcher;

bool Match(std::string_view needle, std::string_view value) {
  std::string folded;
  internal::FoldAsciiCase(value, &folded);
  return TokenMatcher(needle).MatchFolded(folded);
}

TEST(TextSearchTest, Fold) {
  std::string out;
  internal::FoldAsciiCase("AbZ@[`az{ \xC3\x89", &out);
  EXPECT_EQ(out, "abz@[`az{ \xC3\x89");
}

bool PrefixMatch(std::string_view needle, std::string_view value) {
  std::string folded;
  internal::FoldAsciiCase(value, &folded);
  return TokenMatcher(needle, /*prefix=*/true).MatchFolded(folded);
}

TEST(TextSearchTest, PrefixesCheckOnlyTheirStart) {
  EXPECT_TRUE(PrefixMatch("connect", "Connection refused"));
  EXPECT_TRUE(PrefixMatch("connect", "connect"));
  EXPECT_TRUE(PrefixMatch("CONNECT", "x connected"));
  EXPECT_FALSE(PrefixMatch("connect", "reconnect"));
  EXPECT_FALSE(PrefixMatch("connect", "re_connected"));
  EXPECT_TRUE(PrefixMatch("connect", "re-connected"));
  EXPECT_TRUE(PrefixMatch("connect", "reconnect connection"));  // the second occurrence counts
  EXPECT_TRUE(PrefixMatch("10.0.", "ip=10.0.3.7"));
  EXPECT_FALSE(PrefixMatch("10.0.", "110.0.3.7"));
  EXPECT_TRUE(PrefixMatch(".0.", "110.0.3.7"));  // starts with punctuation: no boundary needed
  EXPECT_TRUE(PrefixMatch("user-12", "user-123"));
  EXPECT_TRUE(PrefixMatch("caf", "caf\xC3\xA9"));
  EXPECT_FALSE(PrefixMatch("af", "caf\xC3\xA9"));
  EXPECT_FALSE(PrefixMatch("\xC3\xA9", "caf\xC3\xA9"));  // UTF-8 bytes continue the token
  EXPECT_FALSE(PrefixMatch("CAF\xC3\x89", "caf\xC3\xA9"));
  EXPECT_FALSE(PrefixMatch("connection", "connect"));
  EXPECT_FALSE(PrefixMatch("x", ""));
}

TEST(TextSearchTest, TokenBoundaries) {
  EXPECT_TRUE(Match("refused", "connection refused."));
  EXPECT_TRUE(Match("refused", "REFUSED"));
  EXPECT_FALSE(Match("refused", "refusedX"));
  EXPECT_FALSE(Match("refused", "unrefused"));
  EXPECT_FALSE(Match("refused", "refused_"));
  EXPECT_TRUE(Match("refused", "x refusedX refused"));  // the second occurrence counts
  EXPECT_TRUE(Match("needle-7f3a9c", "x needle-7f3a9c y"));
  EXPECT_FALSE(Match("needle-7f3a9c", "needle-7f3a9cz"));
  EXPECT_TRUE(Match("10.0.0.1", "ip=10.0.0.1:80"));
  EXPECT_FALSE(Match("10.0.0.1", "110.0.0.1"));
  EXPECT_FALSE(Match("10.0.0.1", "10.0.0.12"));
  // Punctuation at an end of the needle needs no boundary there.
  EXPECT_TRUE(Match(".1", "x.1"));
  EXPECT_TRUE(Match(".1", "0.1"));
  EXPECT_FALSE(Match(".1", "0.12"));
  EXPECT_TRUE(Match("-", "a-b"));
  EXPECT_TRUE(Match("[error]", "x[error]y"));
  // UTF-8 bytes are token bytes.
  EXPECT_TRUE(Match("caf\xC3\xA9", "un caf\xC3\xA9."));
  EXPECT_FALSE(Match("caf", "caf\xC3\xA9"));
  EXPECT_FALSE(Match("\xC3\xA9t\xC3\xA9", "\xC3\xA9t\xC3\xA9s"));
  EXPECT_TRUE(Match("a b", "x a b y"));
  EXPECT_FALSE(Match("a b", "a  b"));
  EXPECT_FALSE(Match("x", ""));
  EXPECT_TRUE(Match("x", "x"));
}

// The reference: every occurrence, checked with plain loops. A prefix checks only its start.
bool RefMatch(std::string_view needle, std::string_view value, bool prefix = false) {
  auto fold = [](std::string_view s) {
    std::string o(s);
    for (char& c : o) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return o;
  };
  auto tok = [](char c) {
    auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) || c == '_' || u >= 0x80;
  };
  const std::string n = fold(needle), v = fold(value);
  for (size_t i = 0; i + n.size() <= v.size(); ++i) {
    if (v.compare(i, n.size(), n) != 0) continue;
    if (tok(n.front()) && i > 0 && tok(v[i - 1])) continue;
    if (!prefix && tok(n.back()) && i + n.size() < v.size() && tok(v[i + n.size()])) continue;
    return true;
  }
  return false;
}

TEST(TextSearchTest, SearchAllAgreesWithPerValueMatch) {
  std::mt19937 rng(11);
  const char alphabet[] = "aAb .-_\xC3";
  for (int iter = 0; iter < 300; ++iter) {
    StringData sd;
    std::vector<uint32_t> rows;
    const int n = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      std::string v;
      const int len = static_cast<int>(rng() % 8);
      for (int k = 0; k < len; ++k) v.push_back(alphabet[rng() % (sizeof(alphabet) - 1)]);
      sd.Append(v);
      rows.push_back(static_cast<uint32_t>(i) * 2 + static_cast<uint32_t>(rng() % 2));
    }
    std::string needle;
    const int nlen = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < nlen; ++k) needle.push_back(alphabet[rng() % (sizeof(alphabet) - 1)]);
    const size_t num_rows = rows.back() + 1;
    Selection in(num_rows, false);
    for (size_t r = 0; r < num_rows; ++r) {
      if (rng() % 4 != 0) in.Set(r);
    }
    std::string folded;
    internal::FoldAsciiCase(sd.bytes(), &folded);
    for (bool prefix : {false, true}) {
      TokenMatcher m(needle, prefix);
      Selection out(num_rows, false);
      m.SearchAll(folded, sd.ends(), rows.data(), in, &out);
      for (int i = 0; i < n; ++i) {
        const bool want = in.Test(rows[i]) && RefMatch(needle, sd.Get(i), prefix);
        ASSERT_EQ(out.Test(rows[i]), want) << "needle '" << needle << "' value '" << sd.Get(i)
                                           << "' prefix " << prefix << " iter " << iter;
        std::string fv;
        internal::FoldAsciiCase(sd.Get(i), &fv);
        ASSERT_EQ(want, in.Test(rows[i]) && m.MatchFolded(fv));
      }
    }
  }
}

// ---- The compiled filter against a row-by-row reference -------------------------------

bool RefEval(const Node& n, const RecordBatch& b, uint32_t row) {
  auto find = [&](const std::string& name, FieldType t) -> int64_t {
    const Column* c = b.FindColumn(name, t);
    return c == nullptr ? -1 : c->Find(row);
  };
  switch (n.kind) {
    case NodeKind::kMatchAll:
      return true;
    case NodeKind::kAnd:
      for (const auto& c : n.children) {
        if (!RefEval(*c, b, row)) return false;
      }
      return true;
    case NodeKind::kOr:
      for (const auto& c : n.children) {
        if (RefEval(*c, b, row)) return true;
      }
      return false;
    case NodeKind::kNot:
      return !RefEval(*n.children[0], b, row);
    case NodeKind::kWord:
    case NodeKind::kPhrase: {
      if (RefMatch(n.text, b.message(row))) return true;
      for (const Column& c : b.columns()) {
        if (c.type != FieldType::kString) continue;
        int64_t i = c.Find(row);
        if (i >= 0 && RefMatch(n.text, c.strings.Get(i))) return true;
      }
      return false;
    }
    case NodeKind::kFieldEquals: {
      if (n.field == "_msg") return b.message(row) == n.text;
      if (int64_t i = find(n.field, FieldType::kString); i >= 0) {
        if (b.FindColumn(n.field, FieldType::kString)->strings.Get(i) == n.text) return true;
      }
      if (n.quoted) return false;
      if (auto num = internal::ParseNumber(n.text)) {
        if (int64_t i = find(n.field, FieldType::kInt64); i >= 0) {
          long double v = b.FindColumn(n.field, FieldType::kInt64)->ints[i];
          if (v == static_cast<long double>(num->is_int ? num->i : num->d)) return true;
        }
        if (int64_t i = find(n.field, FieldType::kDouble); i >= 0) {
          long double v = b.FindColumn(n.field, FieldType::kDouble)->doubles[i];
          if (v == static_cast<long double>(num->is_int ? num->i : num->d)) return true;
        }
      }
      if (n.text == "true" || n.text == "false") {
        if (int64_t i = find(n.field, FieldType::kBool); i >= 0) {
          return b.FindColumn(n.field, FieldType::kBool)->ints[i] == (n.text == "true");
        }
      }
      return false;
    }
    case NodeKind::kFieldCompare: {
      auto num = internal::ParseNumber(n.text);
      long double q = num->is_int ? num->i : num->d;
      auto holds = [&](long double v) {
        switch (n.op) {
          case CompareOp::kLess:
            return v < q;
          case CompareOp::kLessEqual:
            return v <= q;
          case CompareOp::kGreater:
            return v > q;
          case CompareOp::kGreaterEqual:
            return v >= q;
        }
        return false;
      };
      if (n.field == "_msg") return false;
      if (int64_t i = find(n.field, FieldType::kInt64); i >= 0) {
        if (holds(b.FindColumn(n.field, FieldType::kInt64)->ints[i])) return true;
      }
      if (int64_t i = find(n.field, FieldType::kDouble); i >= 0) {
        double v = b.FindColumn(n.field, FieldType::kDouble)->doubles[i];
        if (!std::isnan(v) && holds(v)) return true;
      }
      return false;
    }
    case NodeKind::kFieldExists:
      if (n.field == "_msg") return true;
      for (int t = 0; t < kNumFieldTypes; ++t) {
        if (find(n.field, static_cast<FieldType>(t)) >= 0) return true;
      }
      return false;
    case NodeKind::kPrefix:
    case NodeKind::kRegex: {
      auto test = [&](std::string_view v) {
        if (n.kind == NodeKind::kRegex) {
          std::string error;
          return internal::RegexMatcher::Compile(n.text, &error)->PartialMatch(v);
        }
        return n.field.empty() ? RefMatch(n.text, v, /*prefix=*/true) : v.starts_with(n.text);
      };
      if (n.field.empty() && n.kind == NodeKind::kPrefix) {
        if (test(b.message(row))) return true;
        for (const Column& c : b.columns()) {
          if (c.type != FieldType::kString) continue;
          int64_t i = c.Find(row);
          if (i >= 0 && test(c.strings.Get(i))) return true;
        }
        return false;
      }
      if (n.field == "_msg") return test(b.message(row));
      if (int64_t i = find(n.field, FieldType::kString); i >= 0) {
        return test(b.FindColumn(n.field, FieldType::kString)->strings.Get(i));
      }
      return false;
    }
    case NodeKind::kFieldRange: {
      if (n.field == "_msg") return false;
      auto bound = [](const std::string& t) -> long double {
        auto num = internal::ParseNumber(t);
        return num->is_int ? num->i : num->d;
      };
      auto in_range = [&](long double v) {
        if (!n.lo_open) {
          long double lo = bound(n.lo);
          if (v < lo || (v == lo && !n.lo_inclusive)) return false;
        }
        if (!n.hi_open) {
          long double hi = bound(n.hi);
          if (v > hi || (v == hi && !n.hi_inclusive)) return false;
        }
        return true;
      };
      if (int64_t i = find(n.field, FieldType::kInt64); i >= 0) {
        if (in_range(b.FindColumn(n.field, FieldType::kInt64)->ints[i])) return true;
      }
      if (int64_t i = find(n.field, FieldType::kDouble); i >= 0) {
        double v = b.FindColumn(n.field, FieldType::kDouble)->doubles[i];
        if (!std::isnan(v) && in_range(v)) return true;
      }
      return false;
    }
    case NodeKind::kTimeRange:
      return b.time(row) >= n.from_ns && b.time(row) < n.to_ns;
  }
  return false;
}

// A random query over the vocabulary of testing::RandomBatch.
std::string RandomQuery(std::mt19937& rng, int depth) {
  static constexpr const char* kLeaves[] = {
      "alpha", "ALPHA", "beta", "caf\xC3\xA9", "error", "10.0.0.1", "\"a b c\"", "\"alpha1\"",
      "timeout", "f1:*", "f2:*", "f3:>=0", "f4:<100.5", "f5:>-1e18", "f6:true", "f7:false", "f8:1",
      "f0:alpha1", "f9:<=0", "_msg:*", "f10:>3", "x", "\"y\\\\\"", "f11:\"\"", "_msg:\"\"",
      "gamma42", "f1:0", "*",
      // Prefixes, groups, ranges, regexes and times.
      "alph*", "ALP*", "10.0.*", "caf*", "a*", "f0:alpha*", "f1:ga*", "_msg:alpha*",
      "f3:[0 TO 100]", "f4:{-10 TO *]", "f5:[* TO 0}", "f2:[-1e18 TO 1e18]", "f6:[* TO *]",
      "f7:{0.5 TO 3000.25}", "f8:[-9223372036854775808 TO -1]", "f0:(alpha* OR -[0 TO 5])",
      "f1:(beta OR gamma* OR >=100)", "f9:(-a* -b*)", "~\"alpha[0-9]\"", "f0:~\"^beta\"",
      "_msg:~\"(?i)ERROR \"", "f10:~\"[0-9]{3}$\"",
      "_time:[1970-01-01T00:00:00.0002Z, 1970-01-01T00:00:00.0007Z)",
      "_time:>1970-01-01T00:00:00.0005Z", "_time:<=1970-01-01T00:00:00.000333333Z"};
  if (depth == 0 || rng() % 3 == 0) {
    std::string leaf = kLeaves[rng() % (sizeof(kLeaves) / sizeof(kLeaves[0]))];
    return rng() % 4 == 0 ? "-" + leaf : leaf;
  }
  std::string a = RandomQuery(rng, depth - 1), b = RandomQuery(rng, depth - 1);
  switch (rng() % 4) {
    case 0:
      return a + " " + b;
    case 1:
      return "(" + a + " OR " + b + ")";
    case 2:
      return "NOT (" + a + ") AND " + b;
    default:
      return a + " OR " + b;
  }
}

TEST(FilterTest, AgreesWithRowByRowReference) {
  std::mt19937 rng(5);
  FilterScratch scratch;
  for (int iter = 0; iter < 400; ++iter) {
    const size_t n = 1 + rng() % 300;
    RecordBatch b = testing::RandomBatch(iter, n, 0, 1'000'000);
    const std::string text = RandomQuery(rng, 3);
    absl::StatusOr<Query> q = ParseQuery(text);
    ASSERT_TRUE(q.ok()) << text << ": " << q.status();
    Filter f = Filter::Compile(*q->filter);
    // Start from a random subset, as the executor does after the time window.
    Selection sel(n, false);
    for (size_t r = 0; r < n; ++r) {
      if (rng() % 8 != 0) sel.Set(r);
    }
    Selection before = sel;
    f.Evaluate(b, &sel, &scratch);
    for (uint32_t r = 0; r < n; ++r) {
      const bool want = before.Test(r) && RefEval(*q->filter, b, r);
      ASSERT_EQ(sel.Test(r), want) << "query: " << text << "\nrow: " << testing::RowText(b, r);
    }
  }
}

TEST(FilterTest, SparseSelectionsTakeThePerValuePath) {
  // One selected row out of many exercises the value-by-value search.
  RecordBatch b;
  for (int i = 0; i < 1000; ++i) {
    b.BeginRow();
    b.AddString("f", i == 777 ? "Needle here" : "hay");
    b.EndRow(i, i == 500 ? "needle" : "hay");
  }
  absl::StatusOr<Query> q = ParseQuery("needle");
  ASSERT_TRUE(q.ok());
  Filter f = Filter::Compile(*q->filter);
  FilterScratch scratch;
  for (uint32_t pick : {500u, 777u, 3u}) {
    Selection sel(b.num_rows(), false);
    sel.Set(pick);
    f.Evaluate(b, &sel, &scratch);
    EXPECT_EQ(sel.Count(), pick == 3 ? 0u : 1u) << pick;
    EXPECT_EQ(sel.Test(pick), pick != 3) << pick;
  }
  Selection all(b.num_rows(), true);
  f.Evaluate(b, &all, &scratch);
  EXPECT_EQ(all.Count(), 2u);
}

TEST(FilterTest, MatchesAllOnlyForTrivialFilters) {
  for (const char* t : {"", "*", "a OR *", "_msg:*", "NOT -*"}) {
    absl::StatusOr<Query> q = ParseQuery(t);
    ASSERT_TRUE(q.ok());
    EXPECT_TRUE(Filter::Compile(*q->filter).matches_all()) << t;
  }
  for (const char* t : {"a", "-*", "f:*", "a OR b"}) {
    absl::StatusOr<Query> q = ParseQuery(t);
    ASSERT_TRUE(q.ok());
    EXPECT_FALSE(Filter::Compile(*q->filter).matches_all()) << t;
  }
}

TEST(NumberTest, ParseAndCompareExactly) {
  EXPECT_FALSE(internal::ParseNumber("").has_value());
  EXPECT_FALSE(internal::ParseNumber("abc").has_value());
  EXPECT_FALSE(internal::ParseNumber("nan").has_value());
  EXPECT_FALSE(internal::ParseNumber("1e999").has_value());
  EXPECT_FALSE(internal::ParseNumber("-").has_value());
  EXPECT_TRUE(internal::ParseNumber("+5")->is_int);
  EXPECT_EQ(internal::ParseNumber("-9223372036854775808")->i, INT64_MIN);
  EXPECT_FALSE(internal::ParseNumber("9223372036854775808")->is_int);
  EXPECT_EQ(internal::ParseNumber(".5")->d, 0.5);
  // 2^53 + 1 is not representable as a double; compare it exactly.
  const int64_t big = (int64_t{1} << 53) + 1;
  EXPECT_EQ(internal::CompareIntDouble(big, 9007199254740992.0), 1);
  EXPECT_EQ(internal::CompareIntDouble(big - 1, 9007199254740992.0), 0);
  EXPECT_EQ(internal::CompareIntDouble(INT64_MAX, 9223372036854775808.0), -1);
  EXPECT_EQ(internal::CompareIntDouble(INT64_MIN, -9223372036854775808.0), 0);
  EXPECT_EQ(internal::CompareIntDouble(-1, -0.5), -1);
  EXPECT_EQ(internal::CompareIntDouble(0, -0.5), 1);
  EXPECT_EQ(internal::CompareIntDouble(2, 1.5), 1);
  EXPECT_FALSE(internal::CompareToNumber(std::nan(""), *internal::ParseNumber("1")).has_value());
}

}  // namespace
}  // namespace lode::query
