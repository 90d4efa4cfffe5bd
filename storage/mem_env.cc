#include "storage/mem_env.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <utility>

#include "common/strings.h"

namespace lode::storage {
namespace {

// The Status PosixEnv returns for `err`, so that both Envs answer with the same codes.
absl::Status PosixError(std::string_view op, std::string_view path, int err) {
  return ErrnoStatus(op, path, err);
}

// A file's bytes as of NewRandomAccessFile. The string is never mutated while shared (writers
// copy on write), so views into it stay valid as long as this object lives.
class MemRandomAccessFile final : public RandomAccessFile {
 public:
  explicit MemRandomAccessFile(std::shared_ptr<const std::string> data) : data_(std::move(data)) {}
  uint64_t Size() const override { return data_->size(); }
  absl::Status Read(uint64_t offset, size_t n, std::string* /*scratch*/,
                    std::string_view* result) const override {
    const uint64_t size = data_->size();
    if (offset > size || n > size - offset) {
      return absl::OutOfRangeError(StrCat("read of ", n, " bytes at ", offset, " past end ", size));
    }
    *result = std::string_view(data_->data() + offset, n);
    return absl::OkStatus();
  }

 private:
  std::shared_ptr<const std::string> data_;
};

}  // namespace

// A file or a directory. Files own their bytes through `data`, which readers share; a shared
// string is replaced rather than mutated (copy on write), under MemEnv::mu_.
struct MemEnv::Node {
  bool is_dir = false;
  std::map<std::string, std::shared_ptr<Node>, std::less<>> children;  // directories only
  std::shared_ptr<std::string> data;                                   // files only, never null
};

class MemEnv::WritableFileImpl final : public WritableFile {
 public:
  WritableFileImpl(MemEnv* env, std::shared_ptr<Node> node, std::string path)
      : env_(env), node_(std::move(node)), path_(std::move(path)) {}
  absl::Status Append(std::string_view data) override {
    if (closed_) return PosixError("write", path_, EBADF);
    absl::Status s = env_->Append(node_.get(), data);
    if (!s.ok()) return PosixError("write", path_, ENOSPC);
    return s;
  }
  absl::Status Sync() override {
    if (closed_) return PosixError("fdatasync", path_, EBADF);
    return absl::OkStatus();
  }
  absl::Status Close() override {
    closed_ = true;
    return absl::OkStatus();
  }

 private:
  MemEnv* env_;
  std::shared_ptr<Node> node_;
  std::string path_;
  bool closed_ = false;
};

class MemEnv::FileLockImpl final : public FileLock {
 public:
  FileLockImpl(MemEnv* env, std::shared_ptr<Node> node) : env_(env), node_(std::move(node)) {}
  ~FileLockImpl() override { env_->Unlock(node_.get()); }

 private:
  MemEnv* env_;
  std::shared_ptr<Node> node_;  // keeps the address unique while it is in locked_
};

MemEnv::MemEnv() : root_(std::make_shared<Node>()) { root_->is_dir = true; }

MemEnv::~MemEnv() = default;

MemEnv::ParsedPath MemEnv::Parse(const std::string& path) {
  ParsedPath p;
  p.text = path;
  size_t pos = 0;
  std::string_view last;
  while (pos <= path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string::npos) next = path.size();
    std::string_view part(path.data() + pos, next - pos);
    last = part;
    pos = next + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!p.parts.empty()) p.parts.pop_back();
      continue;
    }
    p.parts.emplace_back(part);
  }
  // "a/", "a/." and "a/.." must all name directories.
  p.trailing_slash = !path.empty() && (last.empty() || last == "." || last == "..");
  return p;
}

absl::StatusOr<MemEnv::Node*> MemEnv::FindParent(std::string_view op, const ParsedPath& p) const {
  if (p.text.empty()) return PosixError(op, p.text, ENOENT);
  Node* node = root_.get();
  for (size_t i = 0; i + 1 < p.parts.size(); ++i) {
    auto it = node->children.find(p.parts[i]);
    if (it == node->children.end()) return PosixError(op, p.text, ENOENT);
    if (!it->second->is_dir) return PosixError(op, p.text, ENOTDIR);
    node = it->second.get();
  }
  return node;
}

absl::StatusOr<std::shared_ptr<MemEnv::Node>> MemEnv::Find(std::string_view op,
                                                           const ParsedPath& p) const {
  auto parent = FindParent(op, p);
  if (!parent.ok()) return parent.status();
  if (p.parts.empty()) return root_;
  auto it = (*parent)->children.find(p.parts.back());
  if (it == (*parent)->children.end()) return std::shared_ptr<Node>();
  if (!it->second->is_dir && p.trailing_slash) return PosixError(op, p.text, ENOTDIR);
  return it->second;
}

absl::StatusOr<std::shared_ptr<MemEnv::Node>> MemEnv::FindOrCreateFile(std::string_view op,
                                                                       const ParsedPath& p) {
  auto parent = FindParent(op, p);
  if (!parent.ok()) return parent.status();
  if (p.parts.empty()) return PosixError(op, p.text, EISDIR);
  auto it = (*parent)->children.find(p.parts.back());
  if (it != (*parent)->children.end()) {
    if (it->second->is_dir) return PosixError(op, p.text, EISDIR);
    if (p.trailing_slash) return PosixError(op, p.text, ENOTDIR);
    return it->second;
  }
  if (p.trailing_slash) return PosixError(op, p.text, EISDIR);
  auto node = std::make_shared<Node>();
  node->data = std::make_shared<std::string>();
  (*parent)->children.emplace(p.parts.back(), node);
  return node;
}

absl::StatusOr<std::unique_ptr<WritableFile>> MemEnv::NewWritableFile(const std::string& path) {
  absl::MutexLock lock(&mu_);
  auto node = FindOrCreateFile("open", Parse(path));
  if (!node.ok()) return node.status();
  // A fresh string rather than clear(): open readers keep the old bytes.
  if (!(*node)->data->empty()) (*node)->data = std::make_shared<std::string>();
  return std::make_unique<WritableFileImpl>(this, *std::move(node), path);
}

absl::StatusOr<std::unique_ptr<RandomAccessFile>> MemEnv::NewRandomAccessFile(
    const std::string& path) {
  absl::MutexLock lock(&mu_);
  auto node = Find("open", Parse(path));
  if (!node.ok()) return node.status();
  if (*node == nullptr) return PosixError("open", path, ENOENT);
  // PosixEnv opens a directory, then fails to mmap it.
  if ((*node)->is_dir) return PosixError("mmap", path, ENODEV);
  return std::make_unique<MemRandomAccessFile>((*node)->data);
}

absl::Status MemEnv::RenameFile(const std::string& from, const std::string& to) {
  absl::MutexLock lock(&mu_);
  const ParsedPath src = Parse(from);
  const ParsedPath dst = Parse(to);
  // rename(2) resolves both parents before looking at either entry.
  auto src_parent = FindParent("rename", src);
  if (!src_parent.ok()) return src_parent.status();
  auto dst_parent = FindParent("rename", dst);
  if (!dst_parent.ok()) return dst_parent.status();
  if (src.parts.empty() || dst.parts.empty()) return PosixError("rename", from, EBUSY);
  auto src_it = (*src_parent)->children.find(src.parts.back());
  if (src_it == (*src_parent)->children.end()) return PosixError("rename", from, ENOENT);
  std::shared_ptr<Node> node = src_it->second;
  if (!node->is_dir && (src.trailing_slash || dst.trailing_slash)) {
    return PosixError("rename", from, ENOTDIR);
  }
  if (node->is_dir) {
    // Moving a directory below itself would detach it from the tree.
    Node* walk = root_.get();
    for (size_t i = 0; i + 1 < dst.parts.size(); ++i) {
      walk = walk->children.find(dst.parts[i])->second.get();
      if (walk == node.get()) return PosixError("rename", from, EINVAL);
    }
  }
  auto dst_it = (*dst_parent)->children.find(dst.parts.back());
  if (dst_it != (*dst_parent)->children.end()) {
    const Node& target = *dst_it->second;
    if (&target == node.get()) return absl::OkStatus();
    if (!node->is_dir && target.is_dir) return PosixError("rename", from, EISDIR);
    if (node->is_dir && !target.is_dir) return PosixError("rename", from, ENOTDIR);
    if (target.is_dir && !target.children.empty()) return PosixError("rename", from, ENOTEMPTY);
  }
  (*src_parent)->children.erase(src_it);
  (*dst_parent)->children.insert_or_assign(dst.parts.back(), std::move(node));
  return absl::OkStatus();
}

absl::Status MemEnv::RemoveFile(const std::string& path) {
  absl::MutexLock lock(&mu_);
  const ParsedPath p = Parse(path);
  auto parent = FindParent("unlink", p);
  if (!parent.ok()) return parent.status();
  if (p.parts.empty()) return PosixError("unlink", path, EISDIR);
  auto it = (*parent)->children.find(p.parts.back());
  if (it == (*parent)->children.end()) return PosixError("unlink", path, ENOENT);
  if (it->second->is_dir) return PosixError("unlink", path, EISDIR);
  if (p.trailing_slash) return PosixError("unlink", path, ENOTDIR);
  (*parent)->children.erase(it);
  return absl::OkStatus();
}

absl::Status MemEnv::CreateDirs(const std::string& path) {
  absl::MutexLock lock(&mu_);
  const ParsedPath p = Parse(path);
  if (p.text.empty()) return PosixError("stat", path, ENOENT);
  Node* node = root_.get();
  for (size_t i = 0; i < p.parts.size(); ++i) {
    auto it = node->children.find(p.parts[i]);
    if (it == node->children.end()) {
      auto dir = std::make_shared<Node>();
      dir->is_dir = true;
      it = node->children.emplace(p.parts[i], std::move(dir)).first;
    } else if (!it->second->is_dir) {
      // PosixEnv: mkdir of the next component fails with ENOTDIR; for the last component the
      // final stat finds a non-directory.
      if (i + 1 < p.parts.size() || p.trailing_slash) return PosixError("mkdir", path, ENOTDIR);
      return absl::FailedPreconditionError(StrCat(path, " exists and is not a directory"));
    }
    node = it->second.get();
  }
  return absl::OkStatus();
}

absl::Status MemEnv::SyncDir(const std::string& path) {
  absl::MutexLock lock(&mu_);
  auto node = Find("open", Parse(path));
  if (!node.ok()) return node.status();
  if (*node == nullptr) return PosixError("open", path, ENOENT);
  if (!(*node)->is_dir) return PosixError("open", path, ENOTDIR);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> MemEnv::ListDir(const std::string& dir) {
  absl::MutexLock lock(&mu_);
  auto node = Find("opendir", Parse(dir));
  if (!node.ok()) return node.status();
  if (*node == nullptr) return PosixError("opendir", dir, ENOENT);
  if (!(*node)->is_dir) return PosixError("opendir", dir, ENOTDIR);
  std::vector<std::string> names;
  names.reserve((*node)->children.size());
  for (const auto& [name, child] : (*node)->children) names.push_back(name);
  return names;
}

bool MemEnv::FileExists(const std::string& path) {
  absl::MutexLock lock(&mu_);
  auto node = Find("access", Parse(path));
  return node.ok() && *node != nullptr;
}

absl::StatusOr<uint64_t> MemEnv::FileSize(const std::string& path) {
  absl::MutexLock lock(&mu_);
  auto node = Find("stat", Parse(path));
  if (!node.ok()) return node.status();
  if (*node == nullptr) return PosixError("stat", path, ENOENT);
  if ((*node)->is_dir) return uint64_t{0};
  return static_cast<uint64_t>((*node)->data->size());
}

absl::Status MemEnv::TruncateFile(const std::string& path, uint64_t size) {
  absl::MutexLock lock(&mu_);
  auto node = Find("truncate", Parse(path));
  if (!node.ok()) return node.status();
  if (*node == nullptr) return PosixError("truncate", path, ENOENT);
  if ((*node)->is_dir) return PosixError("truncate", path, EISDIR);
  // Copy on write: readers keep the bytes they opened.
  auto copy = std::make_shared<std::string>(*(*node)->data);
  copy->resize(size);
  (*node)->data = std::move(copy);
  return absl::OkStatus();
}

absl::Status MemEnv::RemoveDir(const std::string& path) {
  absl::MutexLock lock(&mu_);
  const ParsedPath p = Parse(path);
  auto parent = FindParent("rmdir", p);
  if (!parent.ok()) return parent.status();
  if (p.parts.empty()) return PosixError("rmdir", path, EBUSY);
  auto it = (*parent)->children.find(p.parts.back());
  if (it == (*parent)->children.end()) return PosixError("rmdir", path, ENOENT);
  if (!it->second->is_dir) return PosixError("rmdir", path, ENOTDIR);
  if (!it->second->children.empty()) return PosixError("rmdir", path, ENOTEMPTY);
  (*parent)->children.erase(it);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<FileLock>> MemEnv::LockFile(const std::string& path) {
  absl::MutexLock lock(&mu_);
  auto node = FindOrCreateFile("open", Parse(path));
  if (!node.ok()) return node.status();
  if (!locked_.insert(node->get()).second) {
    return absl::FailedPreconditionError(
        StrCat(path, " is locked: another lode process is using this data directory"));
  }
  return std::unique_ptr<FileLock>(new FileLockImpl(this, *std::move(node)));
}

void MemEnv::Unlock(const Node* node) {
  absl::MutexLock lock(&mu_);
  locked_.erase(node);
}

int64_t MemEnv::NowNanos() { return now_nanos_.load(std::memory_order_relaxed); }

void MemEnv::SetNowNanos(int64_t nanos) { now_nanos_.store(nanos, std::memory_order_relaxed); }

void MemEnv::AdvanceNanos(int64_t delta) { now_nanos_.fetch_add(delta, std::memory_order_relaxed); }

uint64_t MemEnv::TotalFileBytesLocked() const {
  uint64_t total = 0;
  std::vector<const Node*> stack = {root_.get()};
  while (!stack.empty()) {
    const Node* node = stack.back();
    stack.pop_back();
    for (const auto& [name, child] : node->children) {
      if (child->is_dir) {
        stack.push_back(child.get());
      } else {
        total += child->data->size();
      }
    }
  }
  return total;
}

uint64_t MemEnv::TotalFileBytes() const {
  absl::MutexLock lock(&mu_);
  return TotalFileBytesLocked();
}

void MemEnv::SetCapacityBytes(std::optional<uint64_t> bytes) {
  absl::MutexLock lock(&mu_);
  capacity_ = bytes;
}

absl::Status MemEnv::Append(Node* node, std::string_view data) {
  absl::MutexLock lock(&mu_);
  if (capacity_.has_value() && TotalFileBytesLocked() + data.size() > *capacity_) {
    return absl::ResourceExhaustedError("no space left on device");
  }
  if (node->data.use_count() > 1) {
    // A reader holds these bytes: give the file a new string. (Seeing a count of 1 here means
    // no reader can still be using the string; the fence orders its last reads before our
    // writes.)
    auto copy = std::make_shared<std::string>();
    copy->reserve(std::max(node->data->size() * 2, node->data->size() + data.size()));
    copy->append(*node->data);
    node->data = std::move(copy);
  } else {
    std::atomic_thread_fence(std::memory_order_acquire);
  }
  node->data->append(data);
  return absl::OkStatus();
}

}  // namespace lode::storage
