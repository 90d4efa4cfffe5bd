// Decides, per source (segment or memtable), which blocks a query must read and which columns of
// them, using the segment's inverted index (docs/formats/index.md) and the per-block time and
// numeric ranges. The plan is conservative: a block it skips holds no match, and a count it
// gives for a block is exact; everything else is read and checked by the Filter, which is the
// only judge of what matches (so index and scan can never disagree).
//
// How each filter term is planned (docs/QUERY.md, "How queries run"):
//   word, phrase, prefix   the terms of the text (index/terms.h) in one field: postings of the
//                          dictionary, or the block filters for tail terms; the fields found
//                          are the only text columns read
//   field:value            the value's dictionary key, else the value's tokens in that field;
//                          numbers by the block's min/max of the field
//   field:>N, [a TO b]     the block's min/max of the field
//   field:*                the presence key
//   ~"regex"               RE2's required literals (its prefilter) as terms, combined with
//                          RE2's AND/OR of them
//   _time                  the block's time range
//   AND / OR / NOT         intersection / union / only exact counts are negated
//
// Immutable after construction; Plan() may run on several threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "query/ast.h"
#include "storage/block_source.h"

namespace lode::query {

struct BlockPlan {
  enum State : uint8_t {
    kSkip = 0,     // no record of the block matches
    kRead = 1,     // read the block and run the filter
    kCounted = 2,  // `rows[b]` records match; they are not known one by one
  };
  std::vector<uint8_t> state;  // per block
  std::vector<uint32_t> rows;  // per block, for kCounted
  // Column ids the filter needs (sorted; the time is always decoded). `all_columns`: every
  // column (a source without an index, or a term that can be anywhere).
  std::vector<uint32_t> columns;
  bool all_columns = false;
  // The filter reads the message only through words, phrases and prefixes without digits, so
  // it may run on message skeletons (storage/internal/template_codec.h) instead of messages.
  bool message_skeleton = false;
  // With message_skeleton: when set, the messages of templates it accepts must be decoded in
  // full (the filter has message regexes); the others may stay skeletons.
  std::shared_ptr<const storage::MessageExpandPredicate> message_expand;
  // Why the index could not be used, when it could not (for warnings and --explain).
  std::string index_note;
};

class Planner {
 public:
  // `root` must outlive the planner.
  explicit Planner(const Node& root);
  ~Planner();
  Planner(Planner&&) noexcept;

  // The plan of `source` for records in [from, to).
  BlockPlan Plan(const storage::BlockSource& source, int64_t from, int64_t to) const;

  // What each term of the filter looks up, one line each, for `--explain`.
  std::string Describe() const;

  struct Compiled;  // the lowered filter tree (planner.cc)

 private:
  std::unique_ptr<Compiled> c_;
};

}  // namespace lode::query
