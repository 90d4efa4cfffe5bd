#include "storage/internal/block_refs.h"

#include <algorithm>

#include "storage/internal/template_codec.h"

namespace lode::storage::internal {

ColumnView ColumnView::Of(uint32_t column_id, const Column& c, size_t lo, size_t hi,
                          uint32_t row_base) {
  ColumnView v;
  v.column_id = column_id;
  v.type = c.type;
  v.rows = c.rows.data() + lo;
  v.row_base = row_base;
  v.n = hi - lo;
  if (c.type == FieldType::kString) {
    v.strings = &c.strings;
    v.string_offset = lo;
  } else if (c.type == FieldType::kDouble) {
    v.doubles = c.doubles.data() + lo;
  } else {
    v.ints = c.ints.data() + lo;
  }
  return v;
}

RefSource::RefSource(const ColumnView& v, uint32_t block_rows)
    : view_(v), block_rows_(block_rows) {}

int64_t RefSource::IndexOfRow(uint32_t row) {
  if (row >= block_rows_) return -1;
  if (view_.n == block_rows_) return row;  // every row: rows are 0..n-1
  if (index_of_row_.empty()) {
    index_of_row_.assign(block_rows_, -1);
    for (size_t i = 0; i < view_.n; ++i) index_of_row_[view_.Row(i)] = static_cast<int32_t>(i);
  }
  return index_of_row_[row];
}

bool RefSource::Number(uint32_t row, NumberSource source, uint32_t k, uint64_t* out) {
  const int64_t i = IndexOfRow(row);
  if (i < 0) return false;
  switch (source) {
    case NumberSource::kInt:
      if (view_.type != FieldType::kInt64 || view_.ints[i] < 0 || k != 0) return false;
      *out = static_cast<uint64_t>(view_.ints[i]);
      return true;
    case NumberSource::kDoubleInt: {
      const double d = view_.type == FieldType::kDouble ? view_.doubles[i] : -1;
      if (!(d >= 0 && d < 1e18) || k != 0) return false;
      *out = static_cast<uint64_t>(d);
      return true;
    }
    case NumberSource::kStringNum: {
      if (view_.type != FieldType::kString) return false;
      if (num_begin_.empty()) {
        num_begin_.assign(view_.n, -1);
        num_count_.assign(view_.n, 0);
      }
      if (num_begin_[i] < 0) {
        num_begin_[i] = static_cast<int32_t>(nums_.size());
        ExtractNumbers(view_.String(i), &nums_);
        num_count_[i] = static_cast<uint8_t>(std::min<size_t>(255, nums_.size() - num_begin_[i]));
      }
      if (k >= num_count_[i]) return false;
      *out = nums_[num_begin_[i] + k];
      return true;
    }
  }
  return false;
}

bool RefSource::SameRows(const uint32_t* rows, size_t n) const {
  if (n != view_.n) return false;
  for (size_t i = 0; i < n; ++i) {
    if (view_.Row(i) != rows[i]) return false;
  }
  return true;
}

void BlockRefs::Add(const ColumnView& v) {
  sources_.push_back(std::make_unique<RefSource>(v, block_rows_));
}

RefSource* BlockRefs::Find(uint32_t column_id) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    for (auto& s : sources_) {
      if (s->view().column_id == column_id) return s.get();
    }
    if (attempt == 0 && !(loader_ && loader_(column_id))) break;
  }
  return nullptr;
}

void BlockRefs::Use(uint32_t column_id) {
  auto it = std::lower_bound(used_.begin(), used_.end(), column_id);
  if (it == used_.end() || *it != column_id) used_.insert(it, column_id);
}

bool BlockRefs::Allowed(uint32_t column_id) const {
  return allowed_ != nullptr && std::binary_search(allowed_->begin(), allowed_->end(), column_id);
}

}  // namespace lode::storage::internal
