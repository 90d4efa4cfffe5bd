#include "query/internal/batch_gather.h"

#include <algorithm>

namespace lode::query::internal {

void AppendRows(const RecordBatch& src, const std::vector<uint32_t>& rows, RecordBatch* dst) {
  if (rows.empty()) return;
  const auto base = static_cast<uint32_t>(dst->num_rows());
  std::vector<int64_t>* times = dst->mutable_times();
  StringData* msgs = dst->mutable_messages();
  times->reserve(times->size() + rows.size());
  for (uint32_t r : rows) {
    times->push_back(src.time(r));
    msgs->Append(src.message(r));
  }
  for (const Column& c : src.columns()) {
    Column* d = nullptr;
    size_t i = 0;
    size_t j = 0;
    while (i < c.rows.size() && j < rows.size()) {
      if (c.rows[i] < rows[j]) {
        i = std::lower_bound(c.rows.begin() + i, c.rows.end(), rows[j]) - c.rows.begin();
        continue;
      }
      if (c.rows[i] > rows[j]) {
        j = std::lower_bound(rows.begin() + j, rows.end(), c.rows[i]) - rows.begin();
        continue;
      }
      if (d == nullptr) d = dst->MutableColumn(c.name, c.type);
      d->rows.push_back(base + static_cast<uint32_t>(j));
      switch (c.type) {
        case FieldType::kString:
          d->strings.Append(c.strings.Get(i));
          break;
        case FieldType::kDouble:
          d->doubles.push_back(c.doubles[i]);
          break;
        case FieldType::kInt64:
        case FieldType::kBool:
          d->ints.push_back(c.ints[i]);
          break;
      }
      ++i;
      ++j;
    }
  }
}

}  // namespace lode::query::internal
