#include "storage/fault_injection_env.h"

#include <algorithm>
#include <utility>

#include "common/status_macros.h"
#include "common/strings.h"

namespace lode::storage {
namespace {

// Lexical normal form: no duplicate '/', no "." or "..", no trailing '/'; "." for an empty
// relative path.
std::string Normalize(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string_view::npos) next = path.size();
    std::string_view part = path.substr(pos, next - pos);
    pos = next + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  const bool absolute = !path.empty() && path.front() == '/';
  if (parts.empty()) return absolute ? "/" : ".";
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (absolute || i > 0) out.push_back('/');
    out.append(parts[i].data(), parts[i].size());
  }
  return out;
}

// The directory of a normalized path.
std::string DirOf(const std::string& norm) {
  size_t slash = norm.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return norm.substr(0, slash);
}

// Whether normalized `path` is `dir` or lies below it.
bool IsUnder(const std::string& path, const std::string& dir) {
  if (path == dir) return true;
  if (dir == "/") return path.starts_with('/');
  return path.size() > dir.size() && path.starts_with(dir) && path[dir.size()] == '/';
}

absl::Status SimulatedCrashError() { return absl::UnavailableError("simulated crash"); }
absl::Status NoSpaceError() { return absl::ResourceExhaustedError("no space left on device"); }

}  // namespace

// A file's durability state. Identity matters: several names (a live one and the durable ones
// of pending records) can point to the same Inode, as they would to one inode on disk.
struct FaultInjectionEnv::Inode {
  uint64_t size = 0;    // bytes appended (or present when tracking started)
  uint64_t synced = 0;  // prefix that survives a crash
  std::string path;     // current name in the target; empty once it has none
  std::optional<std::string> unlinked_content;  // content when it lost its name, if needed
};

// Forwards to the target's file through the env, which does the bookkeeping under its mutex.
class FaultInjectionEnv::File final : public WritableFile {
 public:
  File(FaultInjectionEnv* env, std::unique_ptr<WritableFile> target, std::shared_ptr<Inode> inode,
       uint64_t epoch)
      : env_(env), target_(std::move(target)), inode_(std::move(inode)), epoch_(epoch) {}
  absl::Status Append(std::string_view data) override { return env_->FileAppend(this, data); }
  absl::Status Sync() override { return env_->FileSync(this); }
  absl::Status Close() override { return env_->FileClose(this); }

 private:
  friend class FaultInjectionEnv;
  FaultInjectionEnv* env_;
  std::unique_ptr<WritableFile> target_;
  std::shared_ptr<Inode> inode_;
  uint64_t epoch_;
};

std::string_view FaultInjectionEnv::OpName(Op op) {
  switch (op) {
    case Op::kCreate:
      return "Create";
    case Op::kAppend:
      return "Append";
    case Op::kSync:
      return "Sync";
    case Op::kClose:
      return "Close";
    case Op::kRename:
      return "Rename";
    case Op::kRemove:
      return "Remove";
    case Op::kCreateDir:
      return "CreateDir";
    case Op::kRemoveDir:
      return "RemoveDir";
    case Op::kSyncDir:
      return "SyncDir";
    case Op::kAny:
      return "Any";
  }
  return "?";
}

FaultInjectionEnv::FaultInjectionEnv(Env* target) : EnvWrapper(target) {}

FaultInjectionEnv::~FaultInjectionEnv() = default;

absl::Status FaultInjectionEnv::Check(Op op) {
  ++counts_[static_cast<int>(op)];
  ++counts_[static_cast<int>(Op::kAny)];
  if (crashed_) return SimulatedCrashError();
  absl::Status result;
  for (Rule& rule : rules_) {
    if (rule.op != op && rule.op != Op::kAny) continue;
    if (++rule.seen >= rule.n && result.ok()) result = rule.error;
  }
  return result;
}

void FaultInjectionEnv::OnSyncPoint() {
  ++sync_points_;
  if (crash_armed_ && !crashed_ && --crash_remaining_ <= 0) crashed_ = true;
}

std::shared_ptr<FaultInjectionEnv::Inode> FaultInjectionEnv::LiveInode(const std::string& path) {
  auto it = live_.find(path);
  if (it != live_.end()) return it->second;
  if (!target()->FileExists(path) || target()->ListDir(path).ok()) return nullptr;
  auto size = target()->FileSize(path);
  if (!size.ok()) return nullptr;
  auto inode = std::make_shared<Inode>();
  inode->size = inode->synced = *size;
  inode->path = path;
  live_.emplace(path, inode);
  return inode;
}

bool FaultInjectionEnv::Referenced(const Inode* inode) const {
  for (const auto& [path, record] : pending_) {
    if (record.durable.get() == inode) return true;
  }
  return false;
}

absl::StatusOr<std::optional<std::string>> FaultInjectionEnv::CaptureIfNeeded(
    const std::shared_ptr<Inode>& inode, bool will_be_referenced) {
  if (inode == nullptr || (!will_be_referenced && !Referenced(inode.get()))) {
    return std::optional<std::string>();
  }
  std::string content;
  RETURN_IF_ERROR(target()->ReadFileToString(inode->path, &content));
  return std::optional<std::string>(std::move(content));
}

absl::StatusOr<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewWritableFile(
    const std::string& path) {
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(Check(Op::kCreate));
  if (no_space_) return NoSpaceError();
  const std::string norm = Normalize(path);
  std::shared_ptr<Inode> inode = LiveInode(norm);
  auto file = target()->NewWritableFile(path);
  if (!file.ok()) return file.status();
  if (inode != nullptr) {
    // Truncation keeps the file (and its name), durably empty.
    inode->size = inode->synced = 0;
  } else {
    pending_.try_emplace(norm, Record{nullptr, DirOf(norm)});
    inode = std::make_shared<Inode>();
    inode->path = norm;
    live_[norm] = inode;
  }
  return std::make_unique<File>(this, *std::move(file), std::move(inode), epoch_);
}

absl::Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(Check(Op::kRename));
  const std::string src = Normalize(from);
  const std::string dst = Normalize(to);
  if (src != dst && target()->ListDir(from).ok()) {
    RETURN_IF_ERROR(target()->RenameFile(from, to));
    RekeyDir(src, dst);
    OnSyncPoint();
    return absl::OkStatus();
  }
  if (src == dst) {
    RETURN_IF_ERROR(target()->RenameFile(from, to));
    OnSyncPoint();
    return absl::OkStatus();
  }
  std::shared_ptr<Inode> moved = LiveInode(src);
  std::shared_ptr<Inode> replaced = LiveInode(dst);
  ASSIGN_OR_RETURN(std::optional<std::string> replaced_content,
                   CaptureIfNeeded(replaced, !pending_.contains(dst)));
  RETURN_IF_ERROR(target()->RenameFile(from, to));
  // Both halves become durable with the target's directory.
  pending_.try_emplace(src, Record{moved, DirOf(dst)});
  pending_.try_emplace(dst, Record{replaced, DirOf(dst)});
  live_.erase(src);
  if (replaced != nullptr) {
    replaced->unlinked_content = std::move(replaced_content);
    replaced->path.clear();
  }
  if (moved != nullptr) {
    moved->path = dst;
    live_[dst] = moved;
  } else {
    live_.erase(dst);
  }
  OnSyncPoint();
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::RemoveFile(const std::string& path) {
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(Check(Op::kRemove));
  const std::string norm = Normalize(path);
  std::shared_ptr<Inode> inode = LiveInode(norm);
  ASSIGN_OR_RETURN(std::optional<std::string> content,
                   CaptureIfNeeded(inode, !pending_.contains(norm)));
  RETURN_IF_ERROR(target()->RemoveFile(path));
  pending_.try_emplace(norm, Record{inode, DirOf(norm)});
  live_.erase(norm);
  if (inode != nullptr) {
    inode->unlinked_content = std::move(content);
    inode->path.clear();
  }
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::CreateDirs(const std::string& path) {
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(Check(Op::kCreateDir));
  if (no_space_ && !target()->FileExists(path)) return NoSpaceError();
  return target()->CreateDirs(path);
}

absl::Status FaultInjectionEnv::SyncDir(const std::string& path) {
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(Check(Op::kSyncDir));
  RETURN_IF_ERROR(target()->SyncDir(path));
  const std::string norm = Normalize(path);
  std::erase_if(pending_, [&](const auto& entry) { return entry.second.sync_dir == norm; });
  OnSyncPoint();
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::RemoveDir(const std::string& path) {
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(Check(Op::kRemoveDir));
  RETURN_IF_ERROR(target()->RemoveDir(path));
  // The directory was empty, so its pending removals now hang on its parent's entry for it.
  const std::string norm = Normalize(path);
  const std::string parent = DirOf(norm);
  for (auto& [name, record] : pending_) {
    if (IsUnder(record.sync_dir, norm)) record.sync_dir = parent;
  }
  return absl::OkStatus();
}

void FaultInjectionEnv::RekeyDir(const std::string& from, const std::string& to) {
  auto moved_name = [&](const std::string& path) { return to + path.substr(from.size()); };
  // The replaced (empty) directory's pending entries describe a directory that is gone.
  std::erase_if(pending_, [&](const auto& entry) { return IsUnder(entry.first, to); });
  std::map<std::string, Record> pending;
  for (auto& [path, record] : pending_) {
    if (IsUnder(record.sync_dir, from)) record.sync_dir = moved_name(record.sync_dir);
    pending.emplace(IsUnder(path, from) ? moved_name(path) : path, std::move(record));
  }
  pending_ = std::move(pending);
  std::map<std::string, std::shared_ptr<Inode>> live;
  for (auto& [path, inode] : live_) {
    if (IsUnder(path, from)) inode->path = moved_name(path);
    live.emplace(inode->path, std::move(inode));
  }
  live_ = std::move(live);
}

absl::Status FaultInjectionEnv::FileAppend(File* file, std::string_view data) {
  absl::MutexLock lock(&mu_);
  if (file->epoch_ != epoch_) return absl::UnavailableError("file opened before a simulated crash");
  RETURN_IF_ERROR(Check(Op::kAppend));
  if (no_space_ && !data.empty()) return NoSpaceError();
  RETURN_IF_ERROR(file->target_->Append(data));
  file->inode_->size += data.size();
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::FileSync(File* file) {
  absl::MutexLock lock(&mu_);
  if (file->epoch_ != epoch_) return absl::UnavailableError("file opened before a simulated crash");
  RETURN_IF_ERROR(Check(Op::kSync));
  RETURN_IF_ERROR(file->target_->Sync());
  file->inode_->synced = file->inode_->size;
  OnSyncPoint();
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::FileClose(File* file) {
  absl::MutexLock lock(&mu_);
  if (file->epoch_ != epoch_) {
    file->target_->Close().IgnoreError();
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(Check(Op::kClose));
  return file->target_->Close();
}

absl::Status FaultInjectionEnv::SimulateCrash() {
  absl::MutexLock lock(&mu_);
  ++epoch_;
  // First decide every surviving file's content, reading the target before changing any of it:
  // restoring one name can overwrite the file another name must get back.
  std::map<const Inode*, std::string> contents;
  auto durable_content = [&](const Inode& inode) -> absl::StatusOr<std::string> {
    auto it = contents.find(&inode);
    if (it != contents.end()) return it->second;
    std::string content;
    if (inode.unlinked_content.has_value()) {
      content = *inode.unlinked_content;
    } else if (!inode.path.empty()) {
      RETURN_IF_ERROR(target()->ReadFileToString(inode.path, &content));
    }
    content.resize(std::min<uint64_t>(content.size(), inode.synced));
    return contents.emplace(&inode, std::move(content)).first->second;
  };
  std::map<std::string, std::optional<std::string>> want;
  for (const auto& [path, record] : pending_) {
    if (record.durable == nullptr) {
      want[path] = std::nullopt;
    } else {
      ASSIGN_OR_RETURN(want[path], durable_content(*record.durable));
    }
  }
  for (const auto& [path, inode] : live_) {
    if (pending_.contains(path)) continue;
    ASSIGN_OR_RETURN(want[path], durable_content(*inode));
  }
  for (const auto& [path, content] : want) {
    if (!content.has_value()) {
      if (target()->FileExists(path)) RETURN_IF_ERROR(target()->RemoveFile(path));
      continue;
    }
    std::string current;
    if (target()->ReadFileToString(path, &current).ok() && current == *content) continue;
    RETURN_IF_ERROR(target()->CreateDirs(DirOf(path)));
    ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, target()->NewWritableFile(path));
    RETURN_IF_ERROR(file->Append(*content));
    RETURN_IF_ERROR(file->Sync());
    RETURN_IF_ERROR(file->Close());
  }
  live_.clear();
  pending_.clear();
  rules_.clear();
  no_space_ = false;
  crash_armed_ = false;
  crashed_ = false;
  return absl::OkStatus();
}

void FaultInjectionEnv::FailAfter(Op op, int n, absl::Status error) {
  absl::MutexLock lock(&mu_);
  rules_.push_back(Rule{op, std::max(n, 1), 0, std::move(error)});
}

void FaultInjectionEnv::SetNoSpace(bool on) {
  absl::MutexLock lock(&mu_);
  no_space_ = on;
}

void FaultInjectionEnv::ClearFailures() {
  absl::MutexLock lock(&mu_);
  rules_.clear();
  no_space_ = false;
}

void FaultInjectionEnv::CrashAfterSyncPoints(int k) {
  absl::MutexLock lock(&mu_);
  crash_armed_ = true;
  crash_remaining_ = k;
  crashed_ = k <= 0;
}

bool FaultInjectionEnv::crash_point_reached() const {
  absl::MutexLock lock(&mu_);
  return crashed_;
}

int64_t FaultInjectionEnv::count(Op op) const {
  absl::MutexLock lock(&mu_);
  return counts_[static_cast<int>(op)];
}

int64_t FaultInjectionEnv::sync_points() const {
  absl::MutexLock lock(&mu_);
  return sync_points_;
}

void FaultInjectionEnv::ResetCounters() {
  absl::MutexLock lock(&mu_);
  counts_ = {};
  sync_points_ = 0;
}

}  // namespace lode::storage
