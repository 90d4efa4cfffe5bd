// References between the columns of one block (docs/formats/segment.md, "References"): a chunk
// may take its presence, its string values, or single numbers of its string values from another
// column of the same block instead of storing them again (a pod name that is the host name, a
// latency printed inside the message). Only columns whose own chunk uses no references can be
// referenced, so one pass over the unreferencing chunks resolves everything.
//
// BlockRefs is built per block by the writer (from the batch) and by the reader (from decoded
// columns); it borrows the values, which must outlive it. Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "common/record_batch.h"

namespace lode::storage::internal {

// How a template number is derived from a referenced column's value in the same row.
enum class NumberSource : uint8_t {
  kInt = 0,        // an int64 value (>= 0)
  kDoubleInt = 1,  // the integer part of a double value (0 <= v < 1e18)
  kStringNum = 2,  // the k-th number that the template tokenizer finds in a string value
};

// The values of one column within one block, borrowed.
struct ColumnView {
  uint32_t column_id = 0;
  FieldType type = FieldType::kString;
  const uint32_t* rows = nullptr;  // ascending
  uint32_t row_base = 0;           // rows[i] - row_base is the row within the block
  size_t n = 0;
  const int64_t* ints = nullptr;
  const double* doubles = nullptr;
  const StringData* strings = nullptr;
  size_t string_offset = 0;  // value i is strings->Get(string_offset + i)

  uint32_t Row(size_t i) const { return rows[i] - row_base; }
  std::string_view String(size_t i) const { return strings->Get(string_offset + i); }
  // The view of `c`'s entries [lo, hi), whose rows start at `row_base`.
  static ColumnView Of(uint32_t column_id, const Column& c, size_t lo, size_t hi,
                       uint32_t row_base);
};

// A referenceable column with lazily built lookups.
class RefSource {
 public:
  RefSource(const ColumnView& v, uint32_t block_rows);
  const ColumnView& view() const { return view_; }
  // Index of the value in block row `row`, or -1.
  int64_t IndexOfRow(uint32_t row);
  // Number `k` of `source` in block row `row`; false when the row has no such number.
  bool Number(uint32_t row, NumberSource source, uint32_t k, uint64_t* out);
  // True when the rows of this column equal `rows` (block-relative, ascending, `n` of them).
  bool SameRows(const uint32_t* rows, size_t n) const;

 private:
  ColumnView view_;
  uint32_t block_rows_;
  std::vector<int32_t> index_of_row_;  // built on first use
  // Numbers of string values, tokenized on first use per value: nums_[begin_[i]...].
  std::vector<int32_t> num_begin_;
  std::vector<uint8_t> num_count_;
  std::vector<uint64_t> nums_;
};

class BlockRefs {
 public:
  explicit BlockRefs(uint32_t block_rows) : block_rows_(block_rows) {}
  uint32_t block_rows() const { return block_rows_; }
  // Makes `v` referenceable. Its values must outlive this object.
  void Add(const ColumnView& v);
  // The source of `column_id`: one added, or else one the loader (if any) adds on demand.
  RefSource* Find(uint32_t column_id);
  // Decoder side: Find() calls `loader(column_id)` for a column not added yet, so that a column
  // only some values reference (the numbers of expanded message templates) is decoded only when
  // one of them is. The loader adds the column and returns true, or returns false.
  void SetLoader(std::function<bool(uint32_t column_id)> loader) { loader_ = std::move(loader); }
  const std::vector<std::unique_ptr<RefSource>>& sources() const { return sources_; }

  // Encoder side: column ids referenced by the chunk being encoded (sorted, unique).
  void Use(uint32_t column_id);
  std::vector<uint32_t>* used() { return &used_; }
  // Decoder side: only these column ids may be referenced by the chunk being decoded.
  void Allow(const std::vector<uint32_t>* allowed) { allowed_ = allowed; }
  bool Allowed(uint32_t column_id) const;

 private:
  uint32_t block_rows_;
  std::vector<std::unique_ptr<RefSource>> sources_;
  std::vector<uint32_t> used_;
  const std::vector<uint32_t>* allowed_ = nullptr;
  std::function<bool(uint32_t)> loader_;
};

}  // namespace lode::storage::internal
