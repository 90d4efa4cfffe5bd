// A compact, uncompressed serialization of a RecordBatch, used as the payload of WAL frames
// (docs/formats/wal.md). Fast to write (mostly copies) and bounds-checked to read.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"

#include "common/record_batch.h"

namespace lode::storage {

// Appends the encoding of `batch` to `out`.
void EncodeBatch(const RecordBatch& batch, std::string* out);

// Decodes one batch from `in` into `out` (cleared first). DataLoss when `in` is not exactly one
// well-formed encoding.
absl::Status DecodeBatch(std::string_view in, RecordBatch* out);

}  // namespace lode::storage
