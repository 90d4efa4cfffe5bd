// The in-memory unit of ingest and query: a batch of log records, stored column by column.
//
// A record is a timestamp (int64 ns since the Unix epoch, UTC), a message, and a flat set of typed
// fields. Fields are kept sparse per (name, type): each Column lists the rows that have a value
// and the values in row order, so a batch with thousands of distinct keys costs only what is
// present. The same name may appear with different types in different rows (two columns).
//
// Not thread-safe. A RecordBatch owns all its bytes; string_views it returns stay valid until the
// batch is modified.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"

#include "common/strings.h"

namespace lode {

enum class FieldType : uint8_t { kString = 0, kInt64 = 1, kDouble = 2, kBool = 3 };
inline constexpr int kNumFieldTypes = 4;
std::string_view FieldTypeName(FieldType t);

// Values of one string column: concatenated bytes and the end offset of each value.
//
// Optionally each value also carries a code (StartCodes / AppendCoded), set by a decoder from its
// dictionary (a string dictionary, a message template): two values with the same code other
// than kNoCode are equal, so a query can decide a predicate once per code instead of once per
// row. Values appended with Append() after StartCodes get kNoCode.
//
// In dictionary form (StartDictionary / AppendCode) a coded value is not copied at all: Get()
// returns the code's entry of the dictionary, and bytes()/ends() hold only the values without a
// code (coded ones are empty there). Only decoders for the query filter use this form.
class StringData {
 public:
  static constexpr uint32_t kNoCode = UINT32_MAX;

  size_t size() const { return ends_.size(); }
  std::string_view Get(size_t i) const {
    if (dict_ != nullptr && codes_[i] != kNoCode) return dict_->Get(codes_[i]);
    uint64_t begin = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(bytes_.data() + begin, ends_[i] - begin);
  }
  void Append(std::string_view v) {
    bytes_.append(v.data(), v.size());
    ends_.push_back(bytes_.size());
    if (coded_) codes_.push_back(kNoCode);
  }
  // Appends `count` empty values.
  void AppendEmpty(size_t count) {
    ends_.resize(ends_.size() + count, bytes_.size());
    if (coded_) codes_.resize(codes_.size() + count, kNoCode);
  }
  // Starts giving codes below `num_codes` to the values appended from now on, and returns true.
  // Only on an empty StringData: otherwise returns false, the values appended from now on get
  // no code, and codes given before are dropped (unless in dictionary form), so that codes from
  // two dictionaries never mix.
  bool StartCodes(uint32_t num_codes) {
    if (!ends_.empty()) return Refuse();
    coded_ = true;
    accepting_ = true;
    num_codes_ = num_codes;
    return true;
  }
  // Appends `v` with `code` (< num_codes(), or kNoCode) when codes were started; otherwise as
  // Append(v).
  void AppendCoded(std::string_view v, uint32_t code) {
    bytes_.append(v.data(), v.size());
    ends_.push_back(bytes_.size());
    if (coded_) codes_.push_back(accepting_ ? code : kNoCode);
  }
  // Starts the dictionary form with `dict` (its indexes are the codes) and returns true. Only on
  // an empty StringData: otherwise as a refused StartCodes.
  bool StartDictionary(std::shared_ptr<const StringData> dict) {
    if (!ends_.empty()) return Refuse();
    num_codes_ = static_cast<uint32_t>(dict->size());
    coded_ = true;
    accepting_ = true;
    dict_ = std::move(dict);
    return true;
  }
  // Appends entry `code` of the dictionary (only after StartDictionary returned true).
  void AppendCode(uint32_t code) {
    ends_.push_back(bytes_.size());
    codes_.push_back(code);
  }
  bool dictionary_form() const { return dict_ != nullptr; }
  // Dictionary form: the value of code `c`.
  std::string_view DictionaryValue(uint32_t c) const { return dict_->Get(c); }
  // Dictionary form of message skeletons read with an expand predicate (SegmentReader::
  // ReadBlock): per code, whether the predicate accepted the template. Empty otherwise.
  const std::vector<uint8_t>& DictionaryAccepted() const {
    static const std::vector<uint8_t> kNone;
    return dict_ != nullptr ? dict_->accepted_ : kNone;
  }
  // Marks the entries of this StringData, as a dictionary, with what an expand predicate said.
  void SetAccepted(std::vector<uint8_t> accepted) { accepted_ = std::move(accepted); }
  bool has_codes() const { return coded_; }
  uint32_t num_codes() const { return num_codes_; }
  uint32_t code(size_t i) const { return codes_[i]; }
  void PopBack() {
    ends_.pop_back();
    bytes_.resize(ends_.empty() ? 0 : ends_.back());
    if (coded_) codes_.pop_back();
  }
  void Clear() {
    bytes_.clear();
    ends_.clear();
    codes_.clear();
    coded_ = false;
    accepting_ = false;
    num_codes_ = 0;
    dict_.reset();
    accepted_.clear();
  }
  void Reserve(size_t n, size_t bytes) {
    ends_.reserve(n);
    bytes_.reserve(bytes);
    if (coded_) codes_.reserve(n);
  }
  size_t byte_size() const { return bytes_.size(); }
  // Memory the values take: their bytes, ends and codes, and in dictionary form the
  // dictionary's (a query's memory budget counts it).
  size_t MemoryBytes() const {
    return bytes_.size() + ends_.size() * 8 + codes_.size() * 4 +
           (dict_ != nullptr ? dict_->MemoryBytes() : 0);
  }
  const std::string& bytes() const { return bytes_; }
  const std::vector<uint64_t>& ends() const { return ends_; }

 private:
  std::string bytes_;
  std::vector<uint64_t> ends_;
  bool Refuse() {
    accepting_ = false;
    if (coded_ && dict_ == nullptr) {
      coded_ = false;
      codes_.clear();
      num_codes_ = 0;
    }
    return false;
  }

  std::vector<uint32_t> codes_;  // one per value when coded_
  uint32_t num_codes_ = 0;
  bool coded_ = false;
  bool accepting_ = false;                  // codes given to AppendCoded are kept
  std::shared_ptr<const StringData> dict_;  // dictionary form
  std::vector<uint8_t> accepted_;           // as a dictionary: see DictionaryAccepted()
};

// One field name with one type. `rows` is strictly ascending; value i belongs to rows[i].
struct Column {
  std::string name;
  FieldType type = FieldType::kString;
  std::vector<uint32_t> rows;
  std::vector<int64_t> ints;    // kInt64, and kBool as 0/1
  std::vector<double> doubles;  // kDouble
  StringData strings;           // kString

  size_t size() const { return rows.size(); }
  // Index of `row` in `rows`, or -1 when this column has no value in that row.
  int64_t Find(uint32_t row) const;
  void PopBack();
};

class RecordBatch {
 public:
  RecordBatch() = default;
  RecordBatch(RecordBatch&&) = default;
  RecordBatch& operator=(RecordBatch&&) = default;
  RecordBatch(const RecordBatch&) = delete;
  RecordBatch& operator=(const RecordBatch&) = delete;

  size_t num_rows() const { return times_.size(); }
  bool empty() const { return times_.empty(); }

  // Building a row: BeginRow(), any number of Add*() for its fields, then EndRow() with its
  // timestamp and message, or AbortRow() to drop everything added since BeginRow(). A repeated
  // field name within one row keeps the last value.
  void BeginRow() { building_ = true; }
  void AddString(std::string_view name, std::string_view value);
  void AddInt(std::string_view name, int64_t value);
  void AddDouble(std::string_view name, double value);
  void AddBool(std::string_view name, bool value);
  void EndRow(int64_t time_ns, std::string_view message);
  void AbortRow();

  // Appends row `row` of `other` (time, message and all its fields).
  void AppendRowFrom(const RecordBatch& other, uint32_t row);
  // A new batch with the rows of this one in the order given (each index < num_rows()).
  RecordBatch Select(const std::vector<uint32_t>& rows) const;
  // Row order that sorts this batch by time, ties kept in input order.
  std::vector<uint32_t> TimeOrder() const;

  int64_t time(size_t row) const { return times_[row]; }
  std::string_view message(size_t row) const { return messages_.Get(row); }
  const std::vector<int64_t>& times() const { return times_; }
  const StringData& messages() const { return messages_; }
  const std::vector<Column>& columns() const { return columns_; }
  // The column for (name, type), or nullptr.
  const Column* FindColumn(std::string_view name, FieldType type) const;

  // Direct column construction for decoders (segment reader). Columns must be filled so that
  // every column's rows are < the final num_rows() and ascending.
  Column* MutableColumn(std::string_view name, FieldType type);
  std::vector<int64_t>* mutable_times() { return &times_; }
  StringData* mutable_messages() { return &messages_; }

  // Approximate heap bytes held (for flush thresholds).
  size_t ByteSize() const;
  void Clear();

 private:
  Column* ColumnForRow(std::string_view name, FieldType type);

  std::vector<int64_t> times_;
  StringData messages_;
  std::vector<Column> columns_;
  // name -> index in columns_ per FieldType, -1 when absent.
  absl::flat_hash_map<std::string, std::array<int32_t, kNumFieldTypes>, StringHash, StringEq>
      by_name_;
  bool building_ = false;
};

}  // namespace lode
