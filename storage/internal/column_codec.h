// Type-aware encodings of one column of one block (docs/formats/segment.md, "Chunk payloads").
// The encoder picks, per block, the encoding that suits the values (delta + GCD for timestamps,
// frame-of-reference or delta for integers, scaled decimals for doubles, dictionaries for
// repetitive strings); the first byte of every payload names the encoding, so readers never
// guess. Payloads are zstd-compressed by the segment writer afterwards.
//
// Decoders check every length against the payload and return false on any inconsistency; the
// caller reports DataLoss with the file and block.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/record_batch.h"

namespace lode::storage::internal {

enum class Encoding : uint8_t {
  kTimeDelta = 1,        // svarint first, varint gcd, varint (delta / gcd) ...; sorted input
  kTimeZigzag = 2,       // svarint first, svarint deltas (unsorted input)
  kIntPlain = 3,         // svarint values
  kIntFor = 4,           // svarint min, varint (v - min) ...
  kIntDelta = 5,         // svarint first, svarint deltas
  kDoublePlain = 6,      // u64 bit patterns
  kDoubleDecimal = 7,    // u8 scale, then an int encoding of round(v * 10^scale)
  kBoolBytes = 8,        // one byte 0/1 per value
  kStringPlain = 9,      // varint lengths, bytes
  kStringDict = 10,      // varint dict size, dict as kStringPlain, varint ids
  kStringTemplate = 11,  // numbers split out: templates (dictionary) + ids + number stream
};

// Presence of a field's values within a block: all rows, or a delta-coded row list.
enum class Presence : uint8_t { kAllRows = 0, kRowList = 1 };

void EncodeTimes(const int64_t* times, size_t n, std::string* out);
bool DecodeTimes(std::string_view in, size_t n, std::vector<int64_t>* out);

// Strings: the values i in [begin, end) of `data`.
void EncodeStrings(const StringData& data, size_t begin, size_t end, std::string* out);
bool DecodeStrings(std::string_view in, size_t n, StringData* out);

// A field column: presence + values of entries [lo, hi) of `c`, whose rows lie in
// [row_base, row_base + block_rows).
void EncodeField(const Column& c, size_t lo, size_t hi, uint32_t row_base, uint32_t block_rows,
                 std::string* out);
// Decodes `n` values into `c` (which must be empty), rows relative to the block.
bool DecodeField(std::string_view in, uint32_t n, uint32_t block_rows, Column* c);

}  // namespace lode::storage::internal
