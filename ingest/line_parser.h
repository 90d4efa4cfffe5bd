// Turns newline-delimited input (NDJSON or plain text) into RecordBatches.
//
// One LineParser holds one simdjson On-Demand parser that is reused for every line of every
// batch; input arrives as large buffers of many lines and is parsed in place (no copy per line
// unless the line has invalid UTF-8 and must be repaired first).
//
// Not thread-safe: use one LineParser per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

#include "common/record_batch.h"

namespace lode::ingest {

enum class InputFormat {
  kAuto,    // per line: a line starting with '{' is JSON, anything else plain text
  kNdjson,  // every line must be a JSON object
  kText,    // every line is a message
};
absl::StatusOr<InputFormat> ParseInputFormat(std::string_view name);

struct LineError {
  uint64_t line = 0;  // 1-based, counted over the whole input
  std::string reason;
};

// Counts of one parse (accumulated across calls of the same LineParser until Reset()).
struct ParseStats {
  uint64_t lines = 0;     // non-empty lines seen
  uint64_t accepted = 0;  // records added
  uint64_t rejected = 0;
  std::vector<LineError> errors;  // the first kMaxKeptErrors rejections
  static constexpr size_t kMaxKeptErrors = 100;
};

class LineParser {
 public:
  explicit LineParser(InputFormat format);
  ~LineParser();
  LineParser(const LineParser&) = delete;
  LineParser& operator=(const LineParser&) = delete;

  // Parses every line of `data` and appends one record per accepted line to `out`. `data` holds
  // whole lines ('\n'-separated; a trailing '\r' is dropped; the last line needs no '\n').
  // Empty and all-whitespace lines are skipped. `first_line` is the 1-based number of data's
  // first line, for error messages; returns the number of lines in `data` (so the caller can
  // continue the count). Records without a usable timestamp get `now_ns`.
  uint64_t Parse(std::string_view data, uint64_t first_line, int64_t now_ns, RecordBatch* out);

  const ParseStats& stats() const { return stats_; }
  void ResetStats() { stats_ = ParseStats(); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  InputFormat format_;
  ParseStats stats_;
};

}  // namespace lode::ingest
