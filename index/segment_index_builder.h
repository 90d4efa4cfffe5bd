// Builds the index of one segment (docs/formats/index.md) from the rows the segment writer
// encodes, block by block. Tokens of the message and of every string field, values of short
// string fields and field presence become dictionary keys with per-block postings; tokens that
// occur in a single row of the segment go to that block's Bloom filter instead.
//
// Not thread-safe. Holds views into the batch: the batch must outlive the builder.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"

#include "common/record_batch.h"
#include "common/strings.h"
#include "index/hash.h"
#include "index/segment_index.h"

namespace lode::index {

class SegmentIndexBuilder {
 public:
  explicit SegmentIndexBuilder(const RecordBatch& batch);

  // Indexes rows [lo, hi) of the batch as the next block.
  void AddBlock(uint32_t lo, uint32_t hi);

  // Appends the index section to `out`. False (nothing appended) when the segment cannot be
  // indexed: more than 65536 string fields.
  bool Finish(std::string* out);

 private:
  // Every distinct term seen so far, with a linked list of its (field, block, rows) postings.
  struct Post {
    uint32_t field;
    uint32_t block;
    uint32_t rows;
    uint32_t next;
  };
  // Hash64 is several times faster than std::hash on short strings; this is the hot loop.
  struct TermHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return Hash64(s); }
  };
  struct TermEq {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const { return a == b; }
  };
  // Owns the bytes of the terms the tables hold (string_view keys point into it).
  class Arena {
   public:
    std::string_view Copy(std::string_view s);

   private:
    std::vector<std::unique_ptr<char[]>> chunks_;
    size_t left_ = 0;
    char* next_ = nullptr;
  };
  struct TermTable {
    Arena arena;
    absl::flat_hash_map<std::string_view, uint32_t, TermHash, TermEq> ids;
    std::vector<uint32_t> total;  // (field, row) pairs with the term
    std::vector<uint32_t> head, tail;
    std::vector<Post> posts;
    void Add(std::string_view term, uint32_t field, uint32_t block, uint32_t rows);
  };
  struct Local {
    uint32_t last_row;
    uint32_t rows;
  };

  // Tokenizes `n` values (value k of row rows[k]) whose folded bytes are `folded` with value
  // ends `ends` (relative to `base`), into the block-local map, then the term table.
  void IndexText(uint32_t field, std::string_view folded, const uint64_t* ends, uint64_t base,
                 const uint32_t* rows, uint32_t first_row, size_t n);

  // Numbers and ids (IsTailCandidate) wait here instead of in tokens_: most occur in one block
  // only and end in that block's filter, so they never need a string-keyed table. `seen_`
  // tells, by hash, whether one occurred in several blocks (then it goes to tokens_ at the
  // end; a hash collision only sends a term to the dictionary, which is always correct).
  struct IdTerm {
    std::string_view term;  // in ids_arena_
    uint64_t hash;
    uint32_t field;
    uint32_t block;
    uint32_t rows;
  };
  static constexpr uint32_t kSeveralBlocks = UINT32_MAX;
  Arena ids_arena_;
  std::vector<IdTerm> id_terms_;
  absl::flat_hash_map<uint64_t, uint32_t> seen_;  // hash -> the one block, or kSeveralBlocks

  const RecordBatch& batch_;
  std::vector<std::string> field_names_;  // by field number: 0 is the message
  std::vector<uint32_t> column_field_;    // batch column -> field number
  uint32_t num_blocks_ = 0;
  TermTable tokens_;
  TermTable values_;  // key: ValueKey(field, value)
  absl::flat_hash_map<std::string, std::vector<PostingEntry>, StringHash, StringEq> presence_;
  absl::flat_hash_map<std::string_view, Local, TermHash, TermEq> local_;
  std::string folded_;
};

}  // namespace lode::index
