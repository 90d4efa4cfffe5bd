// Numeric encodings of a chunk (docs/formats/segment.md, "Numbers"): integers as a frame of
// reference or zigzag deltas cut into byte planes, timestamps as deltas divided by their GCD,
// doubles as scaled decimals when that is exact. Byte planes put the bytes of one significance
// together, so zstd codes the nearly constant high bytes and the noisy low bytes apart.
//
// Decoders return false on any inconsistency; they never read outside the streams.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "storage/internal/chunk_streams.h"

namespace lode::storage::internal {

// Encoding tags (the first byte of a payload or of a sub-encoding). Values are part of the file
// format.
enum class Encoding : uint8_t {
  kTimeDelta = 1,           // sorted timestamps: svarint first, varint gcd, planes of delta / gcd
  kTimeInts = 2,            // unsorted timestamps: an integer sequence
  kIntFor = 4,              // svarint base, u8 width, planes of (v - base)
  kIntDelta = 5,            // svarint first, u8 width, planes of zigzag(v[i] - v[i-1])
  kDoublePlain = 6,         // 8 planes of the IEEE-754 bit patterns
  kDoubleDecimal = 7,       // u8 scale, then an integer sequence of round(v * 10^scale)
  kBoolBytes = 8,           // one byte 0/1 per value
  kStringPlain = 9,         // a string list of all values
  kStringDict = 10,         // varint k, string list of k values, integer sequence of ids
  kStringTemplate = 11,     // numbers split out: template list, ids, slot table, number planes
  kStringRecent = 12,       // varint k, stream of codes (0 new, d back-reference), string list
  kStringCopy = 13,         // varint column id: the value of another string column in the row
  kIntForVarint = 14,       // svarint base, a stream of varints (v - base)
  kIntDeltaVarint = 15,     // svarint first, a stream of varints zigzag(v[i] - v[i-1])
  kIntDict = 16,            // varint k (1..256), k svarints, a stream of one id byte per value
  kStringTemplateHex = 17,  // kStringTemplate that takes hex ids out as well, into a hex stream
};

// How a sequence of unsigned numbers is laid out.
enum class IntForm : uint8_t { kPlanes = 0, kVarint = 1 };

// Estimated compressed bits of `u` in each form (order-0 entropy of the bytes zstd's entropy
// coder would see), for choosing between them without compressing twice.
uint64_t EstimatePlanesBits(const uint64_t* u, size_t n);
uint64_t EstimateVarintBits(const uint64_t* u, size_t n);

// The best layout of a number sequence given as offsets from its minimum (`ufor`) and as zigzag
// deltas (`udelta`): 0 ufor in planes, 1 udelta in planes, 2 ufor as varints, 3 udelta as
// varints. Estimates first; when the two best are close, a trial compression decides.
int PickIntForm(const std::vector<uint64_t>& ufor, const std::vector<uint64_t>& udelta);

// Bytes needed for `max` (0 for 0).
int ByteWidth(uint64_t max);

// Appends `width` streams: plane p holds byte p of every value.
void PutPlanes(const uint64_t* u, size_t n, int width, StreamWriter* w);
// Reads `width` planes of `n` values each from the next streams of `r`.
bool GetPlanes(StreamReader* r, size_t n, int width, uint64_t* u);

// An integer sequence: frame of reference or deltas, in planes or varints, or a dictionary of
// at most 256 distinct values, whichever the estimate says is smallest.
void EncodeInts(const int64_t* v, size_t n, StreamWriter* w);
bool DecodeInts(StreamReader* r, size_t n, int64_t* v);

void EncodeTimes(const int64_t* t, size_t n, StreamWriter* w);
bool DecodeTimes(StreamReader* r, size_t n, std::vector<int64_t>* out);

void EncodeDoubles(const double* v, size_t n, StreamWriter* w);
bool DecodeDoubles(StreamReader* r, size_t n, double* v);

// Significant bits of x (0 for 0).
inline int BitLength(uint64_t x) { return x == 0 ? 0 : 64 - __builtin_clzll(x); }

}  // namespace lode::storage::internal
