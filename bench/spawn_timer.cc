// lode_spawn_timer: the whole-process wall time of a few commands, run in turn many times, from
// a small process (fork, exec, wait; stdout collected), so that the time measured is the
// command's and not a shell's. bench/peers/head_to_head.sh uses it for the commands of two tools
// that take ~2 ms each, where a bash loop's own overhead (~2 ms, and noisy) would drown the
// difference.
//
// usage: lode_spawn_timer RUNS CMD [--- CMD ...]
//   Each CMD is a program and its arguments. Two warm-up rounds, then RUNS rounds; round r runs
//   the commands in a cycle starting at command r % count, so that each takes every place in
//   the round equally often (with two commands, each goes first in half the rounds). Prints one
//   line per command, tab-separated: median ms, the times of
//   every run (ms, comma-separated), and the command's output in its last run (newlines as
//   spaces). Exits 1 when a command fails.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/internal/subprocess.h"

namespace {

using lode::bench::internal::ProcessUsage;
using lode::bench::internal::RunProcess;

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 0;
  std::vector<std::vector<std::string>> cmds(1);
  for (int i = 2; i < argc; ++i) {
    if (std::string(argv[i]) == "---") {
      cmds.emplace_back();
    } else {
      cmds.back().push_back(argv[i]);
    }
  }
  if (runs < 1 || std::any_of(cmds.begin(), cmds.end(), [](const auto& c) { return c.empty(); })) {
    std::fprintf(stderr, "usage: lode_spawn_timer RUNS CMD [--- CMD ...]\n");
    return 2;
  }
  const size_t n = cmds.size();
  std::vector<std::vector<double>> ms(n);
  std::vector<std::string> out(n);
  for (int r = -2; r < runs; ++r) {
    for (size_t k = 0; k < n; ++k) {
      const size_t c = (k + static_cast<size_t>(std::max(r, 0))) % n;
      out[c].clear();
      const ProcessUsage u = RunProcess(cmds[c], &out[c]);
      if (u.exit_code != 0) {
        std::fprintf(stderr, "lode_spawn_timer: %s failed (exit %d)\n", cmds[c][0].c_str(),
                     u.exit_code);
        return 1;
      }
      if (r >= 0) ms[c].push_back(u.wall_s * 1e3);
    }
  }
  for (size_t c = 0; c < n; ++c) {
    std::string all;
    char buf[32];
    for (double t : ms[c]) {
      std::snprintf(buf, sizeof(buf), "%s%.2f", all.empty() ? "" : ",", t);
      all += buf;
    }
    std::string o = out[c];
    while (!o.empty() && (o.back() == '\n' || o.back() == ' ')) o.pop_back();
    std::replace(o.begin(), o.end(), '\n', ' ');
    std::printf("%.3f\t%s\t%s\n", Median(ms[c]), all.c_str(), o.c_str());
  }
  return 0;
}
