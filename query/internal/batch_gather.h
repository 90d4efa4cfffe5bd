// Copying a subset of rows from one RecordBatch to the end of another, column by column.
#pragma once

#include <cstdint>
#include <vector>

#include "common/record_batch.h"

namespace lode::query::internal {

// Appends rows `rows` (strictly ascending, each < src.num_rows()) of `src` to `dst`, in that
// order. Works column by column with a merge of the row lists, so the cost is proportional to
// the values copied plus a binary search per skipped run, whatever the number of columns a row
// has not.
void AppendRows(const RecordBatch& src, const std::vector<uint32_t>& rows, RecordBatch* dst);

}  // namespace lode::query::internal
