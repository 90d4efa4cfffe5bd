// FaultInjectionEnv: an Env wrapper that remembers what a power loss would keep, can roll the
// file system back to exactly that, and can make chosen operations fail. Durability tests use it
// to crash at every sync point and to fill the disk.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

#include "storage/env.h"

namespace lode::storage {

// Wraps an Env (normally a MemEnv; a PosixEnv on a scratch directory works too) and forwards
// every call, while tracking what would survive a power loss.
//
// The crash model, applied by SimulateCrash():
//   - File data: a file written through this env keeps, after a crash, only the bytes that a
//     successful WritableFile::Sync() covered (a prefix: files are append-only). Truncating an
//     existing file with NewWritableFile takes effect at once and durably (the file keeps its
//     name and survives empty, or with whatever was synced since).
//   - Names: every change to a directory entry is volatile until that directory is synced:
//       * a file created by NewWritableFile disappears unless SyncDir(its directory) succeeded
//         after the creation;
//       * RenameFile(from, to) is undone unless SyncDir(directory of `to`) succeeded after it:
//         `to` gets its previous file back (with that file's synced content), or disappears if it
//         did not exist, and `from` reappears naming the moved file (with its synced content,
//         including what was synced after the rename). A rename is atomic: syncing only the
//         directory of `from` keeps neither half;
//       * RemoveFile(path) is undone unless SyncDir(directory of `path`) succeeded after it: the
//         file comes back with its synced content (as it was when removed; bytes a still-open
//         writer adds after the removal are not kept).
//     What a name points to after the crash is what it pointed to at the last SyncDir that
//     covered it; the content is that file's synced prefix at the moment of the crash.
//   - Files never written, renamed or removed through this env since it was created (or since
//     the last SimulateCrash) are taken as fully durable.
//   - Directories: CreateDirs is durable at once. RemoveDir is undone only as far as needed to
//     bring back files whose removal was itself undone (their directory is recreated); after
//     RemoveDir(d), SyncDir(parent of d) makes the removals of files in d durable. Directory
//     renames are durable at once and carry the pending state of the files below them.
//   - Lock files (LockFile) and reads are passed through untracked.
// After SimulateCrash() the target holds exactly the post-crash state, WritableFiles opened
// before it are inert (Append/Sync fail with Unavailable, Close succeeds and does nothing else),
// every injected failure and crash point is cleared, and tracking restarts from "everything on
// disk is durable". Locks are not touched: destroy what holds them before reopening.
//
// Failure injection: every mutating operation (see Op) is counted and checked, in this order,
// against: a crash point reached (CrashAfterSyncPoints), FailAfter rules, SetNoSpace. A failed
// operation does nothing (an Append writes no byte) and returns the error.
//
// Paths are compared after lexical normalization (duplicate '/', "." and ".." resolved), so use
// either absolute or relative paths consistently for one tree.
//
// Thread-safe: one mutex serializes mutating operations, including the forwarded calls.
// `target` must outlive this env, and this env must outlive the WritableFiles it returns.
class FaultInjectionEnv final : public EnvWrapper {
 public:
  // The mutating operations, for counting and failure injection.
  enum class Op {
    kCreate,     // NewWritableFile
    kAppend,     // WritableFile::Append
    kSync,       // WritableFile::Sync
    kClose,      // WritableFile::Close
    kRename,     // RenameFile
    kRemove,     // RemoveFile
    kCreateDir,  // CreateDirs
    kRemoveDir,  // RemoveDir
    kSyncDir,    // SyncDir
    kAny,        // any of the above
  };
  static constexpr int kNumOps = static_cast<int>(Op::kAny) + 1;
  // "Append", "SyncDir", ... for messages and test names.
  static std::string_view OpName(Op op);

  explicit FaultInjectionEnv(Env* target);
  ~FaultInjectionEnv() override;
  FaultInjectionEnv(const FaultInjectionEnv&) = delete;
  FaultInjectionEnv& operator=(const FaultInjectionEnv&) = delete;

  // Forwarded to the target when no failure is injected, with the crash model's bookkeeping.
  // Creating a file fails with ResourceExhausted under SetNoSpace(true).
  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  // A sync point when it succeeds.
  absl::Status RenameFile(const std::string& from, const std::string& to) override;
  absl::Status RemoveFile(const std::string& path) override;
  // Fails with ResourceExhausted under SetNoSpace(true) unless `path` already exists.
  absl::Status CreateDirs(const std::string& path) override;
  // A sync point when it succeeds.
  absl::Status SyncDir(const std::string& path) override;
  absl::Status RemoveDir(const std::string& path) override;

  // Rolls the target back to what a power loss at this moment would leave (see the model
  // above) and resets tracking, failures and the crash point. Fails only when the target
  // cannot be read or written; the env is then in an unspecified state.
  absl::Status SimulateCrash();

  // From the `n`-th (1-based, counted from this call) operation of kind `op` on (kAny: any
  // mutating operation), every such operation fails with `error` and does nothing, until
  // ClearFailures() or SimulateCrash(). n < 1 counts as 1. Several rules may be active.
  void FailAfter(Op op, int n, absl::Status error);
  // While `on`: a non-empty Append, NewWritableFile and CreateDirs of a new directory fail with
  // ResourceExhausted("no space left on device") and do nothing, so an Append lands whole or not
  // at all. Everything else, including removals that free space, works.
  void SetNoSpace(bool on);
  // Removes the FailAfter rules and the no-space condition (not the crash point).
  void ClearFailures();

  // After `k` more successful sync points (WritableFile::Sync, SyncDir, RenameFile), every
  // mutating operation fails with Unavailable("simulated crash") until SimulateCrash(); k <= 0
  // fails them from now on. The k-th sync point itself succeeds. Loop k = 0, 1, ... on a fresh
  // env each time, stopping at the first k where crash_point_reached() stays false after the
  // workload: that run completed with no crash.
  void CrashAfterSyncPoints(int k);
  // True once the crash point set by CrashAfterSyncPoints has been reached.
  bool crash_point_reached() const;

  // Operations of kind `op` attempted since construction or ResetCounters(), failed ones
  // included; count(Op::kAny) is the total.
  int64_t count(Op op) const;
  // Successful sync points since construction or ResetCounters().
  int64_t sync_points() const;
  void ResetCounters();

 private:
  class File;
  struct Inode;
  // The durable binding of a name with a pending change: what it pointed to at the last
  // SyncDir (nullptr: absent), and which directory's SyncDir makes the change durable.
  struct Record {
    std::shared_ptr<Inode> durable;
    std::string sync_dir;
  };
  struct Rule {
    Op op;
    int n;
    int seen;
    absl::Status error;
  };

  // Counts `op` and returns the injected error for it, if any.
  absl::Status Check(Op op) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnSyncPoint() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The tracked file at `path`, starting to track an existing untracked file as fully durable;
  // nullptr when `path` is not a file.
  std::shared_ptr<Inode> LiveInode(const std::string& path) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether a pending record still needs `inode`'s content after it loses its name.
  bool Referenced(const Inode* inode) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Reads the content to keep for `inode` once it has no name, if anything needs it.
  absl::StatusOr<std::optional<std::string>> CaptureIfNeeded(const std::shared_ptr<Inode>& inode,
                                                             bool will_be_referenced)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RekeyDir(const std::string& from, const std::string& to) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Status FileAppend(File* file, std::string_view data);
  absl::Status FileSync(File* file);
  absl::Status FileClose(File* file);

  mutable absl::Mutex mu_;
  // Files tracked under their current name in the target.
  std::map<std::string, std::shared_ptr<Inode>> live_ ABSL_GUARDED_BY(mu_);
  // Names whose directory entry changed since the covering SyncDir.
  std::map<std::string, Record> pending_ ABSL_GUARDED_BY(mu_);
  // Bumped by SimulateCrash; files from an older epoch are inert.
  uint64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;

  std::vector<Rule> rules_ ABSL_GUARDED_BY(mu_);
  bool no_space_ ABSL_GUARDED_BY(mu_) = false;
  bool crash_armed_ ABSL_GUARDED_BY(mu_) = false;
  int64_t crash_remaining_ ABSL_GUARDED_BY(mu_) = 0;
  bool crashed_ ABSL_GUARDED_BY(mu_) = false;

  std::array<int64_t, kNumOps> counts_ ABSL_GUARDED_BY(mu_) = {};
  int64_t sync_points_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace lode::storage
