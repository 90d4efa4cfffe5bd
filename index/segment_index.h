// The inverted index of one segment (docs/formats/index.md): a sorted, prefix-compressed term
// dictionary whose postings are lists of (block, rows in the block with the term), plus one
// Bloom filter per block over the segment's tail tokens (tokens found in a single block, such
// as trace ids, which would otherwise fill the dictionary with one-block postings).
//
// Reading works in place on the bytes (a memory-mapped file): Open() checks the header and the
// meta section (the field table, and the checksum and a copy of the first key of every group of
// kGroupChunks chunks); a lookup picks a group by those keys, checks that group's slice of the
// chunk tables (once), binary-searches the first keys of its chunks and decodes one
// zstd-compressed chunk of up to kChunkKeys keys, verifying its checksum. Nothing else is
// loaded.
//
// Immutable after Open(); thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"

namespace lode::index {

inline constexpr char kIndexMagic[4] = {'L', 'I', 'D', 'X'};
// Version 2 checks the chunk tables a group of chunks at a time, when a lookup first uses the
// group, instead of all of them at open; version 1 is still read.
inline constexpr uint32_t kIndexFormatVersion = 2;
// A dictionary chunk holds up to this many keys, or a little over kChunkBytes of them.
inline constexpr size_t kChunkKeys = 128;
inline constexpr size_t kChunkBytes = 4096;
// Chunks per group (version 2): a lookup checks the tables of one group, ~3 KiB.
inline constexpr uint32_t kGroupChunks = 64;
// At the end of the index: magic(4) version(4) num_keys(8) num_chunks(4) num_blocks(4)
// dict_len(8) first_keys_len(8) meta_len(4) bloom_len(8) bloom_crc(4) crc(4). Version 2: crc
// covers the header before it, the meta section (field and group tables) and the filter
// offsets; version 1: the header, everything between the dictionary chunks and the filters
// (its meta section is the field table alone), and the filter offsets.
inline constexpr size_t kIndexHeaderSize = 60;

// How an index section is written; tests write old versions and small groups.
struct IndexWriteOptions {
  uint32_t version = kIndexFormatVersion;  // 1 or 2
  uint32_t group_chunks = kGroupChunks;    // version 2, >= 1
};

struct PostingEntry {
  uint32_t block = 0;
  uint32_t rows = 0;  // rows of the block with the term (0 for 'x' keys: unknown)
};

// Decodes a posting. False when the bytes are malformed or name a block >= num_blocks.
bool DecodePosting(std::string_view bytes, uint32_t num_blocks, std::vector<PostingEntry>* out);
void EncodePosting(const std::vector<PostingEntry>& entries, std::string* out);
// Sorts entries by block and keeps the first of each block, as a posting must be.
void SortUniqueBlocks(std::vector<PostingEntry>* entries);

class SegmentIndex {
 public:
  // `data` must stay valid as long as the index. DataLoss when the header or tables are bad.
  static absl::StatusOr<std::unique_ptr<SegmentIndex>> Open(std::string_view data,
                                                            uint32_t num_blocks);

  uint64_t num_keys() const { return num_keys_; }
  uint32_t num_blocks() const { return num_blocks_; }
  size_t size_bytes() const { return data_.size(); }
  size_t dictionary_bytes() const { return data_.size() - bloom_.size(); }
  size_t filter_bytes() const { return bloom_.size(); }

  // The text fields (string fields and the message, number 0) whose tokens are indexed; every
  // string field of the segment is one of them.
  const std::vector<std::string>& text_fields() const { return text_fields_; }
  // The number of a text field, or -1 when the segment has no such string field.
  int FieldNumber(std::string_view name) const;

  // The posting of `key`, or nullopt when the dictionary does not hold it.
  absl::StatusOr<std::optional<std::vector<PostingEntry>>> Find(std::string_view key) const;

  // Calls fn(key, posting) for every key that starts with `prefix`, in key order, until fn
  // returns false.
  absl::Status ScanPrefix(
      std::string_view prefix,
      absl::FunctionRef<bool(std::string_view key, const std::vector<PostingEntry>&)> fn) const;

  // True when block `block`'s tail filter may hold a token with hash `hash` (Hash64 of the
  // folded token), in any text field. The filters' checksum is verified on first use.
  absl::StatusOr<bool> TailMayContain(uint32_t block, uint64_t hash) const;
  // The bytes of block `block`'s filter (for merging), after the checksum check.
  absl::StatusOr<std::string_view> BlockFilter(uint32_t block) const;

 private:
  SegmentIndex() = default;
  absl::Status ParseMeta(std::string_view meta, uint32_t version);
  std::string_view FirstKey(size_t chunk) const;
  std::string_view GroupKey(size_t group) const;
  // The last chunk whose first key is <= key (0 when none), after checking its group.
  absl::StatusOr<size_t> ChunkFor(std::string_view key) const;
  // True when the tables of chunk group `g` are sound (checked once, on first use).
  bool GroupOk(size_t g) const;
  bool CheckGroup(size_t g) const;
  // The structure of chunks [first, first + count) of the tables (not their checksum).
  bool TablesSound(size_t first, size_t count) const;
  // Decompresses chunk `c` and calls fn(key, posting bytes) until it returns false (then
  // *stopped is set). False when the chunk or its group's tables are corrupt.
  bool DecodeChunk(size_t c,
                   absl::FunctionRef<bool(std::string_view key, std::string_view posting)> fn,
                   bool* stopped) const;
  absl::Status Corrupt(std::string_view what) const;
  static uint32_t At(std::string_view table, size_t i);
  absl::Status CheckFilters() const;

  std::string_view data_;
  std::string_view dict_;
  std::string_view chunk_offsets_;  // fixed32 x (num_chunks + 1), into dict_
  std::string_view chunk_raw_;      // fixed32 x num_chunks: decompressed sizes
  std::string_view chunk_crcs_;     // fixed32 x num_chunks: CRC32C of the stored bytes
  std::string_view key_offsets_;    // fixed32 x (num_chunks + 1), into first_keys_
  std::string_view first_keys_;
  std::string_view bloom_;
  std::string_view bloom_offsets_;  // fixed32 x (num_blocks + 1)
  // Version 2: each group of group_chunks_ chunks has a CRC over its slices of the five tables
  // above and a copy of its first key, so that a lookup picks and checks one group.
  std::string_view group_crcs_;         // fixed32 x num_groups
  std::string_view group_key_offsets_;  // fixed32 x (num_groups + 1), into group_keys_
  std::string_view group_keys_;
  std::vector<std::string> text_fields_;
  uint32_t bloom_crc_ = 0;
  uint64_t num_keys_ = 0;
  uint32_t num_chunks_ = 0;
  uint32_t num_blocks_ = 0;
  uint32_t group_chunks_ = 0;  // 0 in version 1: every table was checked at open
  uint32_t num_groups_ = 0;
  mutable std::unique_ptr<std::atomic<uint8_t>[]> group_state_;  // 0 unchecked, 1 good, 2 bad
  mutable std::atomic<int> bloom_state_{0};                      // 0 unchecked, 1 good, 2 corrupt
};

}  // namespace lode::index
