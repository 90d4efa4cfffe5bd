#include "index/terms.h"

#include <utility>

#include "index/tokenizer.h"

namespace lode::index {
namespace {

struct Span {
  size_t b, e;
};

std::vector<Span> Tokens(std::string_view t) {
  std::vector<Span> out;
  size_t i = 0;
  while (i < t.size()) {
    if (!IsTokenByte(t[i])) {
      ++i;
      continue;
    }
    const size_t b = i;
    while (i < t.size() && IsTokenByte(t[i])) ++i;
    out.push_back({b, i});
  }
  return out;
}

// Pushes the terms that cover the run of whole tokens `run` (joined by single joiners).
void AddRun(std::string_view t, const std::vector<Span>& run, std::vector<std::string>* out) {
  const size_t m = run.size();
  if (m == 0) return;
  auto add_parts = [&](size_t s, size_t e) {
    for (size_t k = s; k < e; ++k) {
      out->emplace_back(t.substr(run[k].b, std::min(run[k].e - run[k].b, kMaxTermBytes)));
    }
  };
  if (m == 1) return add_parts(0, 1);
  for (size_t s = 0;; s += kMaxCompoundParts - 1) {
    const size_t e = std::min(s + kMaxCompoundParts, m);
    const size_t len = run[e - 1].e - run[s].b;
    if (len <= kMaxTermBytes) {
      out->emplace_back(t.substr(run[s].b, len));
    } else {
      add_parts(s, e);
    }
    if (e == m) break;
  }
}

}  // namespace

namespace {
void PutField(std::string* k, uint16_t field) {
  k->push_back(static_cast<char>(field >> 8));
  k->push_back(static_cast<char>(field & 0xff));
}
}  // namespace

bool IsTailCandidate(std::string_view term) {
  int digits = 0;
  for (char c : term) digits += c >= '0' && c <= '9';
  return digits >= kTailDigits;
}

std::string TokenKey(std::string_view token, uint16_t field) {
  std::string k;
  k.reserve(token.size() + 4);
  k.push_back('t');
  k.append(token);
  k.push_back('\0');
  PutField(&k, field);
  return k;
}

uint16_t FieldOfTokenKey(std::string_view key) {
  if (key.size() < 2) return 0;
  return static_cast<uint16_t>((static_cast<unsigned char>(key[key.size() - 2]) << 8) |
                               static_cast<unsigned char>(key.back()));
}

std::string TokenKeyPrefix(std::string_view token) {
  std::string k = "t";
  k.append(token);
  k.push_back('\0');
  return k;
}

std::string ValueKey(uint16_t field, std::string_view value) {
  std::string k = "v";
  PutField(&k, field);
  k.append(value);
  return k;
}

std::string PresenceKey(std::string_view field) {
  std::string k = "p";
  k.append(field);
  return k;
}

std::string TailPrefixKey(std::string_view token_prefix) {
  std::string k = "x";
  k.append(token_prefix.substr(0, kTailPrefixBytes));
  return k;
}

NeedleTerms TermsOfNeedle(std::string_view needle, bool prefix) {
  NeedleTerms r;
  const std::string t = FoldedCopy(needle);
  std::vector<Span> spans = Tokens(t);
  if (prefix && !spans.empty() && spans.back().e == t.size()) {
    const Span last = spans.back();
    spans.pop_back();
    std::string_view p = std::string_view(t).substr(last.b, last.e - last.b);
    if (p.size() >= kMaxTermBytes) {
      r.exact.emplace_back(p.substr(0, kMaxTermBytes));
    } else {
      r.partial = std::string(p);
    }
  }
  std::vector<Span> run;
  for (size_t k = 0; k < spans.size(); ++k) {
    const bool joined = k > 0 && spans[k].b == spans[k - 1].e + 1 && IsJoiner(t[spans[k].b - 1]);
    if (!joined) {
      AddRun(t, run, &r.exact);
      run.clear();
    }
    run.push_back(spans[k]);
  }
  AddRun(t, run, &r.exact);
  return r;
}

NeedleTerms TermsOfAtom(std::string_view atom) {
  NeedleTerms r;
  for (char c : atom) {
    // RE2 lower-cases atoms with Unicode rules; the index folds ASCII only.
    if (static_cast<unsigned char>(c) >= 0x80) return r;
  }
  const std::vector<Span> spans = Tokens(atom);
  for (const Span& s : spans) {
    if (s.b > 0 && s.e < atom.size()) {
      r.exact.emplace_back(atom.substr(s.b, std::min(s.e - s.b, kMaxTermBytes)));
    }
  }
  if (!spans.empty()) {
    const Span last = spans.back();
    if (last.b > 0 && last.e == atom.size() && last.e - last.b >= kTailPrefixBytes) {
      std::string_view p = atom.substr(last.b);
      if (p.size() >= kMaxTermBytes) {
        r.exact.emplace_back(p.substr(0, kMaxTermBytes));
      } else {
        r.partial = std::string(p);
      }
    }
  }
  return r;
}

}  // namespace lode::index
