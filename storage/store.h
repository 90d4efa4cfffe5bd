// Store: a data directory of immutable segments, partitioned by tenant and UTC day:
//   DIR/t=<tenant>/d=<YYYY-MM-DD>/<segment-id>.lode
// Write() makes a batch durable as segment files; Snapshot() lists the segments to query.
//
// Thread-safe. Several processes may write to one directory at once (segment ids carry the pid).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

#include "common/record_batch.h"
#include "storage/env.h"
#include "storage/segment_reader.h"
#include "storage/segment_writer.h"

namespace lode::storage {

inline constexpr std::string_view kDefaultTenant = "default";

struct StoreOptions {
  SegmentWriterOptions segment;
};

struct WriteResult {
  uint64_t records = 0;
  uint64_t segments = 0;
  uint64_t bytes = 0;  // segment bytes written
};

class Store {
 public:
  // Opens (creating when absent) the data directory `dir`. `env` must outlive the Store.
  static absl::StatusOr<std::unique_ptr<Store>> Open(Env* env, std::string dir,
                                                     StoreOptions options = {});

  // Sorts `batch` by time, splits it by UTC day, and writes one segment per day. On OK every
  // record is durable on disk. On error no partial segment is visible (earlier days of the same
  // batch may have been written; the returned WriteResult is not filled then).
  absl::StatusOr<WriteResult> Write(const RecordBatch& batch,
                                    std::string_view tenant = kDefaultTenant);

  // The segments of `tenant` whose time range intersects [from, to), newest max_time first.
  // Readers are shared and cached; a segment that fails to open is skipped and reported in
  // `errors` (when given).
  absl::StatusOr<std::vector<std::shared_ptr<const SegmentReader>>> Snapshot(
      std::string_view tenant, int64_t from, int64_t to,
      std::vector<std::string>* errors = nullptr);

  const std::string& dir() const { return dir_; }
  Env* env() const { return env_; }

 private:
  Store(Env* env, std::string dir, StoreOptions options)
      : env_(env), dir_(std::move(dir)), options_(options) {}
  std::string NewSegmentName();

  Env* const env_;
  const std::string dir_;
  const StoreOptions options_;
  std::atomic<uint64_t> seq_{0};
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<const SegmentReader>> readers_
      ABSL_GUARDED_BY(mu_);
};

// Validates a tenant name: 1-64 of [A-Za-z0-9_.-], not starting with '.'.
absl::Status ValidateTenant(std::string_view tenant);

}  // namespace lode::storage
