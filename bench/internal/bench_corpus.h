// Shared set-up of the micro-benchmarks: a generated NDJSON batch held in memory, and a way for a
// benchmark's self-check to fail the whole run (Google Benchmark alone only marks it skipped).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include <benchmark/benchmark.h>

#include "bench/corpus_generator.h"

namespace lode::bench::internal {

struct Sample {
  std::string data;  // whole NDJSON lines
  size_t lines = 0;
};

// The first `bytes` (rounded up to a whole line) of the default corpus, generated once per size.
inline const Sample& GetSample(size_t bytes) {
  static std::map<size_t, Sample> cache;
  auto it = cache.find(bytes);
  if (it != cache.end()) return it->second;
  CorpusOptions options;
  options.lines = 2'000'000;  // the timestamps of the 2M-line corpus used in docs/PERFORMANCE.md
  CorpusGenerator gen(options);
  Sample s;
  s.data.reserve(bytes + (64 << 10));
  s.lines = gen.Fill(&s.data, bytes);
  return cache.emplace(bytes, std::move(s)).first->second;
}

inline bool& Failed() {
  static bool failed = false;
  return failed;
}

// Marks the benchmark as failed: it reports the error, and main() exits non-zero.
inline void Fail(benchmark::State& state, const std::string& what) {
  std::fprintf(stderr, "BENCHMARK CHECK FAILED: %s\n", what.c_str());
  Failed() = true;
  state.SkipWithError(what.c_str());
}

// main() for a benchmark executable whose benchmarks check their results.
inline int RunBenchmarks(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return Failed() ? 1 : 0;
}

}  // namespace lode::bench::internal
