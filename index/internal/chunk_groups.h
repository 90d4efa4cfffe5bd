// The checksum of one group of dictionary chunks (index format 2, docs/formats/index.md): what
// the writer stores and what a lookup checks before it trusts the group's tables.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace lode::index::internal {

// The tables of an index section, as laid out between the dictionary chunks and the meta
// section.
struct ChunkTables {
  std::string_view chunk_offsets;  // fixed32 x (num_chunks + 1)
  std::string_view chunk_raw;      // fixed32 x num_chunks
  std::string_view chunk_crcs;     // fixed32 x num_chunks
  std::string_view key_offsets;    // fixed32 x (num_chunks + 1)
  std::string_view first_keys;
};

// CRC32C over chunks [first, first + count) of the tables: their entries of chunk_offsets and
// key_offsets (count + 1 each, so the group's end is covered), of chunk_raw and chunk_crcs, and
// the first keys' bytes. nullopt when the tables are too short or the key offsets of the group's
// ends are out of order or past first_keys (the bytes to cover are then unknown).
std::optional<uint32_t> ChunkGroupCrc(const ChunkTables& t, size_t first, size_t count);

}  // namespace lode::index::internal
