// Type-aware encodings of one column of one block (docs/formats/segment.md, "Chunk payloads").
// The encoder picks, per block, the encoding that suits the values: delta + GCD for timestamps,
// frame of reference or deltas in byte planes for integers, scaled decimals for doubles,
// dictionaries, back-references or templates for strings, hex ids packed to binary, and
// references to other columns of the block where values repeat across columns. A tag byte names
// every encoding, so readers never guess.
//
// Payloads are lists of streams (chunk_streams.h) that the segment writer compresses one by one.
// Decoders check every count and length against the streams and return false on any
// inconsistency; the caller reports DataLoss with the file and block.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/record_batch.h"
#include "storage/internal/block_refs.h"
#include "storage/internal/chunk_streams.h"
#include "storage/internal/int_codec.h"
#include "storage/internal/template_codec.h"

namespace lode::storage::internal {

// Presence of a field's values within a block.
enum class Presence : uint8_t {
  kAllRows = 0,  // every row of the block
  kRowList = 1,  // a stream of varint row deltas
  kSameAs = 2,   // varint column id: the rows of that (referenced) column
};

// The timestamps of a block.
void EncodeTimeChunk(const int64_t* t, size_t n, StreamWriter* w);
bool DecodeTimeChunk(StreamReader* r, size_t n, std::vector<int64_t>* out);

// The messages [begin, end) of `data`, one per row of the block. `refs` (may be null) offers the
// block's referenceable columns and records those used.
void EncodeMessageChunk(const StringData& data, size_t begin, size_t end, BlockRefs* refs,
                        StreamWriter* w);
// With `skeleton`, template-encoded messages come out as their skeletons (template_codec.h);
// with `expand_if` too, only those of templates it rejects do.
bool DecodeMessageChunk(StreamReader* r, size_t n, BlockRefs* refs, StringData* out,
                        bool skeleton = false, const TemplatePredicate* expand_if = nullptr);

// A field column: presence and values of entries [lo, hi) of `c`, whose rows lie in
// [row_base, row_base + block_rows).
void EncodeField(const Column& c, size_t lo, size_t hi, uint32_t row_base, uint32_t block_rows,
                 BlockRefs* refs, StreamWriter* w);
// Decodes `n` values into `c` (which must be empty and have its type set), rows relative to
// the block. With `dictionary_form`, string values may come in StringData's dictionary form.
bool DecodeField(StreamReader* r, uint32_t n, uint32_t block_rows, BlockRefs* refs, Column* c,
                 bool dictionary_form = false);

// A short name of the encoding of a chunk, from its main stream ("time-delta", "rows:list
// template", ...), for tools that report what the writer chose. "?" for what it cannot name.
std::string ChunkEncodingName(std::string_view main, bool is_field);

}  // namespace lode::storage::internal
