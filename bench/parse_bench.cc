// Micro-benchmarks of the parse path: LineParser::Parse over a ~4 MiB batch of generated NDJSON
// lines, called the way `lode ingest` calls it (one large buffer of whole lines, the RecordBatch
// reused). Each iteration checks that every line became a record.
//
//   build/bench/parse_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include "bench/internal/bench_corpus.h"
#include "common/record_batch.h"
#include "common/strings.h"
#include "ingest/line_parser.h"

namespace lode::bench {
namespace {

using internal::Fail;
using internal::GetSample;

constexpr size_t kBatchBytes = 4 << 20;

void RunParse(benchmark::State& state, ingest::InputFormat format) {
  const internal::Sample& sample = GetSample(kBatchBytes);
  ingest::LineParser parser(format);
  RecordBatch batch;
  for (auto _ : state) {
    batch.Clear();
    parser.ResetStats();
    parser.Parse(sample.data, 1, 0, &batch);
    if (batch.num_rows() != sample.lines || parser.stats().rejected != 0) {
      Fail(state, StrCat("parsed ", batch.num_rows(), " records (", parser.stats().rejected,
                         " rejected) from ", sample.lines, " lines"));
      break;
    }
    benchmark::DoNotOptimize(batch.num_rows());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * sample.data.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * sample.lines));
  state.counters["fields"] = static_cast<double>(batch.columns().size());
}

// NDJSON with --format auto (the default of `lode ingest`): every line starts with '{'.
void ParseNdjsonAuto(benchmark::State& state) { RunParse(state, ingest::InputFormat::kAuto); }
BENCHMARK(ParseNdjsonAuto)->Unit(benchmark::kMillisecond);

void ParseNdjson(benchmark::State& state) { RunParse(state, ingest::InputFormat::kNdjson); }
BENCHMARK(ParseNdjson)->Unit(benchmark::kMillisecond);

// The same bytes as plain-text lines: the floor set by line splitting, UTF-8 validation and
// copying the message.
void ParseAsText(benchmark::State& state) { RunParse(state, ingest::InputFormat::kText); }
BENCHMARK(ParseAsText)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace lode::bench

int main(int argc, char** argv) { return lode::bench::internal::RunBenchmarks(argc, argv); }
