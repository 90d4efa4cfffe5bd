#include "query/internal/regex_matcher.h"

#include <algorithm>
#include <string>

#include <re2/filtered_re2.h>
#include <re2/re2.h>

namespace lode::query::internal {

std::unique_ptr<RegexMatcher> RegexMatcher::Compile(std::string_view pattern, std::string* error) {
  RE2::Options options;
  options.set_log_errors(false);  // the error goes back to the user, not to stderr
  auto re = std::make_unique<RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!re->ok()) {
    *error = re->error();
    return nullptr;
  }
  std::unique_ptr<RegexMatcher> m(new RegexMatcher(std::move(re)));
  auto f = std::make_unique<re2::FilteredRE2>(3);
  int id = 0;
  if (f->Add(re2::StringPiece(pattern.data(), pattern.size()), options, &id) == RE2::NoError) {
    f->Compile(&m->atoms_);
    if (!m->atoms_.empty()) {
      const bool folds = m->re_->pattern().find("(?") != std::string::npos;
      for (const std::string& a : m->atoms_) {
        bool ok = true;
        for (char c : a) {
          if (static_cast<unsigned char>(c) >= 0x80 || (folds && (c == 'k' || c == 's')))
            ok = false;
        }
        m->checkable_.push_back(ok);
      }
      m->prefilter_ = std::move(f);
    }
  }
  return m;
}

RegexMatcher::RegexMatcher(std::unique_ptr<re2::RE2> re) : re_(std::move(re)) {}
RegexMatcher::~RegexMatcher() = default;  // here, where FilteredRE2 is complete

bool RegexMatcher::PartialMatch(std::string_view value) const {
  if (prefilter_ != nullptr) {
    thread_local std::string folded;
    thread_local std::vector<int> matched, potential;
    folded.assign(value);
    for (char& c : folded) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    matched.clear();
    for (size_t a = 0; a < atoms_.size(); ++a) {
      if (!checkable_[a] || folded.find(atoms_[a]) != std::string::npos) {
        matched.push_back(static_cast<int>(a));
      }
    }
    prefilter_->AllPotentials(matched, &potential);
    if (potential.empty()) return false;
  }
  return RE2::PartialMatch(re2::StringPiece(value.data(), value.size()), *re_);
}

}  // namespace lode::query::internal
