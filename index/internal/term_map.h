// An open-addressing hash map from term bytes to a small value, for the index builder's hot
// loops. The caller passes each key's 64-bit hash (so a term hashed once is not hashed again),
// Clear() takes constant time and keeps the capacity (a table reused for every block of a
// segment does not grow again each time), and entries stay in insertion order, so iterating
// them is deterministic and touches contiguous memory.
//
// Keys are views: the caller keeps their bytes alive while they are in the map (and may point
// an inserted entry's key at a longer-lived copy of the same bytes). Not thread-safe.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "index/internal/term_hash.h"

namespace lode::index::internal {

template <typename V>
class TermMap {
 public:
  struct Entry {
    std::string_view key;
    uint64_t hash;
    V value;
  };

  // The entry of `key` (whose hash is `hash`), and true when it was inserted now (with a
  // value-initialized value). The pointer is valid until the next Insert or Clear.
  std::pair<Entry*, bool> Insert(std::string_view key, uint64_t hash) {
    if ((entries_.size() + 1) * 2 > slots_.size()) Grow();
    const uint32_t mark = Mark(hash);
    for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if ((s.mark & 0xff) != epoch_) {
        s = {static_cast<uint32_t>(entries_.size()), mark};
        entries_.push_back({key, hash, V{}});
        return {&entries_.back(), true};
      }
      if (s.mark == mark) {
        Entry& e = entries_[s.index];
        if (e.hash == hash && SameBytes(e.key, key)) return {&e, false};
      }
    }
  }

  // Starts loading the memory an Insert of `hash` looks at first (an Insert soon after is
  // faster; nothing else changes).
  void Prefetch(uint64_t hash) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[hash & mask_]);
  }

  // Removes every entry; keeps the memory.
  void Clear() {
    entries_.clear();
    if (++epoch_ == 256) {
      for (Slot& s : slots_) s.mark = 0;
      epoch_ = 1;
    }
  }

  size_t size() const { return entries_.size(); }
  // In insertion order.
  std::vector<Entry>& entries() { return entries_; }
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  // A slot is used when the low byte of its mark is the map's epoch (Clear() only moves the
  // epoch on); the other 24 bits are the top bits of the hash, so that most probes of other
  // keys never look at their entries.
  struct Slot {
    uint32_t index;  // into entries_
    uint32_t mark;
  };
  uint32_t Mark(uint64_t hash) const { return static_cast<uint32_t>(hash >> 40) << 8 | epoch_; }

  void Grow() {
    const size_t n = slots_.empty() ? 64 : 2 * slots_.size();
    slots_.assign(n, Slot{0, 0});
    mask_ = n - 1;
    epoch_ = 1;
    for (size_t k = 0; k < entries_.size(); ++k) {
      size_t i = entries_[k].hash & mask_;
      while ((slots_[i].mark & 0xff) == epoch_) i = (i + 1) & mask_;
      slots_[i] = {static_cast<uint32_t>(k), Mark(entries_[k].hash)};
    }
  }

  std::vector<Slot> slots_;
  std::vector<Entry> entries_;
  uint64_t mask_ = 0;
  uint32_t epoch_ = 1;
};

}  // namespace lode::index::internal
