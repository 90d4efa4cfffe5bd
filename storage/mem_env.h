// MemEnv: an in-memory file system behind the Env interface, for fast, hermetic tests of
// everything that does I/O through Env (WAL, manifest, segments, retention).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

#include "storage/env.h"

namespace lode::storage {

// An Env whose files and directories live in memory. It answers like PosixEnv does, error codes
// included, so code tested on it behaves the same on disk:
//   - NotFound for a missing file or directory (also a missing parent), Unavailable for the other
//     POSIX errors (a path component that is a file, removing a non-empty directory, opening a
//     directory as a file, using a closed WritableFile), FailedPrecondition from LockFile when the
//     file is already locked and from CreateDirs when the path itself is a file,
//     ResourceExhausted when an Append would exceed the capacity set with SetCapacityBytes.
//   - Directories are real entries: a file can only be created in an existing directory,
//     ListDir returns sorted names of files and subdirectories, RemoveDir only removes an empty
//     directory, RenameFile also moves directories.
//   - A RandomAccessFile is a snapshot: it keeps returning the bytes the file had when it was
//     opened, even after the file is appended to, truncated, replaced or removed (like an mmap of
//     a file that is later unlinked or renamed over).
//   - A WritableFile follows its file like a file descriptor follows its inode: after RenameFile
//     it writes to the new name, after RemoveFile its writes go nowhere visible.
//   - Paths are resolved lexically: '/'-separated, empty and "." components ignored, ".." drops
//     the previous component. There is no working directory: "a/b" and "/a/b" are the same file.
//     The root directory always exists.
//   - Sync and SyncDir check their argument and do nothing else: everything written is
//     immediately "durable". Wrap a MemEnv in FaultInjectionEnv to model power loss.
//   - The clock does not move by itself: NowNanos() returns kDefaultNowNanos until SetNowNanos
//     or AdvanceNanos changes it.
//
// Thread-safe: one mutex guards the whole tree; WritableFiles and RandomAccessFiles may be used
// from any thread (one thread per file object, as the Env contract says). Files and locks
// returned by a MemEnv must be destroyed before it.
class MemEnv final : public Env {
 public:
  // 2026-11-27T10:00:00Z, the initial value of the clock.
  static constexpr int64_t kDefaultNowNanos = 1'795'773'600'000'000'000;

  MemEnv();
  ~MemEnv() override;
  MemEnv(const MemEnv&) = delete;
  MemEnv& operator=(const MemEnv&) = delete;

  // Creates `path` or truncates it to zero bytes when it exists (the same file: open writers and
  // locks keep referring to it; open RandomAccessFiles keep the old bytes). NotFound when the
  // parent directory does not exist; Unavailable when `path` is a directory.
  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  // A snapshot of the current content of `path`. NotFound when missing; Unavailable when it is a
  // directory.
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override;
  // POSIX rename(2): atomically replaces `to` (a file, or an empty directory when `from` is a
  // directory). NotFound when `from` or the parent of `to` is missing; Unavailable for a
  // file/directory mismatch, a non-empty target directory, or a directory moved into itself.
  // Renaming a path onto itself succeeds and changes nothing.
  absl::Status RenameFile(const std::string& from, const std::string& to) override;
  // Unlinks a file. NotFound when missing; Unavailable when `path` is a directory.
  absl::Status RemoveFile(const std::string& path) override;
  // mkdir -p. OK when `path` already is a directory; FailedPrecondition when `path` is a file;
  // Unavailable when another component of it is a file; NotFound for an empty path.
  absl::Status CreateDirs(const std::string& path) override;
  // OK when `path` is a directory; NotFound when missing; Unavailable when it is a file.
  absl::Status SyncDir(const std::string& path) override;
  // Sorted names of the entries of `dir`. NotFound when missing; Unavailable when it is a file.
  absl::StatusOr<std::vector<std::string>> ListDir(const std::string& dir) override;
  // True for an existing file or directory.
  bool FileExists(const std::string& path) override;
  // Size in bytes of a file (0 for a directory). NotFound when missing.
  absl::StatusOr<uint64_t> FileSize(const std::string& path) override;
  // Removes an empty directory. NotFound when missing; Unavailable when it is not empty, is a
  // file, or is the root.
  absl::Status RemoveDir(const std::string& path) override;
  absl::Status TruncateFile(const std::string& path, uint64_t size) override;
  // Creates `path` when absent (never truncates) and locks it until the returned object is
  // destroyed. FailedPrecondition when a lock on the same file is held in this MemEnv (the lock
  // follows the file across renames, as flock(2) follows the inode).
  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) override;
  // The simulated clock.
  int64_t NowNanos() override;

  // Sets the simulated clock to `nanos` since the Unix epoch.
  void SetNowNanos(int64_t nanos);
  // Moves the simulated clock by `delta` (may be negative).
  void AdvanceNanos(int64_t delta);

  // Sum of the sizes of all files reachable from the root (bytes held only by open
  // RandomAccessFile snapshots or by writers of removed files are not counted).
  uint64_t TotalFileBytes() const;
  // Simulates a disk of `bytes`: an Append that would take TotalFileBytes() above it fails with
  // ResourceExhausted and writes nothing; it succeeds again once files are removed or truncated.
  // nullopt (the default) means unlimited.
  void SetCapacityBytes(std::optional<uint64_t> bytes);

 private:
  struct Node;
  class WritableFileImpl;
  class FileLockImpl;

  // A path split into its components, with the original text kept for error messages.
  struct ParsedPath {
    std::string text;
    std::vector<std::string> parts;
    bool trailing_slash = false;
  };
  static ParsedPath Parse(const std::string& path);

  // The directory holding the last component of `p` (the root for the root itself).
  absl::StatusOr<Node*> FindParent(std::string_view op, const ParsedPath& p) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The node `p` names, or nullptr (with OK) when only its last component is missing.
  absl::StatusOr<std::shared_ptr<Node>> Find(std::string_view op, const ParsedPath& p) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Finds or creates the file `p` names (for open(O_CREAT)).
  absl::StatusOr<std::shared_ptr<Node>> FindOrCreateFile(std::string_view op, const ParsedPath& p)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint64_t TotalFileBytesLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Status Append(Node* node, std::string_view data);
  void Unlock(const Node* node);

  mutable absl::Mutex mu_;
  std::shared_ptr<Node> root_ ABSL_GUARDED_BY(mu_);
  std::set<const Node*> locked_ ABSL_GUARDED_BY(mu_);
  std::optional<uint64_t> capacity_ ABSL_GUARDED_BY(mu_);
  std::atomic<int64_t> now_nanos_{kDefaultNowNanos};
};

}  // namespace lode::storage
