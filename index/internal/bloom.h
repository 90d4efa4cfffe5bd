// A split-block Bloom filter: 32-byte buckets of eight 32-bit words; a key sets one bit in each
// word of one bucket, so a probe touches one cache line. Used per segment block for the tail
// terms (docs/formats/index.md).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace lode::index::internal {

inline constexpr size_t kBloomBucketBytes = 32;
// 12 bits per key: about 0.5% false positives (a false positive costs one block read).
inline constexpr size_t kBloomBitsPerKey = 12;

inline constexpr uint32_t kBloomSalt[8] = {0x47b6137bU, 0x44974d91U, 0x8824ad5bU, 0xa2b7289dU,
                                           0x705495c7U, 0x2df1424bU, 0x9efc4947U, 0x5c6bfb31U};

inline size_t BloomBytesFor(size_t keys) {
  if (keys == 0) return 0;
  const size_t buckets = (keys * kBloomBitsPerKey + 255) / 256;
  return buckets * kBloomBucketBytes;
}

inline void BloomInsert(uint64_t hash, char* filter, size_t bytes) {
  const uint64_t buckets = bytes / kBloomBucketBytes;
  const uint64_t b = ((hash >> 32) * buckets) >> 32;
  const uint32_t x = static_cast<uint32_t>(hash);
  char* p = filter + b * kBloomBucketBytes;
  for (int i = 0; i < 8; ++i) {
    uint32_t w;
    std::memcpy(&w, p + 4 * i, 4);
    w |= 1u << ((x * kBloomSalt[i]) >> 27);
    std::memcpy(p + 4 * i, &w, 4);
  }
}

inline bool BloomMayContain(uint64_t hash, std::string_view filter) {
  const uint64_t buckets = filter.size() / kBloomBucketBytes;
  if (buckets == 0) return false;
  const uint64_t b = ((hash >> 32) * buckets) >> 32;
  const uint32_t x = static_cast<uint32_t>(hash);
  const char* p = filter.data() + b * kBloomBucketBytes;
  for (int i = 0; i < 8; ++i) {
    uint32_t w;
    std::memcpy(&w, p + 4 * i, 4);
    if ((w & (1u << ((x * kBloomSalt[i]) >> 27))) == 0) return false;
  }
  return true;
}

}  // namespace lode::index::internal
