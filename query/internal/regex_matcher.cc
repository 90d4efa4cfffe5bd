#include "query/internal/regex_matcher.h"

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
  return std::unique_ptr<RegexMatcher>(new RegexMatcher(std::move(re)));
}

RegexMatcher::RegexMatcher(std::unique_ptr<re2::RE2> re) : re_(std::move(re)) {}
RegexMatcher::~RegexMatcher() = default;

bool RegexMatcher::PartialMatch(std::string_view value) const {
  return RE2::PartialMatch(re2::StringPiece(value.data(), value.size()), *re_);
}

}  // namespace lode::query::internal
