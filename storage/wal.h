// The write-ahead log (docs/formats/wal.md): every batch is appended here, and made durable,
// before it is acknowledged. One file per generation, DIR/wal/<generation>.wal; a generation is
// deleted once every record in it is in a segment named by a durable manifest.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

#include "common/record_batch.h"
#include "storage/env.h"

namespace lode::storage {

inline constexpr char kWalMagic[8] = {'L', 'O', 'D', 'E', 'W', 'A', 'L', '1'};
inline constexpr uint32_t kWalFormatVersion = 1;
inline constexpr size_t kWalHeaderSize = 24;      // magic, version, reserved, generation
inline constexpr size_t kWalFrameHeaderSize = 9;  // length, crc, type
inline constexpr uint8_t kWalBatchFrame = 1;
// A frame larger than this is corruption, not data (a batch is at most the HTTP body limit).
inline constexpr uint32_t kWalMaxFrame = 1u << 30;

std::string WalFileName(uint64_t generation);
// The generation of a WAL file name, or 0 when `name` is not one.
uint64_t ParseWalFileName(std::string_view name);

// Appends frames to one WAL generation. Not thread-safe: the store's commit leader owns it.
class WalWriter {
 public:
  // Creates DIR/<generation>.wal with its header, synced along with the directory.
  static absl::StatusOr<std::unique_ptr<WalWriter>> Create(Env* env, const std::string& dir,
                                                           uint64_t generation);
  // Appends one batch frame (not yet durable).
  absl::Status AddBatch(std::string_view tenant, const RecordBatch& batch);
  // The frame AddBatch would append, built without the writer (so each ingest thread can
  // encode its own while another appends). InvalidArgument when the batch is too large.
  static absl::Status EncodeFrame(std::string_view tenant, const RecordBatch& batch,
                                  std::string* frame);
  // Appends a frame made by EncodeFrame (not yet durable).
  absl::Status AddFrame(std::string_view frame);
  // Makes every frame appended so far durable.
  absl::Status Sync();
  absl::Status Close();

  uint64_t generation() const { return generation_; }
  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  WalWriter(std::unique_ptr<WritableFile> file, std::string path, uint64_t generation)
      : file_(std::move(file)), path_(std::move(path)), generation_(generation) {}
  std::unique_ptr<WritableFile> file_;
  std::string path_;
  uint64_t generation_;
  uint64_t size_ = kWalHeaderSize;
  std::string frame_;  // reused buffer
};

struct WalReplayStats {
  uint64_t frames = 0;
  uint64_t records = 0;
  uint64_t torn_tail_bytes = 0;  // an incomplete last frame, discarded
  uint64_t corrupt_frames = 0;   // bad frames followed by good ones: skipped and reported
  std::vector<std::string> errors;
};

// Reads every intact frame of the WAL file at `path` in order and calls `fn(tenant, batch)`.
// A torn frame at the tail (a crash while appending) is discarded silently (counted); a corrupt
// frame with intact frames after it is skipped, counted and described in stats->errors; reading
// goes on after it. Returns an error only when the file cannot be read or `fn` fails.
absl::Status ReplayWal(Env* env, const std::string& path,
                       const std::function<absl::Status(std::string_view, RecordBatch&&)>& fn,
                       WalReplayStats* stats);

}  // namespace lode::storage
