// The manifest (docs/formats/manifest.md): the catalog of live segments, the oldest WAL
// generation that still holds records not yet in a segment, and the lifetime counters of the
// maintenance work (flush, compaction, retention, deletion). It is replaced atomically (temp
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
// Version 2 added the counters; version 1 files are still read (counters zero).
inline constexpr uint32_t kManifestFormatVersion = 2;
inline constexpr std::string_view kManifestFileName = "MANIFEST";

struct SegmentEntry {
  std::string tenant;
  std::string path;  // relative to the data directory: t=<tenant>/d=<day>/<id>.lode
  uint64_t records = 0;
  int64_t min_time = 0;
  int64_t max_time = 0;
  uint64_t bytes = 0;  // file size
};

// Lifetime totals of the data directory, carried from manifest to manifest. Only ever grow.
struct ManifestCounters {
  uint64_t flushed_bytes = 0;  // segment bytes written by flushes and bulk loads
  uint64_t flushed_records = 0;
  uint64_t compactions = 0;      // merges committed
  uint64_t compacted_bytes = 0;  // segment bytes written by compaction
  uint64_t rewritten_bytes = 0;  // segment bytes written by retention and delete rewrites
  uint64_t retention_runs = 0;   // runs that completed (with or without removing anything)
  uint64_t expired_records = 0;  // records removed by retention
  uint64_t deleted_records = 0;  // records removed by delete
  uint64_t quarantined = 0;      // segments moved to DIR/quarantine

  bool operator==(const ManifestCounters&) const = default;
};

struct ManifestData {
  uint64_t next_file_number = 1;  // for segment ids and WAL generations
  uint64_t wal_checkpoint = 0;    // WAL generations below this are fully in segments
  std::vector<SegmentEntry> segments;
  ManifestCounters counters;
};

std::string EncodeManifest(const ManifestData& m);
// DataLoss naming what is wrong when `bytes` is not an intact manifest.
absl::StatusOr<ManifestData> DecodeManifest(std::string_view bytes);

// Reads DIR/MANIFEST; nullopt when there is none.
absl::StatusOr<std::optional<ManifestData>> ReadManifest(Env* env, const std::string& dir);
// Replaces DIR/MANIFEST atomically and durably: MANIFEST.tmp is written and synced, renamed
// over MANIFEST, and DIR synced. On error, `*replaced` (when given) says whether the rename
// happened: false means the old manifest is still the one in place; true means the new one is
// visible but a crash may still bring the old one back (the directory sync failed).
absl::Status WriteManifest(Env* env, const std::string& dir, const ManifestData& m,
                           bool* replaced = nullptr);

}  // namespace lode::storage
