// String encodings of a chunk (docs/formats/segment.md, "Strings"): plain lists (with hex ids
// packed to binary), dictionaries, back-references to recent distinct values, copies of another
// column, and templates (template_codec.h). EncodeStringValues picks one per chunk from the data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/record_batch.h"
#include "storage/internal/block_refs.h"
#include "storage/internal/chunk_streams.h"
#include "storage/internal/template_codec.h"

namespace lode::storage::internal {

// Forms of a string list.
enum class ListForm : uint8_t {
  kText = 0,      // a stream of varint lengths, a stream of the bytes
  kHexLower = 1,  // varint L: every value is L (even) characters of [0-9a-f]; a stream of L/2
                  // bytes per value
  kHexUpper = 2,  // the same with [0-9A-F]
};

// A list of strings: a ListForm byte (and L) in the main stream, then its streams.
void PutStringList(const std::vector<std::string_view>& values, StreamWriter* w);
// Appends `k` values to `out`.
bool GetStringList(StreamReader* r, size_t k, StringData* out);

// Encodes values [begin, end) of `data` (rows[i] is the block row of value begin + i; `refs`
// offers columns to reference and records the ones used; may be null).
void EncodeStringValues(const StringData& data, size_t begin, size_t end, const uint32_t* rows,
                        BlockRefs* refs, StreamWriter* w);
// With `skeleton`, template-encoded values come out as their skeletons (template_codec.h);
// with `expand_if` too, only the values of templates it rejects do. With `dictionary_form`,
// dictionary-encoded values come out in StringData's dictionary form (not copied per value).
bool DecodeStringValues(StreamReader* r, size_t n, const uint32_t* rows, BlockRefs* refs,
                        StringData* out, bool skeleton = false,
                        const TemplatePredicate* expand_if = nullptr, bool dictionary_form = false);

}  // namespace lode::storage::internal
