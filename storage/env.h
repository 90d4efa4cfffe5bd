// Env: every file-system and clock operation of storage/, index/ and alerting/ goes through it,
// so tests can run on memory and inject faults. PosixEnv is the real one (Env::Default()).
//
// Implementations are thread-safe. Files returned are used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lode::storage {

// A file being written sequentially. Data is durable only after Sync() returns OK.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual absl::Status Append(std::string_view data) = 0;
  virtual absl::Status Sync() = 0;
  virtual absl::Status Close() = 0;
};

// A read-only file. Read() returns a view valid as long as the file object lives; it may point
// into `scratch` or into a memory mapping.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  virtual uint64_t Size() const = 0;
  // Reads exactly `n` bytes at `offset`; OutOfRange (reported as DataLoss by callers) when the
  // file is shorter.
  virtual absl::Status Read(uint64_t offset, size_t n, std::string* scratch,
                            std::string_view* result) const = 0;
};

// An exclusive lock on a file; released when destroyed.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class Env {
 public:
  virtual ~Env() = default;
  // The process-wide POSIX Env. Never deleted.
  static Env* Default();

  // Creates (truncating) `path` for writing.
  virtual absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) = 0;
  virtual absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) = 0;
  virtual absl::Status ReadFileToString(const std::string& path, std::string* out);
  // Atomically replaces `to` with `from`.
  virtual absl::Status RenameFile(const std::string& from, const std::string& to) = 0;
  virtual absl::Status RemoveFile(const std::string& path) = 0;
  // mkdir -p.
  virtual absl::Status CreateDirs(const std::string& path) = 0;
  // fsync of a directory, making renames and creations in it durable.
  virtual absl::Status SyncDir(const std::string& path) = 0;
  // Names (not paths) of the entries of `dir`, sorted; NotFound when it does not exist.
  virtual absl::StatusOr<std::vector<std::string>> ListDir(const std::string& dir) = 0;
  virtual bool FileExists(const std::string& path) = 0;
  virtual absl::StatusOr<uint64_t> FileSize(const std::string& path) = 0;
  // Removes an empty directory.
  virtual absl::Status RemoveDir(const std::string& path) = 0;
  // Cuts `path` to `size` bytes and makes that durable. Unimplemented where not supported.
  virtual absl::Status TruncateFile(const std::string& path, uint64_t size) {
    return absl::UnimplementedError("TruncateFile");
  }
  // Takes an exclusive advisory lock on `path` (created when absent) for as long as the returned
  // object lives. FailedPrecondition when another process (or another lock in this one) holds it.
  virtual absl::StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) = 0;
  // Wall-clock time, ns since the Unix epoch.
  virtual int64_t NowNanos() = 0;
};

// Forwards every call to another Env; subclass it to change a few (a fixed clock, faults).
// `target` must outlive the wrapper.
class EnvWrapper : public Env {
 public:
  explicit EnvWrapper(Env* target) : target_(target) {}
  Env* target() const { return target_; }

  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& p) override {
    return target_->NewWritableFile(p);
  }
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& p) override {
    return target_->NewRandomAccessFile(p);
  }
  absl::Status ReadFileToString(const std::string& p, std::string* out) override {
    return target_->ReadFileToString(p, out);
  }
  absl::Status RenameFile(const std::string& a, const std::string& b) override {
    return target_->RenameFile(a, b);
  }
  absl::Status RemoveFile(const std::string& p) override { return target_->RemoveFile(p); }
  absl::Status CreateDirs(const std::string& p) override { return target_->CreateDirs(p); }
  absl::Status SyncDir(const std::string& p) override { return target_->SyncDir(p); }
  absl::StatusOr<std::vector<std::string>> ListDir(const std::string& d) override {
    return target_->ListDir(d);
  }
  bool FileExists(const std::string& p) override { return target_->FileExists(p); }
  absl::StatusOr<uint64_t> FileSize(const std::string& p) override { return target_->FileSize(p); }
  absl::Status RemoveDir(const std::string& p) override { return target_->RemoveDir(p); }
  absl::Status TruncateFile(const std::string& p, uint64_t size) override {
    return target_->TruncateFile(p, size);
  }
  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& p) override {
    return target_->LockFile(p);
  }
  int64_t NowNanos() override { return target_->NowNanos(); }

 private:
  Env* target_;
};

// The Status for a failed file operation with errno `err`: NotFound, ResourceExhausted (no
// space), PermissionDenied, otherwise Unavailable; the message names the operation and path.
absl::Status ErrnoStatus(std::string_view op, std::string_view path, int err);

// Joins path components with '/'.
std::string JoinPath(std::string_view a, std::string_view b);

// Writes `data` to `path` crash-safely: a temp file beside it, fsync, rename, fsync of the dir.
absl::Status WriteFileAtomically(Env* env, const std::string& path, std::string_view data);

}  // namespace lode::storage
