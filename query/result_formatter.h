// Turns result rows into text: NDJSON for programs, an aligned-enough one-line-per-record table
// for people at a terminal.
//
// NDJSON: `{"_time":"2026-11-27T10:00:00.123456789Z","_msg":"...","field":value,...}` with the
// fields in the batch's column order, typed as stored (int64 as integers, doubles as numbers,
// bools, strings; a field that was a JSON array is its JSON text, as a string).
//
// Table: `2026-11-27T10:00:00.123Z  message  field=value field2="two words"`, with control
// characters (including ESC, so log content cannot drive the terminal) shown escaped.
//
// Not thread-safe. Holds a pointer to the current batch, which must outlive its use.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

#include "common/record_batch.h"

namespace lode::query {

enum class OutputFormat { kNdjson, kTable };
// "ndjson" (or "json", "jsonl") or "table".
absl::StatusOr<OutputFormat> ParseOutputFormat(std::string_view name);

class ResultFormatter {
 public:
  explicit ResultFormatter(OutputFormat format) : format_(format) {}

  // Prints only these columns, in this order (`| fields a, _time`): `_time` and `_msg` name the
  // timestamp and the message, which are then printed only when listed; an absent field is left
  // out of the row. nullopt (the default) prints everything in stored order. Call before
  // SetBatch.
  void SetFields(std::optional<std::vector<std::string>> fields) { fields_ = std::move(fields); }

  // Prepares to format rows of `batch` (indexes which fields each row has, once per batch).
  void SetBatch(const RecordBatch* batch);
  // Appends row `row` of the current batch and a newline.
  void AppendRow(uint32_t row, std::string* out) const;

 private:
  struct FieldRef {
    uint32_t column;
    uint32_t value;
  };
  void AppendNdjson(uint32_t row, std::string* out) const;
  void AppendTable(uint32_t row, std::string* out) const;
  void AppendProjected(uint32_t row, std::string* out) const;

  OutputFormat format_;
  std::optional<std::vector<std::string>> fields_;
  const RecordBatch* batch_ = nullptr;
  // With fields_: for each of its names, the columns of the batch with that name (one per type).
  std::vector<std::vector<uint32_t>> field_columns_;
  // Row r's fields are refs_[offsets_[r] .. offsets_[r+1]), in column order.
  std::vector<uint32_t> offsets_;
  std::vector<FieldRef> refs_;
};

}  // namespace lode::query
