// CorpusGenerator: a deterministic, fast source of realistic NDJSON application logs for lode's
// benchmarks.
//
// The output follows the corpus contract of the peer baselines (../shared/peers/README.md), so
// ripgrep, zstd, SQLite FTS5 and ClickHouse run the same queries Q1-Q7 on it unchanged:
//   - keys in a fixed order: timestamp (RFC 3339, ms, UTC, non-decreasing), level
//     (info|warn|error|debug), service, host, trace_id (32 hex), user_id,
//     http {method, path, status (int), latency_ms (float), bytes (int)}, message, then optional
//     fields (nested objects, arrays, a multi-line stack trace inside a string value);
//   - messages never contain '"' or '\'; the phrases `connection refused` and
//     `timeout after <n>ms` occur only inside `message`, in lower case;
//   - exactly 5 lines (for any line count >= 5) carry the token `needle-7f3a9c` in `message`;
//   - with the default options the corpus spans 2024-03-12 07:30-13:30 UTC whatever the line
//     count, so the peers' Q7 hour (10:00-11:00) is always covered.
//
// Distributions: Zipf-like services, endpoints and users; levels mostly info, with error bursts
// on one service at a time; HTTP status correlated with level; log-normal latency; ~35 message
// templates with variables; ~1% of lines carry a stack trace (Java, Python or Go shaped).
//
// The same (options) always produce the same bytes. No allocation per line. Not thread-safe:
// use one generator per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace lode::bench {

struct CorpusOptions {
  uint64_t lines = 1'000'000;
  uint64_t seed = 1;
  int64_t start_ns = 1710228600LL * 1'000'000'000;  // 2024-03-12T07:30:00Z
  int64_t span_ns = 6LL * 3600 * 1'000'000'000;     // the corpus covers [start, start + span)
};

class CorpusGenerator {
 public:
  static constexpr std::string_view kNeedle = "needle-7f3a9c";

  explicit CorpusGenerator(const CorpusOptions& options);
  ~CorpusGenerator();
  CorpusGenerator(const CorpusGenerator&) = delete;
  CorpusGenerator& operator=(const CorpusGenerator&) = delete;

  // Appends whole lines ('\n'-terminated) to `out` until `out` holds at least `min_bytes` bytes
  // or every line has been generated. Returns the number of lines appended (0 once done()).
  size_t Fill(std::string* out, size_t min_bytes);

  bool done() const;
  uint64_t lines_generated() const;

  // 0-based indices of the needle lines for a corpus of `lines` lines (spread evenly, distinct
  // when lines >= 5).
  static uint64_t NeedleLine(uint64_t lines, int k);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lode::bench
