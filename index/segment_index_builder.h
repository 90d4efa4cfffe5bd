// Builds the index of one segment (docs/formats/index.md) from the rows the segment writer
// encodes, block by block. Tokens of the message and of every string field, values of short
// string fields and field presence become dictionary keys with per-block postings; numbers and
// ids that occur in a single block of the segment go to that block's Bloom filter instead.
//
// The output depends only on the rows and the block boundaries (the same input always gives
// the same bytes).
//
// Not thread-safe. Holds views into the batch: the batch must outlive the builder.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"

#include "common/record_batch.h"
#include "common/strings.h"
#include "index/internal/term_map.h"
#include "index/segment_index.h"

namespace lode::index {

class SegmentIndexBuilder {
 public:
  explicit SegmentIndexBuilder(const RecordBatch& batch);

  // Indexes rows [lo, hi) of the batch as the next block.
  void AddBlock(uint32_t lo, uint32_t hi);

  // Appends the index section to `out`. False (nothing appended) when the segment cannot be
  // indexed: more than 65536 string fields.
  bool Finish(std::string* out, const IndexWriteOptions& options = {});

 private:
  // Owns the bytes of the terms the tables hold (string_view keys point into it).
  class Arena {
   public:
    std::string_view Copy(std::string_view s) {
      if (s.size() > left_) NewChunk(s.size());
      std::memcpy(next_, s.data(), s.size());
      std::string_view out(next_, s.size());
      next_ += s.size();
      left_ -= s.size();
      return out;
    }

   private:
    void NewChunk(size_t at_least);

    std::vector<std::unique_ptr<char[]>> chunks_;
    size_t left_ = 0;
    char* next_ = nullptr;
  };
  // A term of the block and field being indexed: the rows it is in so far, and the last unit
  // (a row, or a distinct value of a field) counted, so a term repeated in a unit counts once.
  struct Local {
    uint32_t last_unit;
    uint32_t rows;
  };
  // One (field, block, rows) posting of a word; the postings of a word form a linked list in
  // block order through `next` (indexes into posts_).
  struct Post {
    uint32_t field;
    uint32_t block;
    uint32_t rows;
    uint32_t next;
  };
  struct PostList {
    uint32_t head;
    uint32_t tail;
  };
  // A number or id (IsTailCandidate) found in one field of one block. Most occur in one block
  // only and end in that block's filter, so they are only collected here and grouped by hash
  // in Finish() instead of going through a segment-wide table keyed by strings.
  struct IdTerm {
    std::string_view term;  // in ids_arena_
    uint64_t hash;          // Hash64(term)
    uint32_t field;
    uint32_t block;
    uint32_t rows;
    uint32_t prefix;  // PrefixCode(term): its `x` key, so that Finish() need not read the term
  };
  // A distinct short value of a string field in one block (a `v` key if it is in several).
  struct ValueTerm {
    std::string_view value;  // in the batch
    uint64_t hash;           // of the value and the field
    uint32_t field;
    uint32_t block;
    uint32_t rows;
  };

  // Counts the terms of the folded `text` (all in one unit of `rows` rows) into local_. The
  // terms wait in pending_ a little, so that their slots in local_ are loaded meanwhile.
  void CountTerms(std::string_view text, uint32_t unit, uint32_t rows);
  void DrainPending();
  // Moves the terms in local_ (field `field` of the current block) to words_ or id_buckets_.
  void FlushLocal(uint32_t field);

  // Finish() parts: each appends dictionary entries (key, encoded posting), and the ids add to
  // the blocks' filter keys (`tail_hashes`) and `x` keys (`prefixes`, as IdTerm::prefix).
  void FinishWords(std::vector<std::pair<std::string, std::string>>* entries);
  void FinishIds(std::vector<std::pair<std::string, std::string>>* entries,
                 std::vector<std::vector<uint64_t>>* tail_hashes,
                 std::vector<std::vector<uint32_t>>* prefixes);
  void FinishValues(std::vector<std::pair<std::string, std::string>>* entries);

  const RecordBatch& batch_;
  std::vector<std::string> field_names_;  // by field number: 0 is the message
  std::vector<uint32_t> column_field_;    // batch column -> field number
  uint32_t num_blocks_ = 0;

  struct PendingTerm {
    std::string_view term;
    uint64_t hash;
    uint32_t unit;
    uint32_t rows;
  };
  static constexpr size_t kPendingTerms = 32;

  // Per block and field.
  internal::TermMap<Local> local_;
  std::vector<PendingTerm> pending_;
  internal::TermMap<uint32_t> block_values_;  // distinct value -> rows
  std::string folded_;

  // Per segment.
  Arena words_arena_;
  internal::TermMap<PostList> words_;  // terms that are not IsTailCandidate
  std::vector<Post> posts_;
  // Ids and values wait in buckets by the top bits of their hash, so that Finish() can find
  // the equal hashes one bucket at a time, in the cache.
  static constexpr int kHashBucketBits = 8;
  static constexpr size_t kHashBuckets = size_t{1} << kHashBucketBits;
  static size_t BucketOf(uint64_t hash) { return hash >> (64 - kHashBucketBits); }
  Arena ids_arena_;
  std::vector<std::vector<IdTerm>> id_buckets_;
  std::vector<std::vector<ValueTerm>> value_buckets_;
  absl::flat_hash_map<std::string, std::vector<PostingEntry>, StringHash, StringEq> presence_;
};

}  // namespace lode::index
