// A set of row numbers of one RecordBatch, as a bitmap: the selection vector the filter narrows
// column by column (set operations are a few hundred word operations per 8192-row block).
//
// Not thread-safe. A value type.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace lode::query {

class Selection {
 public:
  Selection() = default;
  // `n` rows, all selected or none.
  Selection(size_t n, bool all) { Reset(n, all); }

  void Reset(size_t n, bool all) {
    n_ = n;
    words_.assign((n + 63) / 64, all ? ~uint64_t{0} : 0);
    if (all && n % 64 != 0) words_.back() = (uint64_t{1} << (n % 64)) - 1;
  }
  // Makes this the same size as `other` with no row selected.
  void ClearLike(const Selection& other) { Reset(other.n_, false); }

  size_t size() const { return n_; }
  bool operator==(const Selection&) const = default;
  bool Test(size_t i) const { return (words_[i >> 6] >> (i & 63)) & 1; }
  void Set(size_t i) { words_[i >> 6] |= uint64_t{1} << (i & 63); }
  void Unset(size_t i) { words_[i >> 6] &= ~(uint64_t{1} << (i & 63)); }

  size_t Count() const {
    size_t c = 0;
    for (uint64_t w : words_) c += static_cast<size_t>(std::popcount(w));
    return c;
  }
  bool None() const {
    for (uint64_t w : words_) {
      if (w != 0) return false;
    }
    return true;
  }

  // Rows 64w .. 64w+63 as bits (bit j = row 64w + j), for word-at-a-time evaluation.
  size_t num_words() const { return words_.size(); }
  uint64_t word(size_t w) const { return words_[w]; }
  void OrWord(size_t w, uint64_t bits) { words_[w] |= bits; }

  // Set operations with a selection of the same size.
  void And(const Selection& o) {
    for (size_t i = 0; i < words_.size(); ++i) words_[i] &= o.words_[i];
  }
  void Or(const Selection& o) {
    for (size_t i = 0; i < words_.size(); ++i) words_[i] |= o.words_[i];
  }
  void AndNot(const Selection& o) {
    for (size_t i = 0; i < words_.size(); ++i) words_[i] &= ~o.words_[i];
  }

  // Calls f(row) for every selected row, ascending.
  template <typename F>
  void ForEach(F&& f) const {
    for (size_t w = 0; w < words_.size(); ++w) {
      uint64_t bits = words_[w];
      while (bits != 0) {
        f(w * 64 + static_cast<size_t>(std::countr_zero(bits)));
        bits &= bits - 1;
      }
    }
  }
  // Calls f(row) for every selected row, descending.
  template <typename F>
  void ForEachReverse(F&& f) const {
    for (size_t w = words_.size(); w-- > 0;) {
      uint64_t bits = words_[w];
      while (bits != 0) {
        const int top = 63 - std::countl_zero(bits);
        f(w * 64 + static_cast<size_t>(top));
        bits &= ~(uint64_t{1} << top);
      }
    }
  }

 private:
  size_t n_ = 0;
  std::vector<uint64_t> words_;
};

}  // namespace lode::query
