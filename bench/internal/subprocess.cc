#include "bench/internal/subprocess.h"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace lode::bench::internal {
namespace {

double Seconds(const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; }

// Reads `fd` to EOF into `out` (when not null), then waits for `pid` and fills the usage.
ProcessUsage Collect(pid_t pid, int fd, std::string* out,
                     std::chrono::steady_clock::time_point start) {
  ProcessUsage u;
  if (fd >= 0) {
    char buf[1 << 16];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      if (out != nullptr) out->append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
  }
  int status = 0;
  rusage ru{};
  while (::wait4(pid, &status, 0, &ru) < 0) {
    if (errno != EINTR) return u;
  }
  u.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  u.user_s = Seconds(ru.ru_utime);
  u.sys_s = Seconds(ru.ru_stime);
  u.max_rss_kb = ru.ru_maxrss;
  u.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return u;
}

}  // namespace

ProcessUsage RunProcess(const std::vector<std::string>& argv, std::string* out, bool quiet) {
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int pipefd[2] = {-1, -1};
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return {};
  std::fflush(nullptr);  // so that our output and the child's come out in order
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    return {};
  }
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_RDWR);
    ::dup2(devnull, STDIN_FILENO);
    ::dup2(out != nullptr ? pipefd[1] : devnull, STDOUT_FILENO);
    if (quiet) ::dup2(devnull, STDERR_FILENO);
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "lode_bench: cannot run %s\n", args[0]);
    ::_exit(127);
  }
  ::close(pipefd[1]);
  return Collect(pid, pipefd[0], out, start);
}

ProcessUsage RunBash(const std::string& script, std::string* out, bool quiet) {
  return RunProcess({"bash", "-c", "set -o pipefail; " + script}, out, quiet);
}

ProcessUsage RunForked(const std::function<std::string()>& fn, std::string* result) {
  int pipefd[2] = {-1, -1};
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return {};
  std::fflush(nullptr);
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    return {};
  }
  if (pid == 0) {
    ::close(pipefd[0]);
    std::string r = fn();
    size_t off = 0;
    while (off < r.size()) {
      ssize_t n = ::write(pipefd[1], r.data() + off, r.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) ::_exit(3);
      off += static_cast<size_t>(n);
    }
    std::fflush(nullptr);
    ::_exit(0);
  }
  ::close(pipefd[1]);
  return Collect(pid, pipefd[0], result, start);
}

std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q.push_back(c);
    }
  }
  q.push_back('\'');
  return q;
}

}  // namespace lode::bench::internal
