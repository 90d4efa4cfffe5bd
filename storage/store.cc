#include "storage/store.h"

#include <algorithm>
#include <cstdio>

#include <unistd.h>

#include "common/status_macros.h"
#include "common/strings.h"
#include "common/time_util.h"

namespace lode::storage {
using ::lode::StrCat;
namespace {

constexpr std::string_view kSegmentSuffix = ".lode";
constexpr int64_t kNanosPerDay = 86400 * kNanosPerSecond;

int64_t DayOf(int64_t ns) { return ns >= 0 ? ns / kNanosPerDay : (ns + 1) / kNanosPerDay - 1; }

}  // namespace

absl::Status ValidateTenant(std::string_view tenant) {
  if (tenant.empty() || tenant.size() > 64 || tenant[0] == '.') {
    return absl::InvalidArgumentError(
        StrCat("invalid tenant '", tenant, "': 1-64 characters, not starting with '.'"));
  }
  for (char c : tenant) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.';
    if (!ok) {
      return absl::InvalidArgumentError(
          StrCat("invalid tenant '", tenant, "': only letters, digits, '_', '-', '.'"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(Env* env, std::string dir,
                                                   StoreOptions options) {
  if (dir.empty()) return absl::InvalidArgumentError("empty data directory");
  RETURN_IF_ERROR(env->CreateDirs(dir));
  return std::unique_ptr<Store>(new Store(env, std::move(dir), options));
}

std::string Store::NewSegmentName() {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%016llx-%d-%llu",
                static_cast<unsigned long long>(env_->NowNanos()), static_cast<int>(::getpid()),
                static_cast<unsigned long long>(seq_.fetch_add(1)));
  return buf;
}

absl::StatusOr<WriteResult> Store::Write(const RecordBatch& batch, std::string_view tenant) {
  RETURN_IF_ERROR(ValidateTenant(tenant));
  WriteResult result;
  if (batch.empty()) return result;
  const std::string tenant_dir = JoinPath(dir_, StrCat("t=", tenant));
  auto write_part = [&](const RecordBatch& part) -> absl::Status {
    const int64_t day = DayOf(part.time(0));
    const std::string day_dir =
        JoinPath(tenant_dir, StrCat("d=", UtcDayString(day * kNanosPerDay)));
    RETURN_IF_ERROR(env_->CreateDirs(day_dir));
    const std::string path = JoinPath(day_dir, StrCat(NewSegmentName(), kSegmentSuffix));
    std::string bytes = EncodeSegment(part, options_.segment);
    RETURN_IF_ERROR(WriteFileAtomically(env_, path, bytes));
    result.records += part.num_rows();
    result.segments += 1;
    result.bytes += bytes.size();
    return absl::OkStatus();
  };
  // Common case: already in time order and within one day; write it as it is, without a copy.
  const std::vector<int64_t>& times = batch.times();
  if (std::is_sorted(times.begin(), times.end()) && DayOf(times.front()) == DayOf(times.back())) {
    RETURN_IF_ERROR(write_part(batch));
    return result;
  }
  std::vector<uint32_t> order = batch.TimeOrder();
  size_t i = 0;
  while (i < order.size()) {
    const int64_t day = DayOf(batch.time(order[i]));
    size_t j = i;
    while (j < order.size() && DayOf(batch.time(order[j])) == day) ++j;
    std::vector<uint32_t> rows(order.begin() + i, order.begin() + j);
    RETURN_IF_ERROR(write_part(batch.Select(rows)));
    i = j;
  }
  return result;
}

absl::StatusOr<std::vector<std::shared_ptr<const SegmentReader>>> Store::Snapshot(
    std::string_view tenant, int64_t from, int64_t to, std::vector<std::string>* errors) {
  RETURN_IF_ERROR(ValidateTenant(tenant));
  std::vector<std::shared_ptr<const SegmentReader>> out;
  const std::string tenant_dir = JoinPath(dir_, StrCat("t=", tenant));
  auto days = env_->ListDir(tenant_dir);
  if (!days.ok()) {
    if (absl::IsNotFound(days.status())) return out;
    return days.status();
  }
  for (const std::string& day : *days) {
    if (!day.starts_with("d=")) continue;
    auto day_start = ParseRfc3339(StrCat(day.substr(2), "T00:00:00Z"));
    if (!day_start) continue;
    if (*day_start >= to || *day_start + kNanosPerDay <= from) continue;  // partition pruning
    const std::string day_dir = JoinPath(tenant_dir, day);
    auto files = env_->ListDir(day_dir);
    if (!files.ok()) {
      if (absl::IsNotFound(files.status())) continue;
      return files.status();
    }
    for (const std::string& f : *files) {
      if (!f.ends_with(kSegmentSuffix)) continue;
      std::string path = JoinPath(day_dir, f);
      std::shared_ptr<const SegmentReader> r;
      {
        absl::MutexLock l(&mu_);
        auto it = readers_.find(path);
        if (it != readers_.end()) r = it->second;
      }
      if (r == nullptr) {
        auto opened = SegmentReader::Open(env_, path);
        if (!opened.ok()) {
          if (errors != nullptr) errors->push_back(std::string(opened.status().message()));
          continue;
        }
        r = std::move(*opened);
        absl::MutexLock l(&mu_);
        readers_.emplace(path, r);
      }
      if (r->meta().max_time < from || r->meta().min_time >= to) continue;
      out.push_back(std::move(r));
    }
  }
  // Newest first; equal max_time by path, so the order is the same on every call.
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    if (a->meta().max_time != b->meta().max_time) return a->meta().max_time > b->meta().max_time;
    return a->path() > b->path();
  });
  return out;
}

}  // namespace lode::storage
