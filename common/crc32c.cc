#include "common/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#include <nmmintrin.h>
#endif

namespace lode {
namespace {

constexpr uint32_t kPoly = 0x82f63b78;  // reflected Castagnoli polynomial

constexpr std::array<uint32_t, 256> MakeTable() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr std::array<uint32_t, 256> kTable = MakeTable();

[[maybe_unused]] uint32_t Software(uint32_t crc, const unsigned char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) crc = kTable[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return crc;
}

// Moving a CRC register past n zero bytes is a linear map on its 32 bits. Three streams of
// `bytes` each are summed up as C ^ Shift(B ^ Shift(A)), where Shift(r) is the register r after
// `bytes` zero bytes (CRC(r, X) = CRC(0, X) ^ Shift(r)). Shift is applied with one table per
// register byte, made at compile time from the one-zero-byte map raised to the power `bytes`.
using Map = std::array<uint32_t, 32>;  // the image of each register bit

constexpr uint32_t Apply(const Map& m, uint32_t r) {
  uint32_t out = 0;
  for (int i = 0; i < 32; ++i) {
    if ((r >> i) & 1) out ^= m[i];
  }
  return out;
}

constexpr Map Compose(const Map& a, const Map& b) {  // a after b
  Map c{};
  for (int i = 0; i < 32; ++i) c[i] = Apply(a, b[i]);
  return c;
}

using ShiftTables = std::array<std::array<uint32_t, 256>, 4>;

constexpr ShiftTables MakeShift(size_t bytes) {
  Map zero_byte{};
  for (int i = 0; i < 32; ++i) {
    uint32_t r = uint32_t{1} << i;
    for (int k = 0; k < 8; ++k) r = (r & 1) ? (r >> 1) ^ kPoly : r >> 1;
    zero_byte[i] = r;
  }
  Map power{};
  for (int i = 0; i < 32; ++i) power[i] = uint32_t{1} << i;
  for (size_t e = bytes; e > 0; e >>= 1) {
    if (e & 1) power = Compose(zero_byte, power);
    zero_byte = Compose(zero_byte, zero_byte);
  }
  ShiftTables t{};
  for (int k = 0; k < 4; ++k) {
    for (uint32_t v = 0; v < 256; ++v) t[k][v] = Apply(power, v << (8 * k));
  }
  return t;
}

inline uint32_t Shift(const ShiftTables& t, uint32_t r) {
  return t[0][r & 0xff] ^ t[1][(r >> 8) & 0xff] ^ t[2][(r >> 16) & 0xff] ^ t[3][r >> 24];
}

// Stream lengths: long inputs go three streams of kLongStripe at a time, then kShortStripe.
constexpr size_t kLongStripe = 4096;
constexpr size_t kShortStripe = 256;
constexpr ShiftTables kLongShift = MakeShift(kLongStripe);
constexpr ShiftTables kShortShift = MakeShift(kShortStripe);

#if defined(__x86_64__)
inline uint64_t Load64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// Three independent streams hide the instruction's latency (one result per cycle instead of one
// per three).
template <size_t kStripe>
__attribute__((target("sse4.2"))) uint32_t ThreeStreams(uint32_t crc, const unsigned char** p,
                                                        size_t* n, const ShiftTables& shift) {
  while (*n >= 3 * kStripe) {
    const unsigned char* q = *p;
    uint64_t a = crc, b = 0, c = 0;
    for (size_t i = 0; i < kStripe; i += 8) {
      a = _mm_crc32_u64(a, Load64(q + i));
      b = _mm_crc32_u64(b, Load64(q + kStripe + i));
      c = _mm_crc32_u64(c, Load64(q + 2 * kStripe + i));
    }
    crc = static_cast<uint32_t>(c) ^
          Shift(shift, static_cast<uint32_t>(b) ^ Shift(shift, static_cast<uint32_t>(a)));
    *p += 3 * kStripe;
    *n -= 3 * kStripe;
  }
  return crc;
}

__attribute__((target("sse4.2"))) uint32_t Hardware(uint32_t crc, const unsigned char* p,
                                                    size_t n) {
  crc = ThreeStreams<kLongStripe>(crc, &p, &n, kLongShift);
  crc = ThreeStreams<kShortStripe>(crc, &p, &n, kShortShift);
  uint64_t c = crc;
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    c = _mm_crc32_u64(c, v);
    p += 8;
    n -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  while (n > 0) {
    c32 = _mm_crc32_u8(c32, *p++);
    --n;
  }
  return c32;
}

[[maybe_unused]] bool HasSse42() {
  unsigned int a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
  return (c & bit_SSE4_2) != 0;
}
#endif

}  // namespace

uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
#if defined(__x86_64__) && defined(__SSE4_2__)
  crc = Hardware(crc, p, n);  // the build's target has it: no need to ask the CPU
#elif defined(__x86_64__)
  static const bool kHw = HasSse42();
  crc = kHw ? Hardware(crc, p, n) : Software(crc, p, n);
#else
  crc = Software(crc, p, n);
#endif
  return ~crc;
}

}  // namespace lode
