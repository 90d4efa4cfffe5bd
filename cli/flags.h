// A small command-line flag parser for the `lode` subcommands: `--name value`, `--name=value`,
// boolean `--name`, `-h` for `--help`, and positional arguments (everything else, including
// other single-dash words such as the query `-error`; `--` ends flags).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
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

// Parses the flags of `lode <command>`. On a bad flag prints the error and `help` to stderr and
// sets `*exit_code` to 2; on --help prints `help` to stdout and sets it to 0; returns nullopt in
// both cases, and the command returns `*exit_code`.
std::optional<Flags> ParseCommandFlags(std::string_view command, int argc, char** argv,
                                       const std::set<std::string>& value_flags,
                                       const std::set<std::string>& bool_flags, const char* help,
                                       int* exit_code);

// The value of --data. When it is missing or empty, prints "lode <command>: --data DIR is
// required" and `help` to stderr and returns nullopt (the command then exits 2).
std::optional<std::string> RequiredDataDir(const Flags& flags, std::string_view command,
                                           const char* help);
// True when there is no positional argument; otherwise prints "lode <command>: unexpected
// argument 'X'" to stderr and returns false (the command then exits 2).
bool NoPositionalArguments(const Flags& flags, std::string_view command);

}  // namespace lode::cli
