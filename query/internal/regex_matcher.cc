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
        bool ok = true, digit = false;
        for (char c : a) {
          if (static_cast<unsigned char>(c) >= 0x80 || (m->folds_case_ && (c == 'k' || c == 's'))) {
            ok = false;
          }
          digit = digit || (c >= '0' && c <= '9');
        }
        m->checkable_.push_back(ok);
        m->has_digit_.push_back(digit);
        std::vector<std::string> runs;
        if (digit) {
          std::string run;
          for (char c : a + '0') {
            if (c >= '0' && c <= '9') {
              if (!run.empty()) runs.push_back(std::move(run));
              run.clear();
            } else {
              run.push_back(c);
            }
          }
        }
        m->non_digit_runs_.push_back(std::move(runs));
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

bool RegexMatcher::MayMatch(std::string_view text, bool digits_unknown) const {
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
    } else if (digits_unknown && has_digit_[a]) {
      found = true;
      for (const std::string& run : non_digit_runs_[a]) {
        if (folded.find(run) == std::string::npos) {
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
