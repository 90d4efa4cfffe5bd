// The manifest (docs/formats/manifest.md): the catalog of live segments, and the oldest WAL
// generation that still holds records not yet in a segment. It is replaced atomically (temp
// file, fsync, rename, directory fsync), so a reader sees either the old or the new one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/env.h"

namespace lode::storage {

inline constexpr char kManifestMagic[8] = {'L', 'O', 'D', 'E', 'M', 'A', 'N', '1'};
inline constexpr uint32_t kManifestFormatVersion = 1;
inline constexpr std::string_view kManifestFileName = "MANIFEST";

struct SegmentEntry {
  std::string tenant;
  std::string path;  // relative to the data directory: t=<tenant>/d=<day>/<id>.lode
  uint64_t records = 0;
  int64_t min_time = 0;
  int64_t max_time = 0;
  uint64_t bytes = 0;  // file size
};

struct ManifestData {
  uint64_t next_file_number = 1;  // for segment ids and WAL generations
  uint64_t wal_checkpoint = 0;    // WAL generations below this are fully in segments
  std::vector<SegmentEntry> segments;
};

std::string EncodeManifest(const ManifestData& m);
// DataLoss naming what is wrong when `bytes` is not an intact manifest.
absl::StatusOr<ManifestData> DecodeManifest(std::string_view bytes);

// Reads DIR/MANIFEST; nullopt when there is none.
absl::StatusOr<std::optional<ManifestData>> ReadManifest(Env* env, const std::string& dir);
// Replaces DIR/MANIFEST atomically and durably.
absl::Status WriteManifest(Env* env, const std::string& dir, const ManifestData& m);

}  // namespace lode::storage
