// CRC32C (Castagnoli), the checksum of every on-disk format. Uses SSE4.2 when the CPU has it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lode {

// Extends `crc` (0 to start) over `n` bytes.
uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t n);
inline uint32_t Crc32c(std::string_view s) { return Crc32cExtend(0, s.data(), s.size()); }

}  // namespace lode
