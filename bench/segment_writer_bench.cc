// Micro-benchmarks of the segment writer: EncodeSegment of a parsed batch of generated NDJSON
// lines, at several zstd levels and batch sizes. Throughput is counted in raw NDJSON bytes (the
// same unit as ingest MB/s); `ratio` is raw NDJSON bytes / segment bytes. Before timing, the
// segment is written to a temp file and read back block by block to check every record is there.
//
//   build/bench/segment_writer_bench [--benchmark_filter=...]
#include <string>

#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench/internal/bench_corpus.h"
#include "common/record_batch.h"
#include "common/strings.h"
#include "ingest/line_parser.h"
#include "storage/env.h"
#include "storage/segment_reader.h"
#include "storage/segment_writer.h"

namespace lode::bench {
namespace {

using internal::Fail;

// Writes `batch` as a segment file, reads it back, and compares row count, times and messages.
// Returns an empty string when they match, else what differs.
std::string RoundTrip(const RecordBatch& batch, const storage::SegmentWriterOptions& options) {
  char dir[] = "/tmp/lode-segbench.XXXXXX";
  if (::mkdtemp(dir) == nullptr) return "mkdtemp failed";
  const std::string path = StrCat(dir, "/check.lode");
  storage::Env* env = storage::Env::Default();
  std::string problem;
  if (auto s = storage::WriteSegment(env, path, batch, options); !s.ok()) {
    problem = StrCat("write: ", StatusMessage(s));
  } else if (auto r = storage::SegmentReader::Open(env, path); !r.ok()) {
    problem = StrCat("open: ", StatusMessage(r.status()));
  } else {
    RecordBatch block;
    size_t row = 0;
    for (size_t b = 0; b < (*r)->num_blocks() && problem.empty(); ++b) {
      if (auto s = (*r)->ReadBlock(b, &block); !s.ok()) {
        problem = StrCat("block ", b, ": ", StatusMessage(s));
        break;
      }
      for (size_t i = 0; i < block.num_rows(); ++i, ++row) {
        if (row >= batch.num_rows() || block.time(i) != batch.time(row) ||
            block.message(i) != batch.message(row)) {
          problem = StrCat("row ", row, " differs after reading back");
          break;
        }
      }
    }
    if (problem.empty() && row != batch.num_rows()) {
      problem = StrCat("read back ", row, " rows of ", batch.num_rows());
    }
  }
  ::unlink(path.c_str());
  ::rmdir(dir);
  return problem;
}

// Args: zstd level, batch size in MiB of NDJSON.
void SegmentEncode(benchmark::State& state) {
  const internal::Sample& sample = internal::GetSample(static_cast<size_t>(state.range(1)) << 20);
  ingest::LineParser parser(ingest::InputFormat::kAuto);
  RecordBatch batch;
  parser.Parse(sample.data, 1, 0, &batch);
  if (batch.num_rows() != sample.lines) {
    Fail(state, StrCat("parsed ", batch.num_rows(), " of ", sample.lines, " lines"));
    return;
  }
  storage::SegmentWriterOptions options;
  options.zstd_level = static_cast<int>(state.range(0));
  if (std::string problem = RoundTrip(batch, options); !problem.empty()) {
    Fail(state, problem);
    return;
  }
  size_t segment_bytes = 0;
  for (auto _ : state) {
    storage::SegmentMeta meta;
    std::string bytes = storage::EncodeSegment(batch, options, &meta);
    if (meta.num_records != batch.num_rows() || bytes.empty()) {
      Fail(state, StrCat("segment has ", meta.num_records, " records, want ", batch.num_rows()));
      break;
    }
    segment_bytes = bytes.size();
    benchmark::DoNotOptimize(bytes.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * sample.data.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * sample.lines));
  if (segment_bytes > 0) {
    state.counters["ratio"] =
        static_cast<double>(sample.data.size()) / static_cast<double>(segment_bytes);
    state.counters["segment_bytes"] = static_cast<double>(segment_bytes);
  }
}
BENCHMARK(SegmentEncode)
    ->ArgNames({"zstd", "MiB"})
    ->Args({3, 4})
    ->Args({1, 4})
    ->Args({9, 4})
    ->Args({3, 32})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace lode::bench

int main(int argc, char** argv) { return lode::bench::internal::RunBenchmarks(argc, argv); }
