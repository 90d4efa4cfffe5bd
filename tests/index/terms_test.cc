// The tokenizer and the query-side term extraction must agree: whenever a word, phrase or
// prefix matches a text on token boundaries (the filter's rule, query/internal/text_search.h),
// every term the query looks up is among the terms the index emits for that text. Otherwise the
// planner would skip a block that holds a match.
#include "index/terms.h"

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"

#include "index/tokenizer.h"
#include "query/internal/text_search.h"

namespace lode::index {
namespace {

std::set<std::string> TermsOf(std::string_view text) {
  std::set<std::string> out;
  std::string folded;
  Tokenize(text, &folded, [&](std::string_view t) { out.emplace(t); });
  return out;
}

std::string Fold(std::string_view s) {
  std::string f;
  query::internal::FoldAsciiCase(s, &f);
  return f;
}

bool SomeTermStartsWith(const std::set<std::string>& terms, std::string_view p) {
  auto it = terms.lower_bound(std::string(p));
  return it != terms.end() && std::string_view(*it).starts_with(p);
}

// Checks the superset property for one (text, needle); returns whether the needle matched.
bool CheckNeedle(std::string_view text, std::string_view needle, bool prefix,
                 const std::set<std::string>& terms) {
  query::internal::TokenMatcher m(needle, prefix);
  if (!m.MatchFolded(Fold(text))) return false;
  NeedleTerms t = TermsOfNeedle(needle, prefix);
  for (const std::string& e : t.exact) {
    EXPECT_TRUE(terms.count(e)) << "text '" << text << "' needle '" << needle << "'"
                                << (prefix ? "*" : "") << ": term '" << e << "' not emitted";
  }
  if (!t.partial.empty()) {
    EXPECT_TRUE(SomeTermStartsWith(terms, t.partial))
        << "text '" << text << "' needle '" << needle << "*: no term starts with '" << t.partial
        << "'";
  }
  EXPECT_TRUE(prefix || t.partial.empty()) << needle;
  return true;
}

// Random text from an alphabet rich in joiners and separators. Tokens are short, so that
// needles often hit compound runs, with an occasional long token (over kMaxTermBytes).
std::string RandomText(std::mt19937_64& rng) {
  static const std::vector<std::string> kPieces = {
      "a",  "b",           "x",        "A",  "B",  "0",  "1",  "10",  "7f", "_",
      ".",  "-",           ":",        "@",  "/",  " ",  " ",  ".",   "-",  "ab",
      "Ab", "caf\xC3\xA9", "\xC3\xA9", "..", "--", "0.", ".1", "q_r", "zz"};
  std::string s;
  const size_t n = 1 + rng() % 24;
  for (size_t i = 0; i < n; ++i) {
    if (rng() % 64 == 0) {
      s.append(60 + rng() % 20, static_cast<char>('a' + rng() % 3));
    } else {
      s += kPieces[rng() % kPieces.size()];
    }
  }
  return s;
}

TEST(TokenizerTermsTest, NeedleTermsAreEmittedForEveryMatch) {
  std::mt19937_64 rng(42);
  size_t matched = 0, prefix_matched = 0, compound_needles = 0;
  for (int iter = 0; iter < 40000; ++iter) {
    const std::string text = RandomText(rng);
    const std::set<std::string> terms = TermsOf(text);
    for (int k = 0; k < 4; ++k) {
      std::string needle;
      if (k < 3) {
        // A substring of the text, sometimes with its case changed.
        const size_t b = rng() % text.size();
        const size_t len = 1 + rng() % std::min<size_t>(text.size() - b, 90);
        needle = text.substr(b, len);
        if (rng() % 3 == 0) {
          for (char& c : needle) {
            if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
          }
        }
      } else {
        needle = RandomText(rng);
      }
      const bool m = CheckNeedle(text, needle, false, terms);
      matched += m;
      if (m && TermsOfNeedle(needle, false).exact.size() == 1 &&
          TermsOfNeedle(needle, false).exact[0].find_first_of(".-:@") != std::string::npos) {
        ++compound_needles;
      }
      prefix_matched += CheckNeedle(text, needle, true, terms);
    }
    if (HasFailure()) return;
  }
  // The property must have been exercised, not vacuously true.
  EXPECT_GT(matched, 20000u);
  EXPECT_GT(prefix_matched, matched);
  EXPECT_GT(compound_needles, 1000u);
}

// RE2 prefilter atoms are lower-cased required substrings with unknown text around them: when
// the folded text contains the atom anywhere, its terms are emitted.
TEST(TokenizerTermsTest, AtomTermsAreEmittedWhenTheTextContainsTheAtom) {
  std::mt19937_64 rng(7);
  size_t contained = 0, with_terms = 0;
  for (int iter = 0; iter < 40000; ++iter) {
    const std::string text = RandomText(rng);
    const std::string folded = Fold(text);
    const std::set<std::string> terms = TermsOf(text);
    const size_t b = rng() % folded.size();
    const size_t len = 1 + rng() % std::min<size_t>(folded.size() - b, 90);
    const std::string atom = folded.substr(b, len);
    ASSERT_NE(folded.find(atom), std::string::npos);
    ++contained;
    NeedleTerms t = TermsOfAtom(atom);
    with_terms += !t.exact.empty() || !t.partial.empty();
    for (const std::string& e : t.exact) {
      EXPECT_TRUE(terms.count(e)) << "text '" << text << "' atom '" << atom << "': '" << e << "'";
    }
    if (!t.partial.empty()) {
      EXPECT_TRUE(SomeTermStartsWith(terms, t.partial))
          << "text '" << text << "' atom '" << atom << "': partial '" << t.partial << "'";
    }
    if (HasFailure()) return;
  }
  EXPECT_GT(with_terms, contained / 10);
}

TEST(TokenizerTermsTest, HandExamples) {
  struct Case {
    std::string text;
    std::string needle;
    bool prefix;
    std::vector<std::string> exact;  // expected TermsOfNeedle(needle).exact
    std::string partial;
  };
  const std::string long_token(70, 'q');
  const std::vector<Case> cases = {
      {"from 10.0.0.1 to x", "10.0.0.1", false, {"10.0.0.1"}, ""},
      {"from 10.0.0.1.5 to x", "10.0.0.1", false, {"10.0.0.1"}, ""},
      {"at com.example.Foo.bar(Foo.java:12)", "com.example.Foo", false, {"com.example.foo"}, ""},
      {"id 123e4567-e89b-12d3-a456-426614174000 done",
       "123e4567-e89b-12d3-a456-426614174000",
       false,
       {"123e4567-e89b-12d3-a456", "a456-426614174000"},
       ""},
      {"marker needle-7f3a9c seen", "needle-7f3a9c", false, {"needle-7f3a9c"}, ""},
      {"marker needle-7f3a9c seen", "NEEDLE-7F3A9C", false, {"needle-7f3a9c"}, ""},
      {"mail ada@example.com ok", "ada@example.com", false, {"ada@example.com"}, ""},
      {"t " + long_token + " u", long_token, false, {std::string(64, 'q')}, ""},
      {"Connection refused", "connect", true, {}, "connect"},
      {"from 10.0.3.7", "10.0.", true, {"10.0"}, ""},
      {"user-123", "user-12", true, {"user"}, "12"},
      {"un caf\xC3\xA9.", "caf\xC3\xA9", false, {"caf\xC3\xA9"}, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.needle);
    NeedleTerms t = TermsOfNeedle(c.needle, c.prefix);
    EXPECT_EQ(t.exact, c.exact);
    EXPECT_EQ(t.partial, c.partial);
    EXPECT_TRUE(CheckNeedle(c.text, c.needle, c.prefix, TermsOf(c.text)));
  }
  // `10.0.0.1` must not be found in `x10.0.0.12` (neither by the filter nor by a compound
  // term), while its pieces are.
  const std::set<std::string> terms = TermsOf("peer x10.0.0.12 refused");
  EXPECT_FALSE(terms.count("10.0.0.1"));
  EXPECT_TRUE(terms.count("x10.0.0.12"));
  EXPECT_TRUE(terms.count("0.0.12"));
  // Long tokens are cut to kMaxTermBytes; compound pieces longer than that are not emitted.
  const std::set<std::string> long_terms = TermsOf("a." + long_token);
  EXPECT_TRUE(long_terms.count(std::string(64, 'q')));
  EXPECT_TRUE(long_terms.count("a"));
  for (const std::string& t : long_terms) EXPECT_LE(t.size(), kMaxTermBytes);
  // A run of five tokens: every piece of two to four tokens.
  const std::set<std::string> run = TermsOf("a.b.c.d.e");
  for (const char* p : {"a.b", "b.c.d", "a.b.c.d", "b.c.d.e", "d.e", "c"}) {
    EXPECT_TRUE(run.count(p)) << p;
  }
  EXPECT_FALSE(run.count("a.b.c.d.e"));
  // Two joiners in a row end a run.
  const std::set<std::string> broken = TermsOf("a..b c-d");
  EXPECT_FALSE(broken.count("a..b"));
  EXPECT_FALSE(broken.count("a.b"));
  EXPECT_TRUE(broken.count("c-d"));
  // A UTF-8 letter stays inside its token, and only ASCII is folded.
  const std::set<std::string> utf = TermsOf("CAF\xC3\x89 na\xC3\xAFve");
  EXPECT_TRUE(utf.count("caf\xC3\x89"));
  EXPECT_TRUE(utf.count("na\xC3\xAFve"));
}

TEST(TokenizerTermsTest, AtomExamples) {
  NeedleTerms t = TermsOfAtom("timeout after ");
  EXPECT_EQ(t.exact, std::vector<std::string>{"after"});
  EXPECT_EQ(t.partial, "");
  t = TermsOfAtom(" connection refus");
  EXPECT_EQ(t.exact, std::vector<std::string>{"connection"});
  EXPECT_EQ(t.partial, "refus");
  // No separator: the atom may sit inside a longer token on either side.
  t = TermsOfAtom("refused");
  EXPECT_TRUE(t.exact.empty());
  EXPECT_TRUE(t.partial.empty());
  // A partial shorter than kTailPrefixBytes is not worth a lookup.
  t = TermsOfAtom("x ab");
  EXPECT_TRUE(t.partial.empty());
  // Non-ASCII atoms were lower-cased by Unicode rules, which the index does not follow.
  t = TermsOfAtom(" caf\xC3\xA9 x");
  EXPECT_TRUE(t.exact.empty());
  EXPECT_TRUE(t.partial.empty());
}

TEST(TokenizerTermsTest, Keys) {
  EXPECT_EQ(FieldOfTokenKey(TokenKey("abc", 0x1234)), 0x1234);
  EXPECT_TRUE(TokenKey("abc", 7).starts_with(TokenKeyPrefix("abc")));
  EXPECT_FALSE(TokenKey("abcd", 7).starts_with(TokenKeyPrefix("abc")));
  EXPECT_EQ(TailPrefixKey("abcdef"), "xabc");
  EXPECT_EQ(TailPrefixKey("ab"), "xab");
  EXPECT_EQ(PresenceKey("level"), "plevel");
  EXPECT_NE(ValueKey(1, "a"), ValueKey(2, "a"));
}

}  // namespace
}  // namespace lode::index
