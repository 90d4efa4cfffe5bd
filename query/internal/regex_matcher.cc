#include "query/internal/regex_matcher.h"

#include <algorithm>
#include <string>

#include <re2/filtered_re2.h>
#include <re2/re2.h>

namespace lode::query::internal {

namespace {

// Atoms up to which MayMatchGivenAtoms is tabulated (2^this entries).
constexpr size_t kMaxTabulatedAtoms = 10;

bool FoldsCase(std::string_view pattern) {
  for (size_t i = 0; i + 2 < pattern.size(); ++i) {
    if (pattern[i] != '(' || pattern[i + 1] != '?') continue;
    for (size_t j = i + 2; j < pattern.size(); ++j) {
      const char c = pattern[j];
      if (c == 'i') return true;
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) break;  // '-', ':', ')', ...
    }
  }
  return false;
}

}  // namespace

std::vector<std::string> SkeletonPieces(std::string_view atom) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  auto alnum = [&](char c) { return digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  auto hex = [&](char c) { return digit(c) || (c >= 'a' && c <= 'f'); };
  const size_t n = atom.size();
  std::vector<bool> cut(n, false);
  for (size_t i = 0; i < n; ++i) cut[i] = digit(atom[i]);
  // Runs of letters and digits: one made of hex digits alone may be (part of) a hex id when it
  // has a digit or goes on past an end of the atom.
  for (size_t i = 0; i < n;) {
    if (!alnum(atom[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    bool all_hex = true, with_digit = false;
    for (; j < n && alnum(atom[j]); ++j) {
      all_hex = all_hex && hex(atom[j]);
      with_digit = with_digit || digit(atom[j]);
    }
    if (all_hex && (with_digit || i == 0 || j == n)) {
      for (size_t k = i; k < j; ++k) cut[k] = true;
    }
    i = j;
  }
  std::vector<std::string> pieces;
  std::string piece;
  for (size_t i = 0; i <= n; ++i) {
    if (i == n || cut[i]) {
      if (!piece.empty()) pieces.push_back(std::move(piece));
      piece.clear();
    } else {
      piece.push_back(atom[i]);
    }
  }
  return pieces;
}

std::unique_ptr<RegexMatcher> RegexMatcher::Compile(std::string_view pattern, std::string* error) {
  RE2::Options options;
  options.set_log_errors(false);  // the error goes back to the user, not to stderr
  auto re = std::make_unique<RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!re->ok()) {
    *error = re->error();
    return nullptr;
  }
  std::unique_ptr<RegexMatcher> m(new RegexMatcher(std::move(re)));
  m->folds_case_ = FoldsCase(pattern);
  auto f = std::make_unique<re2::FilteredRE2>(3);
  int id = 0;
  if (f->Add(re2::StringPiece(pattern.data(), pattern.size()), options, &id) == RE2::NoError) {
    f->Compile(&m->atoms_);
    if (!m->atoms_.empty()) {
      for (const std::string& a : m->atoms_) {
        bool ok = true;
        for (char c : a) {
          if (static_cast<unsigned char>(c) >= 0x80 || (m->folds_case_ && (c == 'k' || c == 's'))) {
            ok = false;
          }
        }
        m->checkable_.push_back(ok);
        std::vector<std::string> pieces = SkeletonPieces(a);
        m->cut_.push_back(pieces.size() != 1 || pieces[0] != a);
        m->skeleton_pieces_.push_back(std::move(pieces));
      }
      m->prefilter_ = std::move(f);
      if (m->atoms_.size() <= kMaxTabulatedAtoms) {
        const size_t sets = size_t{1} << m->atoms_.size();
        std::vector<bool> table(sets);
        std::vector<int> present;
        for (size_t mask = 0; mask < sets; ++mask) {
          present.clear();
          for (size_t a = 0; a < m->atoms_.size(); ++a) {
            if (mask >> a & 1) present.push_back(static_cast<int>(a));
          }
          table[mask] = m->MayMatchGivenAtoms(present);
        }
        m->given_atoms_ = std::move(table);
      }
    }
  }
  return m;
}

RegexMatcher::RegexMatcher(std::unique_ptr<re2::RE2> re) : re_(std::move(re)) {}
RegexMatcher::~RegexMatcher() = default;  // here, where FilteredRE2 is complete

bool RegexMatcher::MayMatchGivenAtoms(const std::vector<int>& present) const {
  if (prefilter_ == nullptr) return true;
  if (!given_atoms_.empty()) {
    size_t mask = 0;
    for (int a : present) mask |= size_t{1} << a;
    return given_atoms_[mask];
  }
  thread_local std::vector<int> potential;
  prefilter_->AllPotentials(present, &potential);
  return !potential.empty();
}

bool RegexMatcher::MayMatch(std::string_view text, bool skeleton) const {
  if (prefilter_ == nullptr) return true;
  thread_local std::string folded;
  thread_local std::vector<int> present;
  folded.assign(text);
  for (char& c : folded) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  present.clear();
  for (size_t a = 0; a < atoms_.size(); ++a) {
    bool found;
    if (!checkable_[a]) {
      found = true;
    } else if (skeleton && cut_[a]) {
      found = true;
      for (const std::string& piece : skeleton_pieces_[a]) {
        if (folded.find(piece) == std::string::npos) {
          found = false;
          break;
        }
      }
    } else {
      found = folded.find(atoms_[a]) != std::string::npos;
    }
    if (found) present.push_back(static_cast<int>(a));
  }
  return MayMatchGivenAtoms(present);
}

bool RegexMatcher::PartialMatch(std::string_view value) const {
  return MayMatch(value) && RE2::PartialMatch(re2::StringPiece(value.data(), value.size()), *re_);
}

}  // namespace lode::query::internal
