// Process helpers for lode_bench: run a command or a function in a child process and measure it
// the way /usr/bin/time does (wall clock, user and system CPU, peak RSS from wait4), so that each
// phase is accounted on its own and nothing one phase allocates inflates the next one's RSS.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace lode::bench::internal {

struct ProcessUsage {
  int exit_code = -1;  // -1 when the process could not be started or was killed by a signal
  double wall_s = 0;
  double user_s = 0;
  double sys_s = 0;
  long max_rss_kb = 0;  // peak resident set size of the child
  double cpu_s() const { return user_s + sys_s; }
};

// Runs `argv` (argv[0] looked up in PATH) with stdin from /dev/null. When `out` is not null the
// child's stdout is collected into it, otherwise it goes to /dev/null. stderr is inherited unless
// `quiet` is set.
ProcessUsage RunProcess(const std::vector<std::string>& argv, std::string* out, bool quiet = false);

// Runs `script` with `bash -c` and `set -o pipefail`; otherwise as RunProcess.
ProcessUsage RunBash(const std::string& script, std::string* out, bool quiet = false);

// Runs `fn` in a forked child; what it returns is handed back in `*result`. Exit code 0 when the
// child finished normally. The caller must be single-threaded.
ProcessUsage RunForked(const std::function<std::string()>& fn, std::string* result);

// `s` quoted for a POSIX shell.
std::string ShellQuote(const std::string& s);

}  // namespace lode::bench::internal
