// `lode`: the one binary. Subcommands: ingest, query, serve, stats, retention, delete (see
// `lode help`).
#include <cstdio>
#include <cstring>
#include <string>

#include <malloc.h>
#if defined(__x86_64__)
#include <sys/platform/x86.h>
#endif

#include "absl/synchronization/mutex.h"

#include "cli/commands.h"

namespace {

constexpr char kUsage[] = R"(lode - log aggregation and search

usage: lode <command> [flags]

commands:
  serve    run the server: HTTP ingest and query API
           lode serve --data DIR --http 127.0.0.1:9428
  ingest   store NDJSON or plain-text log lines from files or stdin
           lode ingest --data DIR [--format auto|ndjson|text] [--tenant NAME] [FILE ...|-]
  query    search stored records, newest first
           lode query --data DIR [--since 15m] [--from T] [--to T] [--limit N] [--count]
                      [--output ndjson|table] [--tenant NAME] 'QUERY'
  stats    partitions, segments, records, bytes per column, WAL, quarantine, lifetime counters
           lode stats --data DIR
  compact  merge small segments now (a running server does it in the background)
           lode compact --data DIR
  retention remove records by age and size now (or list what would go with --dry-run)
           lode retention --data DIR --retention 30d [--max-disk 50GB] [--dry-run]
  delete   remove the records a query matches
           lode delete --data DIR [--from T] [--to T] [--dry-run] [--all] 'QUERY'
  help     this text; `lode help <command>` or `lode <command> --help` for its flags
  version  the version
)";

bool CpuSupported() {
#if defined(__x86_64__) && defined(__AVX2__)
  // glibc's record of the CPU, made when the process started. (__builtin_cpu_supports would
  // link libgcc's CPU model, whose start-up constructor runs CPUID about ten times; each costs
  // microseconds in a virtual machine.)
  return CPU_FEATURE_ACTIVE(AVX2) && CPU_FEATURE_ACTIVE(BMI2);
#else
  return true;
#endif
}

}  // namespace

#if defined(__x86_64__) && !defined(LODE_FULL_EXIT)
// libgcc_s, which libstdc++ loads, fills libgcc's CPU model (the data behind
// __builtin_cpu_supports) in a start-up constructor that runs CPUID about ten times: ~50 us of
// every lode process in a virtual machine, where each CPUID exits to the hypervisor. Nothing in
// this process reads that model: lode checks the CPU with glibc's record (CpuSupported), simdjson,
// zstd and RE2 run their own checks, and no library lode loads refers to __cpu_model. libgcc_s
// calls its constructor through a symbol that the executable can define, so this empty one runs
// instead (tests/cli/startup_test.sh checks the binding). Should lode's own code ever use
// __builtin_cpu_supports, libgcc's definition would be linked too and the link would fail on the
// duplicate: the model cannot be left empty unnoticed. Sanitizer and coverage builds keep
// libgcc's.
extern "C" __attribute__((visibility("default"))) int __cpu_indicator_init() { return 0; }
#endif

int main(int argc, char** argv) {
  if (!CpuSupported()) {
    std::fprintf(stderr,
                 "lode: this build needs an x86-64-v3 CPU (AVX2, BMI2); rebuild with "
                 "-DLODE_ARCH= for older CPUs\n");
    return 2;
  }
  // Ingest builds batches of tens of MiB, frees them, and builds the next: keep freed memory in
  // the heap for reuse instead of returning it to the kernel and faulting fresh zeroed pages in.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  // Debian's Abseil is built with its mutex deadlock detector on, which keeps a lock graph and
  // does work on every lock. Tests keep it; the binary does not pay for it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::string cmd = argv[1];
  if (cmd == "help" || cmd == "--help" || cmd == "-h") {
    if (argc > 2) {
      std::string sub = argv[2];
      static char help_flag[] = "--help";
      char* args[] = {help_flag, nullptr};
      if (sub == "ingest") return lode::cli::RunIngest(1, args);
      if (sub == "query") return lode::cli::RunQuery(1, args);
      if (sub == "serve") return lode::cli::RunServe(1, args);
      if (sub == "stats") return lode::cli::RunStats(1, args);
      if (sub == "retention") return lode::cli::RunRetention(1, args);
      if (sub == "delete") return lode::cli::RunDelete(1, args);
      if (sub == "compact") return lode::cli::RunCompact(1, args);
    }
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (cmd == "version" || cmd == "--version") {
    std::puts("lode 0.1.0");
    return 0;
  }
  if (cmd == "ingest") return lode::cli::RunIngest(argc - 2, argv + 2);
  if (cmd == "query") return lode::cli::RunQuery(argc - 2, argv + 2);
  if (cmd == "serve") return lode::cli::RunServe(argc - 2, argv + 2);
  if (cmd == "stats") return lode::cli::RunStats(argc - 2, argv + 2);
  if (cmd == "retention") return lode::cli::RunRetention(argc - 2, argv + 2);
  if (cmd == "delete") return lode::cli::RunDelete(argc - 2, argv + 2);
  if (cmd == "compact") return lode::cli::RunCompact(argc - 2, argv + 2);
  std::fprintf(stderr, "lode: unknown command '%s'\n\n%s", cmd.c_str(), kUsage);
  return 2;
}
