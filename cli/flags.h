// A small command-line flag parser for the `lode` subcommands: `--name value`, `--name=value`,
// boolean `--name`, `-h` for `--help`, and positional arguments (everything else, including
// other single-dash words such as the query `-error`; `--` ends flags).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace lode::cli {

class Flags {
 public:
  // `value_flags` take a value, `bool_flags` do not. Unknown flags are an InvalidArgument error.
  static absl::StatusOr<Flags> Parse(int argc, char** argv,
                                     const std::set<std::string>& value_flags,
                                     const std::set<std::string>& bool_flags);

  std::optional<std::string> Get(const std::string& name) const;
  std::string GetOr(const std::string& name, const std::string& fallback) const;
  bool Has(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::string> values_;
  std::set<std::string> present_;
  std::vector<std::string> positional_;
};

}  // namespace lode::cli
