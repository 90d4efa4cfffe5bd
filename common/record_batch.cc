#include "common/record_batch.h"

#include <algorithm>
#include <numeric>

namespace lode {

std::string_view FieldTypeName(FieldType t) {
  switch (t) {
    case FieldType::kString:
      return "string";
    case FieldType::kInt64:
      return "int64";
    case FieldType::kDouble:
      return "double";
    case FieldType::kBool:
      return "bool";
  }
  return "unknown";
}

int64_t Column::Find(uint32_t row) const {
  auto it = std::lower_bound(rows.begin(), rows.end(), row);
  if (it == rows.end() || *it != row) return -1;
  return it - rows.begin();
}

void Column::PopBack() {
  rows.pop_back();
  switch (type) {
    case FieldType::kString:
      strings.PopBack();
      break;
    case FieldType::kDouble:
      doubles.pop_back();
      break;
    case FieldType::kInt64:
    case FieldType::kBool:
      ints.pop_back();
      break;
  }
}

Column* RecordBatch::MutableColumn(std::string_view name, FieldType type) {
  auto [it, inserted] = by_name_.try_emplace(name);
  if (inserted) it->second.fill(-1);
  int32_t& idx = it->second[static_cast<int>(type)];
  if (idx < 0) {
    idx = static_cast<int32_t>(columns_.size());
    Column c;
    c.name = std::string(name);
    c.type = type;
    columns_.push_back(std::move(c));
  }
  return &columns_[idx];
}

const Column* RecordBatch::FindColumn(std::string_view name, FieldType type) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return nullptr;
  int32_t idx = it->second[static_cast<int>(type)];
  return idx < 0 ? nullptr : &columns_[idx];
}

// Returns the column to append the current row's value to, after removing any value the current
// row already has under the same name (any type): the last occurrence of a key wins.
Column* RecordBatch::ColumnForRow(std::string_view name, FieldType type) {
  const uint32_t row = static_cast<uint32_t>(times_.size());
  auto [it, inserted] = by_name_.try_emplace(name);
  if (inserted) {
    it->second.fill(-1);
  } else {
    for (int32_t idx : it->second) {
      if (idx >= 0 && !columns_[idx].rows.empty() && columns_[idx].rows.back() == row) {
        columns_[idx].PopBack();
      }
    }
  }
  int32_t& idx = it->second[static_cast<int>(type)];
  if (idx < 0) {
    idx = static_cast<int32_t>(columns_.size());
    Column c;
    c.name = std::string(name);
    c.type = type;
    columns_.push_back(std::move(c));
  }
  Column* c = &columns_[idx];
  c->rows.push_back(row);
  return c;
}

void RecordBatch::AddString(std::string_view name, std::string_view value) {
  ColumnForRow(name, FieldType::kString)->strings.Append(value);
}
void RecordBatch::AddInt(std::string_view name, int64_t value) {
  ColumnForRow(name, FieldType::kInt64)->ints.push_back(value);
}
void RecordBatch::AddDouble(std::string_view name, double value) {
  ColumnForRow(name, FieldType::kDouble)->doubles.push_back(value);
}
void RecordBatch::AddBool(std::string_view name, bool value) {
  ColumnForRow(name, FieldType::kBool)->ints.push_back(value ? 1 : 0);
}

void RecordBatch::EndRow(int64_t time_ns, std::string_view message) {
  times_.push_back(time_ns);
  messages_.Append(message);
  building_ = false;
}

void RecordBatch::AbortRow() {
  const uint32_t row = static_cast<uint32_t>(times_.size());
  for (Column& c : columns_) {
    while (!c.rows.empty() && c.rows.back() >= row) c.PopBack();
  }
  building_ = false;
}

void RecordBatch::AppendRowFrom(const RecordBatch& other, uint32_t row) {
  BeginRow();
  for (const Column& c : other.columns_) {
    int64_t i = c.Find(row);
    if (i < 0) continue;
    Column* dst = MutableColumn(c.name, c.type);
    dst->rows.push_back(static_cast<uint32_t>(times_.size()));
    switch (c.type) {
      case FieldType::kString:
        dst->strings.Append(c.strings.Get(i));
        break;
      case FieldType::kDouble:
        dst->doubles.push_back(c.doubles[i]);
        break;
      case FieldType::kInt64:
      case FieldType::kBool:
        dst->ints.push_back(c.ints[i]);
        break;
    }
  }
  EndRow(other.time(row), other.message(row));
}

RecordBatch RecordBatch::Select(const std::vector<uint32_t>& rows) const {
  RecordBatch out;
  const size_t n = rows.size();
  out.times_.reserve(n);
  for (uint32_t r : rows) {
    out.times_.push_back(times_[r]);
    out.messages_.Append(messages_.Get(r));
  }
  // Column by column: map old row -> new row, gather present values, keep rows ascending.
  std::vector<int64_t> new_pos(num_rows(), -1);
  for (size_t i = 0; i < n; ++i) new_pos[rows[i]] = static_cast<int64_t>(i);
  std::vector<std::pair<uint32_t, uint32_t>> hits;  // (new row, value index)
  for (const Column& c : columns_) {
    hits.clear();
    for (size_t i = 0; i < c.rows.size(); ++i) {
      int64_t p = new_pos[c.rows[i]];
      if (p >= 0) hits.emplace_back(static_cast<uint32_t>(p), static_cast<uint32_t>(i));
    }
    if (hits.empty()) continue;
    // Selections that keep row order (time-sorted input, ranges) need no sort.
    if (!std::is_sorted(hits.begin(), hits.end())) std::sort(hits.begin(), hits.end());
    Column* dst = out.MutableColumn(c.name, c.type);
    for (auto [nr, vi] : hits) {
      dst->rows.push_back(nr);
      switch (c.type) {
        case FieldType::kString:
          dst->strings.Append(c.strings.Get(vi));
          break;
        case FieldType::kDouble:
          dst->doubles.push_back(c.doubles[vi]);
          break;
        case FieldType::kInt64:
        case FieldType::kBool:
          dst->ints.push_back(c.ints[vi]);
          break;
      }
    }
  }
  return out;
}

std::vector<uint32_t> RecordBatch::TimeOrder() const {
  std::vector<uint32_t> order(num_rows());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [this](uint32_t a, uint32_t b) { return times_[a] < times_[b]; });
  return order;
}

size_t RecordBatch::ByteSize() const {
  size_t n = times_.size() * 8 + messages_.MemoryBytes();
  for (const Column& c : columns_) {
    n += c.name.size() + c.rows.size() * 4 + c.ints.size() * 8 + c.doubles.size() * 8 +
         c.strings.MemoryBytes();
  }
  return n;
}

void RecordBatch::Clear() {
  times_.clear();
  messages_.Clear();
  columns_.clear();
  by_name_.clear();
  building_ = false;
}

}  // namespace lode
