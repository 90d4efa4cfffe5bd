#include "storage/fault_injection_env.h"

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include <gtest/gtest.h>
#include <unistd.h>

#include "common/strings.h"
#include "storage/env.h"
#include "storage/mem_env.h"

namespace lode::storage {
namespace {

using Code = absl::StatusCode;
using Op = FaultInjectionEnv::Op;

#define ASSERT_OK(expr)                                    \
  do {                                                     \
    const absl::Status lode_s_ = (expr);                   \
    ASSERT_TRUE(lode_s_.ok()) << #expr << ": " << lode_s_; \
  } while (0)

// Writes a file directly on `env` (bypassing any fault injection).
void Put(Env* env, const std::string& path, std::string_view data) {
  auto f = env->NewWritableFile(path);
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_TRUE((*f)->Append(data).ok());
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE((*f)->Close().ok());
}

// The content of `path`, or nullopt when it does not exist.
std::optional<std::string> Get(Env* env, const std::string& path) {
  std::string out;
  absl::Status s = env->ReadFileToString(path, &out);
  if (absl::IsNotFound(s)) return std::nullopt;
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

class FaultInjectionEnvTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(mem_.CreateDirs("d")); }

  // Creates `path` through the fault env with `synced` synced and `unsynced` after it.
  void Write(const std::string& path, std::string_view synced, std::string_view unsynced = "") {
    auto f = env_.NewWritableFile(path);
    ASSERT_TRUE(f.ok()) << f.status();
    ASSERT_OK((*f)->Append(synced));
    ASSERT_OK((*f)->Sync());
    ASSERT_OK((*f)->Append(unsynced));
    ASSERT_OK((*f)->Close());
  }

  MemEnv mem_;
  FaultInjectionEnv env_{&mem_};
};

TEST_F(FaultInjectionEnvTest, UnsyncedBytesVanishSyncedSurvive) {
  Write("d/f", "abc", "def");
  Write("d/g", "all of it");
  Write("d/h", "", "never synced");
  ASSERT_OK(env_.SyncDir("d"));
  EXPECT_EQ(Get(&mem_, "d/f"), "abcdef");  // the live view has everything until the crash
  ASSERT_OK(env_.SimulateCrash());
  EXPECT_EQ(Get(&mem_, "d/f"), "abc");
  EXPECT_EQ(Get(&mem_, "d/g"), "all of it");
  EXPECT_EQ(Get(&mem_, "d/h"), "");
}

TEST_F(FaultInjectionEnvTest, SyncCoversOnlyBytesAppendedBeforeIt) {
  auto f = env_.NewWritableFile("d/wal");
  ASSERT_TRUE(f.ok());
  ASSERT_OK(env_.SyncDir("d"));
  ASSERT_OK((*f)->Append("r1;"));
  ASSERT_OK((*f)->Sync());
  ASSERT_OK((*f)->Append("r2;"));
  ASSERT_OK((*f)->Sync());
  ASSERT_OK((*f)->Append("r3;"));
  ASSERT_OK(env_.SimulateCrash());  // with the writer still open
  EXPECT_EQ(Get(&mem_, "d/wal"), "r1;r2;");
  // The old handle is inert now; Close still releases it.
  EXPECT_EQ((*f)->Append("r4;").code(), Code::kUnavailable);
  EXPECT_EQ((*f)->Sync().code(), Code::kUnavailable);
  EXPECT_TRUE((*f)->Close().ok());
  EXPECT_EQ(Get(&mem_, "d/wal"), "r1;r2;");
}

TEST_F(FaultInjectionEnvTest, CreationWithoutSyncDirVanishes) {
  Write("d/unsynced_dir", "data");
  Write("d/synced_dir", "data");
  ASSERT_OK(env_.SyncDir("d"));
  Write("d/after_sync", "data");
  ASSERT_OK(env_.SimulateCrash());
  EXPECT_EQ(Get(&mem_, "d/unsynced_dir"), "data");  // created before the SyncDir
  EXPECT_EQ(Get(&mem_, "d/synced_dir"), "data");
  EXPECT_EQ(Get(&mem_, "d/after_sync"), std::nullopt);
  auto names = mem_.ListDir("d");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"synced_dir", "unsynced_dir"}));
}

TEST_F(FaultInjectionEnvTest, SyncOfAnotherDirectoryDoesNotCover) {
  ASSERT_OK(mem_.CreateDirs("e"));
  Write("d/f", "data");
  ASSERT_OK(env_.SyncDir("e"));
  ASSERT_OK(env_.SimulateCrash());
  EXPECT_EQ(Get(&mem_, "d/f"), std::nullopt);
}

TEST_F(FaultInjectionEnvTest, RenameWithoutSyncDirIsUndone) {
  Put(&mem_, "d/cur", "old");  // existed before: durable
  Write("d/tmp", "new");
  ASSERT_OK(env_.SyncDir("d"));
  ASSERT_OK(env_.RenameFile("d/tmp", "d/cur"));
  EXPECT_EQ(Get(&mem_, "d/cur"), "new");
  ASSERT_OK(env_.SimulateCrash());
  EXPECT_EQ(Get(&mem_, "d/cur"), "old");
  EXPECT_EQ(Get(&mem_, "d/tmp"), "new");  // the source name comes back
}

TEST_F(FaultInjectionEnvTest, RenameOntoMissingTargetIsUndone) {
  Write("d/a", "content", "tail");
  ASSERT_OK(env_.SyncDir("d"));
  ASSERT_OK(env_.RenameFile("d/a", "d/b"));
  ASSERT_OK(env_.SimulateCrash());
  EXPECT_EQ(Get(&mem_, "d/b"), std::nullopt);
  EXPECT_EQ(Get(&mem_, "d/a"), "content");
}

TEST_F(FaultInjectionEnvTest, RenameOfUnsyncedCreationLeavesNothing) {
  Write("d/tmp", "new");  // created, never covered by a SyncDir
  ASSERT_OK(env_.RenameFile("d/tmp", "d/cur"));
  ASSERT_OK(env_.SimulateCrash());
  EXPECT_EQ(Get(&mem_, "d/cur"), std::nullopt);
  EXPECT_EQ(Get(&mem_, "d/tmp"), std::nullopt);
}

TEST_F(FaultInjectionEnvTest, SyncedRenameIsDurableAndKeepsLaterSyncedData) {
  Put(&mem_, "d/cur", "old");
  auto f = env_.NewWritableFile("d/tmp");
  ASSERT_TRUE(f.ok());
  ASSERT_OK((*f)->Append("new"));
  ASSERT_OK((*f)->Sync());
  ASSERT_OK(env_.RenameFile("d/tmp", "d/cur"));
  ASSERT_OK(env_.SyncDir("d"));
  // Data synced through the open handle after the rename belongs to the renamed file.
  ASSERT_OK((*f)->Append("+more"));
  ASSERT_OK((*f)->Sync());
  ASSERT_OK((*f)->Append("+lost"));
  ASSERT_OK(env_.SimulateCrash());
  EXPECT_EQ(Get(&mem_, "d/cur"), "new+more");
  EXPECT_EQ(Get(&mem_, "d/tmp"), std::nullopt);
}

TEST_F(FaultInjectionEnvTest, RenameBackAndForthRestoresTheOriginalBindings) {
  Put(&mem_, "d/a", "A");
  Put(&mem_, "d/b", "B");
  ASSERT_OK(env_.RenameFile("d/a", "d/c"));  // c=A
  ASSERT_OK(env_.RenameFile("d/b", "d/a"));  // a=B
  ASSERT_OK(env_.RenameFile("d/c", "d/b"));  // b=A
  EXPECT_EQ(Get(&mem_, "d/a"), "B");
  ASSERT_OK(env_.SimulateCrash());
  EXPECT_EQ(Get(&mem_, "d/a"), "A");
  EXPECT_EQ(Get(&mem_, "d/b"), "B");
  EXPECT_EQ(Get(&mem_, "d/c"), std::nullopt);
}

TEST_F(FaultInjectionEnvTest, CrossDirectoryRenameFollowsTheTargetDirectory) {
  ASSERT_OK(mem_.CreateDirs("e"));
  Put(&mem_, "d/x", "X");
  Put(&mem_, "d/y", "Y");
  ASSERT_OK(env_.RenameFile("d/x", "e/x"));
  ASSERT_OK(env_.RenameFile("d/y", "e/y"));
  ASSERT_OK(env_.SyncDir("d"));  // not the target's directory: x's move stays undone
  ASSERT_OK(env_.SimulateCrash());
  EXPECT_EQ(Get(&mem_, "d/x"), "X");
  EXPECT_EQ(Get(&mem_, "e/x"), std::nullopt);

  ASSERT_OK(env_.RenameFile("d/x", "e/x"));
  ASSERT_OK(env_.SyncDir("e"));
  ASSERT_OK(env_.SimulateCrash());
  EXPECT_EQ(Get(&mem_, "d/x"), std::nullopt);
  EXPECT_EQ(Get(&mem_, "e/x"), "X");
}

TEST_F(FaultInjectionEnvTest, RemoveWithoutSyncDirIsUndone) {
  Put(&mem_, "d/old", "durable");
  Write("d/partly", "synced", "unsynced");
  Write("d/gone", "x");
  ASSERT_OK(env_.SyncDir("d"));
  ASSERT_OK(env_.RemoveFile("d/old"));
  ASSERT_OK(env_.RemoveFile("d/partly"));
  ASSERT_OK(env_.RemoveFile("d/gone"));
  ASSERT_OK(env_.SyncDir("d"));  // makes the three removals durable
  Put(&mem_, "d/marker", "m");   // untracked: stays
  ASSERT_OK(env_.SimulateCrash());
  EXPECT_EQ(Get(&mem_, "d/old"), std::nullopt);
  EXPECT_EQ(Get(&mem_, "d/partly"), std::nullopt);
  EXPECT_EQ(Get(&mem_, "d/gone"), std::nullopt);
  EXPECT_EQ(Get(&mem_, "d/marker"), "m");

  Put(&mem_, "d/old", "durable");
  Write("d/partly", "synced", "unsynced");
  ASSERT_OK(env_.SyncDir("d"));
  ASSERT_OK(env_.RemoveFile("d/old"));
  ASSERT_OK(env_.RemoveFile("d/partly"));
  ASSERT_OK(env_.SimulateCrash());
  EXPECT_EQ(Get(&mem_, "d/old"), "durable");
  EXPECT_EQ(Get(&mem_, "d/partly"), "synced");
}

TEST_F(FaultInjectionEnvTest, RemovedDirectoryComesBackWithItsFiles) {
  ASSERT_OK(mem_.CreateDirs("d/part"));
  Put(&mem_, "d/part/seg", "S");
  ASSERT_OK(env_.RemoveFile("d/part/seg"));
  ASSERT_OK(env_.RemoveDir("d/part"));
  ASSERT_OK(env_.SimulateCrash());
  EXPECT_EQ(Get(&mem_, "d/part/seg"), "S");

  ASSERT_OK(env_.RemoveFile("d/part/seg"));
  ASSERT_OK(env_.RemoveDir("d/part"));
  ASSERT_OK(env_.SyncDir("d"));  // makes the directory's removal, and so its files', durable
  ASSERT_OK(env_.SimulateCrash());
  EXPECT_FALSE(mem_.FileExists("d/part"));
}

TEST_F(FaultInjectionEnvTest, TruncationIsImmediate) {
  Put(&mem_, "d/f", "old content");
  auto f = env_.NewWritableFile("d/f");
  ASSERT_TRUE(f.ok());
  ASSERT_OK((*f)->Append("new, unsynced"));
  ASSERT_OK(env_.SimulateCrash());
  EXPECT_EQ(Get(&mem_, "d/f"), "");
}

TEST_F(FaultInjectionEnvTest, EnvWorksNormallyAfterACrash) {
  Write("d/a", "1", "2");
  ASSERT_OK(env_.SimulateCrash());
  // Tracking restarted: what is on disk now is durable.
  ASSERT_OK(env_.SimulateCrash());
  EXPECT_EQ(Get(&mem_, "d/a"), std::nullopt);
  Write("d/b", "3", "4");
  ASSERT_OK(env_.SyncDir("d"));
  ASSERT_OK(env_.SimulateCrash());
  ASSERT_OK(env_.SimulateCrash());
  EXPECT_EQ(Get(&mem_, "d/b"), "3");
}

// WriteFileAtomically must leave either the old or the new content after a crash at any sync
// point, and the new one once it has returned OK.
void CheckWriteFileAtomically(const std::optional<std::string>& old) {
  std::set<std::optional<std::string>> outcomes;
  int runs = 0;
  for (int k = 0;; ++k) {
    SCOPED_TRACE(StrCat("crash after ", k, " sync points"));
    MemEnv mem;
    ASSERT_OK(mem.CreateDirs("d"));
    if (old.has_value()) Put(&mem, "d/cfg", *old);
    FaultInjectionEnv env(&mem);
    env.CrashAfterSyncPoints(k);
    const absl::Status written = WriteFileAtomically(&env, "d/cfg", "new");
    const bool crashed = env.crash_point_reached();
    ASSERT_OK(env.SimulateCrash());
    const std::optional<std::string> after = Get(&mem, "d/cfg");
    EXPECT_TRUE(after == old || after == "new") << after.value_or("<none>");
    if (written.ok()) {
      EXPECT_EQ(after, "new");
    }
    outcomes.insert(after);
    ++runs;
    if (!crashed) break;
    ASSERT_LT(k, 100) << "the crash point is always reached";
  }
  // Sync, Rename and SyncDir are 3 sync points: crashes after 0..3 of them, then a run whose
  // crash point (4) is never reached.
  EXPECT_EQ(runs, 5);
  EXPECT_EQ(outcomes, (std::set<std::optional<std::string>>{old, "new"}));
}

TEST(FaultInjectionEnvCrashLoopTest, WriteFileAtomicallyReplacingAFile) {
  CheckWriteFileAtomically("old");
}

TEST(FaultInjectionEnvCrashLoopTest, WriteFileAtomicallyCreatingAFile) {
  CheckWriteFileAtomically(std::nullopt);
}

// Failing each operation of WriteFileAtomically in turn, then crashing, also leaves old or new.
TEST(FaultInjectionEnvCrashLoopTest, WriteFileAtomicallyWithEachOperationFailing) {
  int total_ops = 0;
  {
    MemEnv mem;
    ASSERT_OK(mem.CreateDirs("d"));
    FaultInjectionEnv env(&mem);
    ASSERT_OK(WriteFileAtomically(&env, "d/cfg", "new"));
    total_ops = static_cast<int>(env.count(Op::kAny));
  }
  ASSERT_EQ(total_ops, 6);  // Create, Append, Sync, Close, Rename, SyncDir
  for (int n = 1; n <= total_ops; ++n) {
    SCOPED_TRACE(StrCat("failing operation ", n));
    MemEnv mem;
    ASSERT_OK(mem.CreateDirs("d"));
    Put(&mem, "d/cfg", "old");
    FaultInjectionEnv env(&mem);
    env.FailAfter(Op::kAny, n, absl::DataLossError("injected"));
    const absl::Status written = WriteFileAtomically(&env, "d/cfg", "new");
    EXPECT_EQ(written.code(), Code::kDataLoss);
    ASSERT_OK(env.SimulateCrash());
    const std::optional<std::string> after = Get(&mem, "d/cfg");
    EXPECT_TRUE(after == "old" || after == "new") << after.value_or("<none>");
  }
}

// A log that acknowledges records after Sync and rotates files: after a crash at any sync
// point, every acknowledged record is present exactly once and nothing else appears.
TEST(FaultInjectionEnvCrashLoopTest, AcknowledgedLogRecordsSurviveEveryCrashPoint) {
  constexpr int kRecords = 12;
  auto workload = [](Env* env, std::vector<int>* acked) {
    std::unique_ptr<WritableFile> file;
    std::vector<int> pending;
    for (int i = 0; i < kRecords; ++i) {
      if (i % 5 == 0) {
        if (file != nullptr) {
          // The records still pending live in the old file: sync them there.
          if (!file->Sync().ok()) return;
          acked->insert(acked->end(), pending.begin(), pending.end());
          pending.clear();
          if (!file->Close().ok()) return;
        }
        auto f = env->NewWritableFile(StrCat("log/", 100 + i / 5, ".log"));
        if (!f.ok()) return;
        file = *std::move(f);
        if (!env->SyncDir("log").ok()) return;
      }
      if (!file->Append(StrCat("r", i, ";")).ok()) return;
      pending.push_back(i);
      if (i % 2 == 1 || i == kRecords - 1) {
        if (!file->Sync().ok()) return;
        acked->insert(acked->end(), pending.begin(), pending.end());
        pending.clear();
      }
    }
    file->Close().IgnoreError();
  };
  for (int k = 0;; ++k) {
    SCOPED_TRACE(StrCat("crash after ", k, " sync points"));
    MemEnv mem;
    ASSERT_OK(mem.CreateDirs("log"));
    FaultInjectionEnv env(&mem);
    env.CrashAfterSyncPoints(k);
    std::vector<int> acked;
    workload(&env, &acked);
    const bool crashed = env.crash_point_reached();
    ASSERT_OK(env.SimulateCrash());
    std::multiset<int> recovered;
    auto names = mem.ListDir("log");
    ASSERT_TRUE(names.ok());
    for (const std::string& name : *names) {
      std::string content;
      ASSERT_OK(mem.ReadFileToString(StrCat("log/", name), &content));
      size_t pos = 0;
      while (pos < content.size()) {
        size_t end = content.find(';', pos);
        ASSERT_NE(end, std::string::npos) << "torn record in " << name << ": " << content;
        recovered.insert(std::stoi(content.substr(pos + 1, end - pos - 1)));
        pos = end + 1;
      }
    }
    for (int r : acked) EXPECT_EQ(recovered.count(r), 1u) << "record " << r;
    for (int r : recovered) EXPECT_EQ(recovered.count(r), 1u) << "duplicate " << r;
    if (!crashed) {
      EXPECT_EQ(static_cast<int>(acked.size()), kRecords);
      break;
    }
    ASSERT_LT(k, 100);
  }
}

TEST_F(FaultInjectionEnvTest, FailAfterFailsTheNthAndLaterOperations) {
  auto f = env_.NewWritableFile("d/f");
  ASSERT_TRUE(f.ok());
  env_.FailAfter(Op::kSync, 2, absl::DataLossError("boom"));
  ASSERT_OK((*f)->Append("a"));
  ASSERT_OK((*f)->Sync());
  absl::Status second = (*f)->Sync();
  EXPECT_EQ(second.code(), Code::kDataLoss);
  EXPECT_EQ(StatusMessage(second), "boom");
  EXPECT_EQ((*f)->Sync().code(), Code::kDataLoss);
  ASSERT_OK((*f)->Append("b"));  // other operations still work
  EXPECT_EQ(env_.count(Op::kSync), 3);
  env_.ClearFailures();
  ASSERT_OK((*f)->Sync());
  ASSERT_OK(env_.SyncDir("d"));
  ASSERT_OK(env_.SimulateCrash());
  EXPECT_EQ(Get(&mem_, "d/f"), "ab");
}

TEST_F(FaultInjectionEnvTest, FailedOperationsDoNothing) {
  Put(&mem_, "d/a", "A");
  Put(&mem_, "d/b", "B");
  const absl::Status err = absl::UnavailableError("injected");
  env_.FailAfter(Op::kRename, 1, err);
  env_.FailAfter(Op::kRemove, 1, err);
  env_.FailAfter(Op::kCreate, 1, err);
  env_.FailAfter(Op::kCreateDir, 1, err);
  env_.FailAfter(Op::kRemoveDir, 1, err);
  env_.FailAfter(Op::kSyncDir, 1, err);
  EXPECT_EQ(env_.RenameFile("d/a", "d/b"), err);
  EXPECT_EQ(env_.RemoveFile("d/a"), err);
  EXPECT_EQ(env_.NewWritableFile("d/c").status(), err);
  EXPECT_EQ(env_.CreateDirs("d/sub"), err);
  EXPECT_EQ(env_.SyncDir("d"), err);
  ASSERT_OK(mem_.CreateDirs("d/empty"));
  EXPECT_EQ(env_.RemoveDir("d/empty"), err);
  EXPECT_EQ(Get(&mem_, "d/a"), "A");
  EXPECT_EQ(Get(&mem_, "d/b"), "B");
  EXPECT_FALSE(mem_.FileExists("d/c"));
  EXPECT_FALSE(mem_.FileExists("d/sub"));
  EXPECT_TRUE(mem_.FileExists("d/empty"));
  EXPECT_EQ(env_.sync_points(), 0);  // failed sync points do not count

  env_.ClearFailures();
  auto f = env_.NewWritableFile("d/c");
  ASSERT_TRUE(f.ok());
  env_.FailAfter(Op::kAppend, 2, err);
  ASSERT_OK((*f)->Append("x"));
  EXPECT_EQ((*f)->Append("y"), err);
  env_.ClearFailures();
  ASSERT_OK((*f)->Append("z"));
  EXPECT_EQ(Get(&mem_, "d/c"), "xz");
}

TEST_F(FaultInjectionEnvTest, FailAfterAnyCountsEveryMutatingOperation) {
  env_.FailAfter(Op::kAny, 3, absl::InternalError("third"));
  auto f = env_.NewWritableFile("d/f");  // 1
  ASSERT_TRUE(f.ok());
  ASSERT_OK((*f)->Append("a"));                          // 2
  EXPECT_TRUE(mem_.FileExists("d/f"));                   // reads are not counted
  EXPECT_EQ((*f)->Sync().code(), Code::kInternal);       // 3
  EXPECT_EQ(env_.SyncDir("d").code(), Code::kInternal);  // 4
  EXPECT_EQ(env_.count(Op::kAny), 4);
}

TEST_F(FaultInjectionEnvTest, NoSpaceRejectsWholeAppendsUntilCleared) {
  auto f = env_.NewWritableFile("d/f");
  ASSERT_TRUE(f.ok());
  ASSERT_OK((*f)->Append("before;"));
  env_.SetNoSpace(true);
  absl::Status full = (*f)->Append("during;");
  EXPECT_EQ(full.code(), Code::kResourceExhausted);
  EXPECT_EQ(StatusMessage(full), "no space left on device");
  ASSERT_OK((*f)->Append(""));  // nothing to write needs no space
  EXPECT_EQ(env_.NewWritableFile("d/g").status().code(), Code::kResourceExhausted);
  EXPECT_FALSE(mem_.FileExists("d/g"));
  EXPECT_EQ(env_.CreateDirs("d/new").code(), Code::kResourceExhausted);
  ASSERT_OK(env_.CreateDirs("d"));  // exists already
  ASSERT_OK((*f)->Sync());          // durability of what is written still works
  Put(&mem_, "d/old", "x");
  ASSERT_OK(env_.RemoveFile("d/old"));  // freeing space works
  EXPECT_EQ(Get(&mem_, "d/f"), "before;");
  env_.SetNoSpace(false);
  ASSERT_OK((*f)->Append("after;"));
  EXPECT_EQ(Get(&mem_, "d/f"), "before;after;");
  ASSERT_TRUE(env_.NewWritableFile("d/g").ok());
}

TEST_F(FaultInjectionEnvTest, CountersCountAttemptsAndSyncPoints) {
  auto f = env_.NewWritableFile("d/f");
  ASSERT_TRUE(f.ok());
  ASSERT_OK((*f)->Append("a"));
  ASSERT_OK((*f)->Append("b"));
  ASSERT_OK((*f)->Sync());
  ASSERT_OK((*f)->Close());
  ASSERT_OK(env_.RenameFile("d/f", "d/g"));
  ASSERT_OK(env_.SyncDir("d"));
  EXPECT_FALSE(env_.RemoveFile("d/missing").ok());
  ASSERT_OK(env_.CreateDirs("d/x"));
  ASSERT_OK(env_.RemoveDir("d/x"));
  EXPECT_EQ(env_.count(Op::kCreate), 1);
  EXPECT_EQ(env_.count(Op::kAppend), 2);
  EXPECT_EQ(env_.count(Op::kSync), 1);
  EXPECT_EQ(env_.count(Op::kClose), 1);
  EXPECT_EQ(env_.count(Op::kRename), 1);
  EXPECT_EQ(env_.count(Op::kSyncDir), 1);
  EXPECT_EQ(env_.count(Op::kRemove), 1);
  EXPECT_EQ(env_.count(Op::kCreateDir), 1);
  EXPECT_EQ(env_.count(Op::kRemoveDir), 1);
  EXPECT_EQ(env_.count(Op::kAny), 10);
  EXPECT_EQ(env_.sync_points(), 3);
  ASSERT_OK(env_.SimulateCrash());  // counters survive a crash
  EXPECT_EQ(env_.count(Op::kAny), 10);
  env_.ResetCounters();
  EXPECT_EQ(env_.count(Op::kAny), 0);
  EXPECT_EQ(env_.sync_points(), 0);
  EXPECT_EQ(FaultInjectionEnv::OpName(Op::kSyncDir), "SyncDir");
}

TEST_F(FaultInjectionEnvTest, CrashPointStopsEveryMutationButNotReads) {
  Put(&mem_, "d/r", "readable");
  env_.CrashAfterSyncPoints(2);
  auto f = env_.NewWritableFile("d/f");
  ASSERT_TRUE(f.ok());
  ASSERT_OK((*f)->Append("a"));
  ASSERT_OK((*f)->Sync());  // 1
  EXPECT_FALSE(env_.crash_point_reached());
  ASSERT_OK(env_.SyncDir("d"));  // 2: succeeds, then the crash
  EXPECT_TRUE(env_.crash_point_reached());
  const absl::Status crash = absl::UnavailableError("simulated crash");
  EXPECT_EQ((*f)->Append("b"), crash);
  EXPECT_EQ((*f)->Sync(), crash);
  EXPECT_EQ((*f)->Close(), crash);
  EXPECT_EQ(env_.NewWritableFile("d/g").status(), crash);
  EXPECT_EQ(env_.RenameFile("d/f", "d/h"), crash);
  EXPECT_EQ(env_.RemoveFile("d/r"), crash);
  EXPECT_EQ(env_.CreateDirs("d/x"), crash);
  EXPECT_EQ(env_.SyncDir("d"), crash);
  EXPECT_EQ(Get(&env_, "d/r"), "readable");
  EXPECT_TRUE(env_.ListDir("d").ok());
  ASSERT_OK(env_.SimulateCrash());
  EXPECT_FALSE(env_.crash_point_reached());
  EXPECT_EQ(Get(&mem_, "d/f"), "a");
  ASSERT_OK(env_.RemoveFile("d/r"));  // works again

  env_.CrashAfterSyncPoints(0);
  EXPECT_TRUE(env_.crash_point_reached());
  EXPECT_EQ(env_.CreateDirs("d/y"), crash);
}

TEST_F(FaultInjectionEnvTest, DirectoryRenameCarriesPendingState) {
  ASSERT_OK(mem_.CreateDirs("d/p"));
  Write("d/p/synced", "s");
  ASSERT_OK(env_.SyncDir("d/p"));
  Write("d/p/unsynced", "u");
  ASSERT_OK(env_.RenameFile("d/p", "d/q"));
  ASSERT_OK(env_.SimulateCrash());
  EXPECT_FALSE(mem_.FileExists("d/p"));
  EXPECT_EQ(Get(&mem_, "d/q/synced"), "s");
  EXPECT_EQ(Get(&mem_, "d/q/unsynced"), std::nullopt);
}

// The model does not depend on MemEnv: the same works on disk.
TEST(FaultInjectionEnvPosixTest, CrashModelOnPosixEnv) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / StrCat("lode_fault_env_test_", ::getpid());
  std::filesystem::remove_all(dir);
  const std::string d = dir.string();
  ASSERT_OK(Env::Default()->CreateDirs(d));
  Put(Env::Default(), d + "/cur", "old");
  {
    FaultInjectionEnv env(Env::Default());
    auto f = env.NewWritableFile(d + "/wal");
    ASSERT_TRUE(f.ok());
    ASSERT_OK((*f)->Append("synced;"));
    ASSERT_OK((*f)->Sync());
    ASSERT_OK(env.SyncDir(d));
    ASSERT_OK((*f)->Append("unsynced;"));
    ASSERT_OK((*f)->Close());
    Put(&env, d + "/tmp", "new");
    ASSERT_OK(env.RenameFile(d + "/tmp", d + "/cur"));
    ASSERT_OK(env.SimulateCrash());
    EXPECT_EQ(Get(Env::Default(), d + "/wal"), "synced;");
    EXPECT_EQ(Get(Env::Default(), d + "/cur"), "old");
    EXPECT_EQ(Get(Env::Default(), d + "/tmp"), std::nullopt);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lode::storage
