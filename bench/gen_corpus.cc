// lode_gen: writes a deterministic NDJSON log corpus (bench/corpus_generator.h) for benchmarks
// and the peer baselines.
//
//   lode_gen --lines N [--seed S] [--out FILE]      (stdout when --out is absent or '-')
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "bench/corpus_generator.h"

namespace {

constexpr char kUsage[] =
    "usage: lode_gen --lines N [--seed S] [--out FILE]\n"
    "Writes N lines (N >= 5) of NDJSON logs following ../shared/peers/README.md; the same\n"
    "N and S always give the same bytes.\n";

bool ParseUint(const char* s, uint64_t* out) {
  if (s == nullptr || *s == '\0') return false;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s, &end, 10);
  if (errno != 0 || *end != '\0') return false;
  *out = v;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  lode::bench::CorpusOptions options;
  bool have_lines = false;
  std::string out_path = "-";
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    if (a == "--lines" && ParseUint(v, &options.lines)) {
      have_lines = true;
      ++i;
    } else if (a == "--seed" && ParseUint(v, &options.seed)) {
      ++i;
    } else if (a == "--out" && v != nullptr) {
      out_path = v;
      ++i;
    } else if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      std::fprintf(stderr, "lode_gen: bad argument '%s'\n%s", argv[i], kUsage);
      return 2;
    }
  }
  if (!have_lines || options.lines < 5) {
    std::fprintf(stderr, "lode_gen: --lines N (N >= 5) is required\n%s", kUsage);
    return 2;
  }
  FILE* out = stdout;
  if (out_path != "-") {
    out = std::fopen(out_path.c_str(), "wb");
    if (out == nullptr) {
      std::fprintf(stderr, "lode_gen: open %s: %s\n", out_path.c_str(), std::strerror(errno));
      return 2;
    }
  }
  lode::bench::CorpusGenerator gen(options);
  std::string chunk;
  chunk.reserve(2 << 20);
  while (!gen.done()) {
    chunk.clear();
    gen.Fill(&chunk, 1 << 20);
    if (std::fwrite(chunk.data(), 1, chunk.size(), out) != chunk.size()) {
      std::fprintf(stderr, "lode_gen: write %s: %s\n", out_path.c_str(), std::strerror(errno));
      return 2;
    }
  }
  if (std::fflush(out) != 0 || (out != stdout && std::fclose(out) != 0)) {
    std::fprintf(stderr, "lode_gen: write %s: %s\n", out_path.c_str(), std::strerror(errno));
    return 2;
  }
  return 0;
}
