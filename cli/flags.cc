#include "cli/flags.h"

#include <cstdio>

#include "common/strings.h"

namespace lode::cli {

absl::StatusOr<Flags> Flags::Parse(int argc, char** argv, const std::set<std::string>& value_flags,
                                   const std::set<std::string>& bool_flags) {
  Flags f;
  bool flags_done = false;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (!flags_done && a == "-h" && bool_flags.count("help")) {
      f.present_.insert("help");
      continue;
    }
    if (flags_done || a.size() < 2 || a[0] != '-' || a == "-") {
      f.positional_.push_back(a);
      continue;
    }
    if (a == "--") {
      flags_done = true;
      continue;
    }
    if (a.rfind("--", 0) != 0) {
      // A single-dash argument is positional (e.g. the query '-word').
      f.positional_.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (value_flags.count(name)) {
      if (!value) {
        if (i + 1 >= argc) {
          return absl::InvalidArgumentError(StrCat("flag --", name, " needs a value"));
        }
        value = argv[++i];
      }
      f.values_[name] = *value;
      f.present_.insert(name);
    } else if (bool_flags.count(name)) {
      if (value && *value != "true" && *value != "false") {
        return absl::InvalidArgumentError(StrCat("flag --", name, " takes no value"));
      }
      if (!value || *value == "true") f.present_.insert(name);
    } else {
      return absl::InvalidArgumentError(StrCat("unknown flag --", name));
    }
  }
  return f;
}

std::optional<std::string> Flags::Get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string Flags::GetOr(const std::string& name, const std::string& fallback) const {
  auto v = Get(name);
  return v ? *v : fallback;
}

bool Flags::Has(const std::string& name) const { return present_.count(name) > 0; }

std::optional<Flags> ParseCommandFlags(std::string_view command, int argc, char** argv,
                                       const std::set<std::string>& value_flags,
                                       const std::set<std::string>& bool_flags, const char* help,
                                       int* exit_code) {
  auto flags = Flags::Parse(argc, argv, value_flags, bool_flags);
  if (!flags.ok()) {
    std::string msg(StatusMessage(flags.status()));
    std::fprintf(stderr, "lode %.*s: %s\n\n%s", static_cast<int>(command.size()), command.data(),
                 msg.c_str(), help);
    *exit_code = 2;
    return std::nullopt;
  }
  if (flags->Has("help")) {
    std::fputs(help, stdout);
    *exit_code = 0;
    return std::nullopt;
  }
  return std::move(*flags);
}

std::optional<std::string> RequiredDataDir(const Flags& flags, std::string_view command,
                                           const char* help) {
  std::optional<std::string> data = flags.Get("data");
  if (!data || data->empty()) {
    std::fprintf(stderr, "lode %.*s: --data DIR is required\n\n%s",
                 static_cast<int>(command.size()), command.data(), help);
    return std::nullopt;
  }
  return data;
}

bool NoPositionalArguments(const Flags& flags, std::string_view command) {
  if (flags.positional().empty()) return true;
  std::fprintf(stderr, "lode %.*s: unexpected argument '%s'\n", static_cast<int>(command.size()),
               command.data(), flags.positional()[0].c_str());
  return false;
}

}  // namespace lode::cli
