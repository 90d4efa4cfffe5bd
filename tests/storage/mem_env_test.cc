#include "storage/mem_env.h"

#include <filesystem>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include <gtest/gtest.h>
#include <unistd.h>

#include "common/strings.h"
#include "storage/env.h"

namespace lode::storage {
namespace {

using Code = absl::StatusCode;

// One operation of a conformance case. Paths are relative to the case's root directory.
enum class Kind {
  kMkdirs,      // CreateDirs(a)
  kWrite,       // NewWritableFile(a) + Append(b) + Sync + Close
  kRead,        // ReadFileToString(a) -> content
  kSize,        // FileSize(a) -> size
  kExists,      // FileExists(a) -> "true"/"false"
  kList,        // ListDir(a) -> "n1,n2"
  kRename,      // RenameFile(a, b)
  kRemove,      // RemoveFile(a)
  kRemoveDir,   // RemoveDir(a)
  kSyncDir,     // SyncDir(a)
  kOpen,        // NewWritableFile(a), kept as writer `a`
  kAppend,      // writer a: Append(b)
  kSync,        // writer a: Sync()
  kClose,       // writer a: Close()
  kOpenReader,  // NewRandomAccessFile(a), kept as reader `a`
  kReaderRead,  // reader a: Read(offset, n) with b = "offset,n" -> bytes
  kReaderSize,  // reader a: Size()
  kLock,        // LockFile(a), kept as lock `b`
  kUnlock,      // destroys lock `b`
};

struct Step {
  Kind kind;
  std::string a;
  std::string b;
  Code want;
  // When set, the value the step must produce (content, listing, size...).
  std::optional<std::string> want_value = std::nullopt;
};

struct Case {
  std::string name;
  std::vector<Step> steps;
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

// Runs steps against one Env under `root`, keeping the open files and locks between steps.
class Runner {
 public:
  Runner(Env* env, std::string root) : env_(env), root_(std::move(root)) {}

  // "CODE" or "OK value".
  std::string Run(const Step& s) {
    std::string value;
    absl::Status st = Do(s, &value);
    std::string out = absl::StatusCodeToString(st.code());
    if (st.ok() && !value.empty()) StrAppend(&out, " ", value);
    return out;
  }

 private:
  std::string P(const std::string& rel) const {
    if (rel.empty()) return "";
    return StrCat(root_, "/", rel);
  }

  absl::Status Do(const Step& s, std::string* value) {
    switch (s.kind) {
      case Kind::kMkdirs:
        return env_->CreateDirs(P(s.a));
      case Kind::kWrite: {
        auto f = env_->NewWritableFile(P(s.a));
        if (!f.ok()) return f.status();
        absl::Status st = (*f)->Append(s.b);
        if (st.ok()) st = (*f)->Sync();
        if (st.ok()) st = (*f)->Close();
        return st;
      }
      case Kind::kRead:
        return env_->ReadFileToString(P(s.a), value);
      case Kind::kSize: {
        auto size = env_->FileSize(P(s.a));
        if (size.ok()) *value = StrCat(*size);
        return size.status();
      }
      case Kind::kExists:
        *value = env_->FileExists(P(s.a)) ? "true" : "false";
        return absl::OkStatus();
      case Kind::kList: {
        auto names = env_->ListDir(P(s.a));
        if (!names.ok()) return names.status();
        for (const std::string& n : *names) StrAppend(value, value->empty() ? "" : ",", n);
        return absl::OkStatus();
      }
      case Kind::kRename:
        return env_->RenameFile(P(s.a), P(s.b));
      case Kind::kRemove:
        return env_->RemoveFile(P(s.a));
      case Kind::kRemoveDir:
        return env_->RemoveDir(P(s.a));
      case Kind::kSyncDir:
        return env_->SyncDir(P(s.a));
      case Kind::kOpen: {
        auto f = env_->NewWritableFile(P(s.a));
        if (!f.ok()) return f.status();
        writers_[s.a] = *std::move(f);
        return absl::OkStatus();
      }
      case Kind::kAppend:
        return writers_.at(s.a)->Append(s.b);
      case Kind::kSync:
        return writers_.at(s.a)->Sync();
      case Kind::kClose:
        return writers_.at(s.a)->Close();
      case Kind::kOpenReader: {
        auto f = env_->NewRandomAccessFile(P(s.a));
        if (!f.ok()) return f.status();
        readers_[s.a] = *std::move(f);
        return absl::OkStatus();
      }
      case Kind::kReaderRead: {
        const size_t comma = s.b.find(',');
        const uint64_t offset = std::stoull(s.b.substr(0, comma));
        const size_t n = std::stoull(s.b.substr(comma + 1));
        std::string scratch;
        std::string_view result;
        absl::Status st = readers_.at(s.a)->Read(offset, n, &scratch, &result);
        if (st.ok()) value->assign(result);
        return st;
      }
      case Kind::kReaderSize:
        *value = StrCat(readers_.at(s.a)->Size());
        return absl::OkStatus();
      case Kind::kLock: {
        auto lock = env_->LockFile(P(s.a));
        if (!lock.ok()) return lock.status();
        locks_[s.b] = *std::move(lock);
        return absl::OkStatus();
      }
      case Kind::kUnlock:
        locks_.erase(s.b);
        return absl::OkStatus();
    }
    return absl::InternalError("unknown step");
  }

  Env* env_;
  std::string root_;
  std::map<std::string, std::unique_ptr<WritableFile>> writers_;
  std::map<std::string, std::unique_ptr<RandomAccessFile>> readers_;
  std::map<std::string, std::unique_ptr<FileLock>> locks_;
};

constexpr Code kOk = Code::kOk;
constexpr Code kNotFound = Code::kNotFound;
constexpr Code kUnavailable = Code::kUnavailable;
constexpr Code kFailedPrecondition = Code::kFailedPrecondition;
constexpr Code kOutOfRange = Code::kOutOfRange;

std::vector<Case> Cases() {
  return {
      {"Files",
       {
           {Kind::kMkdirs, "d", "", kOk},
           {Kind::kWrite, "d/a", "hello", kOk},
           {Kind::kRead, "d/a", "", kOk, "hello"},
           {Kind::kSize, "d/a", "", kOk, "5"},
           {Kind::kExists, "d/a", "", kOk, "true"},
           {Kind::kExists, "d", "", kOk, "true"},
           {Kind::kExists, "d/b", "", kOk, "false"},
           {Kind::kExists, "", "", kOk, "false"},
           {Kind::kRead, "d/b", "", kNotFound},
           {Kind::kRead, "", "", kNotFound},
           {Kind::kSize, "d/b", "", kNotFound},
           {Kind::kWrite, "missing/a", "x", kNotFound},
           {Kind::kWrite, "d", "x", kUnavailable},
           {Kind::kRead, "d", "", kUnavailable},
           {Kind::kWrite, "d/a/x", "x", kUnavailable},
           {Kind::kRead, "d/a/x", "", kUnavailable},
           {Kind::kList, "d", "", kOk, "a"},
           {Kind::kList, "missing", "", kNotFound},
           {Kind::kList, "d/a", "", kUnavailable},
           {Kind::kWrite, "d/a", "", kOk},  // truncates
           {Kind::kRead, "d/a", "", kOk, ""},
           {Kind::kSize, "d/a", "", kOk, "0"},
           {Kind::kRemove, "d/a", "", kOk},
           {Kind::kRemove, "d/a", "", kNotFound},
           {Kind::kRemove, "d", "", kUnavailable},
           {Kind::kList, "d", "", kOk, ""},
       }},
      {"Dirs",
       {
           {Kind::kMkdirs, "a/b/c", "", kOk},
           {Kind::kMkdirs, "a/b/c", "", kOk},
           {Kind::kMkdirs, "a/b", "", kOk},
           {Kind::kList, "a", "", kOk, "b"},
           {Kind::kWrite, "a/f", "1", kOk},
           {Kind::kWrite, "a/e", "2", kOk},
           {Kind::kList, "a", "", kOk, "b,e,f"},
           {Kind::kMkdirs, "a/f", "", kFailedPrecondition},
           {Kind::kMkdirs, "a/f/g", "", kUnavailable},
           {Kind::kMkdirs, "", "", kNotFound},
           {Kind::kRemoveDir, "a", "", kUnavailable},  // not empty
           {Kind::kRemoveDir, "a/b/c", "", kOk},
           {Kind::kRemoveDir, "a/b/c", "", kNotFound},
           {Kind::kRemoveDir, "a/f", "", kUnavailable},
           {Kind::kRemove, "a/b", "", kUnavailable},
           {Kind::kSyncDir, "a", "", kOk},
           {Kind::kSyncDir, "a/f", "", kUnavailable},
           {Kind::kSyncDir, "nope", "", kNotFound},
           {Kind::kList, "a/b", "", kOk, ""},
           {Kind::kSize, "a/f", "", kOk, "1"},
           {Kind::kExists, "a/b", "", kOk, "true"},
           {Kind::kExists, "a/b/c", "", kOk, "false"},
       }},
      {"Rename",
       {
           {Kind::kWrite, "x", "1", kOk},
           {Kind::kWrite, "y", "2", kOk},
           {Kind::kRename, "x", "y", kOk},  // replaces y
           {Kind::kRead, "y", "", kOk, "1"},
           {Kind::kExists, "x", "", kOk, "false"},
           {Kind::kRename, "x", "y", kNotFound},
           {Kind::kRename, "y", "nodir/z", kNotFound},
           {Kind::kRename, "y", "y", kOk},
           {Kind::kRead, "y", "", kOk, "1"},
           {Kind::kMkdirs, "d/sub", "", kOk},
           {Kind::kMkdirs, "e", "", kOk},
           {Kind::kRename, "y", "d", kUnavailable},         // file onto directory
           {Kind::kRename, "e", "y", kUnavailable},         // directory onto file
           {Kind::kRename, "e", "d", kUnavailable},         // onto a non-empty directory
           {Kind::kRename, "d", "d/sub/in", kUnavailable},  // into itself
           {Kind::kRename, "y", "y/z", kUnavailable},
           {Kind::kRename, "d", "f", kOk},  // directories move with their content
           {Kind::kList, ".", "", kOk, "e,f,y"},
           {Kind::kList, "f", "", kOk, "sub"},
           {Kind::kWrite, "f/sub/in", "z", kOk},
           {Kind::kRename, "f/sub", "e", kOk},  // onto an empty directory
           {Kind::kRead, "e/in", "", kOk, "z"},
           {Kind::kRename, "y", "e/in", kOk},
           {Kind::kRead, "e/in", "", kOk, "1"},
           {Kind::kList, ".", "", kOk, "e,f"},
       }},
      {"Writer",
       {
           {Kind::kOpen, "a.log", "", kOk},
           {Kind::kAppend, "a.log", "ab", kOk},
           {Kind::kAppend, "a.log", "", kOk},
           {Kind::kAppend, "a.log", "cd", kOk},
           {Kind::kSync, "a.log", "", kOk},
           {Kind::kRead, "a.log", "", kOk, "abcd"},  // visible before Close
           {Kind::kClose, "a.log", "", kOk},
           {Kind::kAppend, "a.log", "x", kUnavailable},
           {Kind::kSync, "a.log", "", kUnavailable},
           {Kind::kClose, "a.log", "", kOk},
           {Kind::kRead, "a.log", "", kOk, "abcd"},
           {Kind::kOpen, "a.log", "", kOk},  // truncates
           {Kind::kRead, "a.log", "", kOk, ""},
           {Kind::kClose, "a.log", "", kOk},
           // A writer follows its file across a rename, and writes nowhere after a remove.
           {Kind::kOpen, "b.log", "", kOk},
           {Kind::kAppend, "b.log", "1", kOk},
           {Kind::kRename, "b.log", "c.log", kOk},
           {Kind::kAppend, "b.log", "2", kOk},
           {Kind::kClose, "b.log", "", kOk},
           {Kind::kRead, "c.log", "", kOk, "12"},
           {Kind::kOpen, "d.log", "", kOk},
           {Kind::kAppend, "d.log", "x", kOk},
           {Kind::kRemove, "d.log", "", kOk},
           {Kind::kAppend, "d.log", "y", kOk},
           {Kind::kSync, "d.log", "", kOk},
           {Kind::kClose, "d.log", "", kOk},
           {Kind::kList, ".", "", kOk, "a.log,c.log"},
       }},
      {"ReaderSnapshot",
       {
           {Kind::kWrite, "f", "old", kOk},
           {Kind::kOpenReader, "f", "", kOk},
           {Kind::kReaderSize, "f", "", kOk, "3"},
           {Kind::kWrite, "g", "newer", kOk},
           {Kind::kRename, "g", "f", kOk},
           {Kind::kReaderRead, "f", "0,3", kOk, "old"},
           {Kind::kRead, "f", "", kOk, "newer"},
           {Kind::kRemove, "f", "", kOk},
           {Kind::kReaderRead, "f", "1,2", kOk, "ld"},
           {Kind::kReaderRead, "f", "3,0", kOk, ""},
           {Kind::kReaderRead, "f", "2,2", kOutOfRange},
           {Kind::kReaderRead, "f", "4,0", kOutOfRange},
           {Kind::kWrite, "empty", "", kOk},
           {Kind::kOpenReader, "empty", "", kOk},
           {Kind::kReaderSize, "empty", "", kOk, "0"},
           {Kind::kReaderRead, "empty", "0,0", kOk, ""},
           {Kind::kReaderRead, "empty", "0,1", kOutOfRange},
           {Kind::kOpenReader, "nope", "", kNotFound},
           {Kind::kMkdirs, "dir", "", kOk},
           {Kind::kOpenReader, "dir", "", kUnavailable},
       }},
      {"Locks",
       {
           {Kind::kLock, "LOCK", "l1", kOk},
           {Kind::kExists, "LOCK", "", kOk, "true"},
           {Kind::kSize, "LOCK", "", kOk, "0"},
           {Kind::kLock, "LOCK", "l2", kFailedPrecondition},
           {Kind::kUnlock, "", "l1", kOk},
           {Kind::kLock, "LOCK", "l2", kOk},
           // The lock follows the file, not the name.
           {Kind::kRename, "LOCK", "LOCK2", kOk},
           {Kind::kLock, "LOCK2", "l3", kFailedPrecondition},
           {Kind::kLock, "LOCK", "l3", kOk},
           {Kind::kUnlock, "", "l2", kOk},
           {Kind::kLock, "LOCK2", "l4", kOk},
           {Kind::kWrite, "data", "keep", kOk},
           {Kind::kLock, "data", "l5", kOk},  // never truncates
           {Kind::kRead, "data", "", kOk, "keep"},
           {Kind::kLock, "missing/LOCK", "l6", kNotFound},
           {Kind::kMkdirs, "dir", "", kOk},
           {Kind::kLock, "dir", "l6", kUnavailable},
       }},
      {"Paths",
       {
           {Kind::kMkdirs, "d/", "", kOk},
           {Kind::kWrite, "d//a", "1", kOk},
           {Kind::kRead, "d/./a", "", kOk, "1"},
           {Kind::kRead, "d/../d/a", "", kOk, "1"},
           {Kind::kList, "d/", "", kOk, "a"},
           {Kind::kRead, "d/a/", "", kUnavailable},
           {Kind::kWrite, "d/new/", "x", kUnavailable},
           {Kind::kMkdirs, "d/a/", "", kUnavailable},
           {Kind::kRemoveDir, "d/", "", kUnavailable},
           {Kind::kRemove, "d/a/", "", kUnavailable},
           {Kind::kSyncDir, "d/", "", kOk},
           {Kind::kList, ".", "", kOk, "d"},
       }},
  };
}

std::filesystem::path ScratchDir(const std::string& name) {
  return std::filesystem::temp_directory_path() /
         StrCat("lode_mem_env_test_", ::getpid(), "_", name);
}

class ConformanceTest : public ::testing::TestWithParam<Case> {};

TEST_P(ConformanceTest, MemEnvAnswersLikePosixEnv) {
  const Case& c = GetParam();
  const std::filesystem::path dir = ScratchDir(c.name);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(Env::Default()->CreateDirs(dir.string()).ok());
  MemEnv mem;
  ASSERT_TRUE(mem.CreateDirs(dir.string()).ok());
  {
    Runner posix_runner(Env::Default(), dir.string());
    Runner mem_runner(&mem, dir.string());
    for (size_t i = 0; i < c.steps.size(); ++i) {
      const Step& s = c.steps[i];
      const std::string where =
          StrCat("step ", i, " (kind ", static_cast<int>(s.kind), " '", s.a, "' '", s.b, "')");
      const std::string posix = posix_runner.Run(s);
      const std::string in_mem = mem_runner.Run(s);
      EXPECT_EQ(in_mem, posix) << where;
      std::string want = absl::StatusCodeToString(s.want);
      if (s.want_value.has_value() && !s.want_value->empty()) StrAppend(&want, " ", *s.want_value);
      if (s.want == kOk && !s.want_value.has_value()) {
        EXPECT_EQ(posix.substr(0, 2), "OK") << where << ": " << posix;
      } else {
        EXPECT_EQ(posix, want) << where;
      }
    }
  }
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Cases, ConformanceTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.name;
                         });

TEST(MemEnvTest, RelativeAndAbsolutePathsNameTheSameFile) {
  MemEnv env;
  ASSERT_TRUE(env.CreateDirs("a/b").ok());
  auto f = env.NewWritableFile("/a/b/f");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append("x").ok());
  std::string out;
  ASSERT_TRUE(env.ReadFileToString("a/b/f", &out).ok());
  EXPECT_EQ(out, "x");
  auto root = env.ListDir("/");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(*root, std::vector<std::string>{"a"});
  EXPECT_EQ(env.RemoveDir("/").code(), Code::kUnavailable);
  EXPECT_EQ(env.RenameFile("/", "x").code(), Code::kUnavailable);
  EXPECT_EQ(env.NewWritableFile("/").status().code(), Code::kUnavailable);
}

TEST(MemEnvTest, ClockIsSettable) {
  MemEnv env;
  EXPECT_EQ(env.NowNanos(), MemEnv::kDefaultNowNanos);
  EXPECT_EQ(env.NowNanos(), env.NowNanos());
  env.AdvanceNanos(1500);
  EXPECT_EQ(env.NowNanos(), MemEnv::kDefaultNowNanos + 1500);
  env.SetNowNanos(42);
  EXPECT_EQ(env.NowNanos(), 42);
  env.AdvanceNanos(-2);
  EXPECT_EQ(env.NowNanos(), 40);
}

TEST(MemEnvTest, ReaderKeepsBytesAcrossTruncationAndAppend) {
  MemEnv env;
  auto w = env.NewWritableFile("f");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Append("abc").ok());
  auto r = env.NewRandomAccessFile("f");
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE((*w)->Append("def").ok());  // copy on write: the reader keeps "abc"
  std::string scratch;
  std::string_view got;
  ASSERT_TRUE((*r)->Read(0, 3, &scratch, &got).ok());
  EXPECT_EQ(got, "abc");
  EXPECT_EQ((*r)->Size(), 3u);
  auto w2 = env.NewWritableFile("f");  // truncates
  ASSERT_TRUE(w2.ok());
  ASSERT_TRUE((*r)->Read(0, 3, &scratch, &got).ok());
  EXPECT_EQ(got, "abc");
  std::string now;
  ASSERT_TRUE(env.ReadFileToString("f", &now).ok());
  EXPECT_EQ(now, "");
  // The first writer still refers to the same (now truncated) file.
  ASSERT_TRUE((*w)->Append("g").ok());
  ASSERT_TRUE(env.ReadFileToString("f", &now).ok());
  EXPECT_EQ(now, "g");
}

TEST(MemEnvTest, TotalFileBytesAndCapacity) {
  MemEnv env;
  EXPECT_EQ(env.TotalFileBytes(), 0u);
  ASSERT_TRUE(env.CreateDirs("d/e").ok());
  auto a = env.NewWritableFile("d/a");
  auto b = env.NewWritableFile("d/e/b");
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*a)->Append(std::string(100, 'a')).ok());
  ASSERT_TRUE((*b)->Append(std::string(50, 'b')).ok());
  EXPECT_EQ(env.TotalFileBytes(), 150u);

  env.SetCapacityBytes(200);
  ASSERT_TRUE((*a)->Append(std::string(50, 'a')).ok());  // exactly full
  absl::Status full = (*b)->Append("x");
  EXPECT_EQ(full.code(), Code::kResourceExhausted) << full;
  EXPECT_EQ(*env.FileSize("d/e/b"), 50u);  // nothing of the failed Append landed
  EXPECT_EQ(env.TotalFileBytes(), 200u);

  ASSERT_TRUE(env.RemoveFile("d/a").ok());  // frees space, even with a writer open
  EXPECT_EQ(env.TotalFileBytes(), 50u);
  ASSERT_TRUE((*b)->Append("xyz").ok());
  std::string content;
  ASSERT_TRUE(env.ReadFileToString("d/e/b", &content).ok());
  EXPECT_EQ(content, std::string(50, 'b') + "xyz");

  env.SetCapacityBytes(std::nullopt);
  ASSERT_TRUE((*b)->Append(std::string(1000, 'c')).ok());
  EXPECT_EQ(env.TotalFileBytes(), 1053u);
}

TEST(MemEnvTest, LocksAreReleasedWithTheLockObject) {
  MemEnv env;
  {
    auto lock = env.LockFile("LOCK");
    ASSERT_TRUE(lock.ok());
    EXPECT_EQ(env.LockFile("LOCK").status().code(), Code::kFailedPrecondition);
    EXPECT_EQ(env.LockFile("./LOCK").status().code(), Code::kFailedPrecondition);
  }
  EXPECT_TRUE(env.LockFile("LOCK").ok());
  // Another MemEnv is another machine: its locks are its own.
  MemEnv other;
  auto held = env.LockFile("LOCK");
  ASSERT_TRUE(held.ok());
  EXPECT_TRUE(other.LockFile("LOCK").ok());
}

// Writers append while readers take snapshots, on several threads: every snapshot must be a
// prefix of the final content, and the sanitizers see no race or use-after-free.
TEST(MemEnvTest, ConcurrentWritersAndReaders) {
  MemEnv env;
  constexpr int kThreads = 4;
  constexpr int kAppends = 300;
  auto chunk = [](int t, int i) { return StrCat("<", t, ":", i, ">"); };
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_TRUE(env.CreateDirs(StrCat("t", t)).ok());
  }
  std::vector<int> bad_snapshots(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string path = StrCat("t", t, "/f");
      auto w = env.NewWritableFile(path);
      if (!w.ok()) return;
      std::string expected;
      for (int i = 0; i < kAppends; ++i) {
        expected += chunk(t, i);
        if (!(*w)->Append(chunk(t, i)).ok()) return;
        // Read another thread's file too.
        const std::string other = StrCat("t", (t + 1) % kThreads, "/f");
        auto r = env.NewRandomAccessFile(i % 2 == 0 ? path : other);
        if (!r.ok()) continue;  // the other thread may not have created it yet
        std::string scratch;
        std::string_view got;
        if (!(*r)->Read(0, (*r)->Size(), &scratch, &got).ok()) ++bad_snapshots[t];
        if (i % 2 == 0 && got != expected) ++bad_snapshots[t];
        env.ListDir(StrCat("t", t)).IgnoreError();
      }
      (*w)->Close().IgnoreError();
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(bad_snapshots[t], 0) << "thread " << t;
    std::string content;
    ASSERT_TRUE(env.ReadFileToString(StrCat("t", t, "/f"), &content).ok());
    std::string want;
    for (int i = 0; i < kAppends; ++i) want += chunk(t, i);
    EXPECT_EQ(content, want);
  }
}

}  // namespace
}  // namespace lode::storage
