#include "storage/store.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "absl/container/flat_hash_set.h"

#include "common/status_macros.h"
#include "common/strings.h"
#include "common/time_util.h"

namespace lode::storage {
namespace {

constexpr std::string_view kSegmentSuffix = ".lode";
constexpr int64_t kNanosPerDay = 86400 * kNanosPerSecond;
// A commit group stops growing at this many bytes of batches.
constexpr size_t kMaxGroupBytes = 16 << 20;

int64_t DayOf(int64_t ns) { return DayOfTime(ns); }

// Merges the memtable batches of one partition into one time-sorted batch.
RecordBatch MergeSorted(const std::vector<std::shared_ptr<const RecordBatch>>& batches) {
  std::vector<const RecordBatch*> ptrs;
  ptrs.reserve(batches.size());
  for (const auto& b : batches) ptrs.push_back(b.get());
  return ConcatSorted(ptrs);
}

}  // namespace

absl::StatusOr<SyncMode> ParseSyncMode(std::string_view name) {
  if (name == "batch") return SyncMode::kBatch;
  if (name == "always") return SyncMode::kAlways;
  if (name == "none") return SyncMode::kNone;
  return absl::InvalidArgumentError(
      StrCat("unknown sync mode '", name, "' (expected batch, always or none)"));
}

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

MemSource::MemSource(std::string name, std::vector<std::shared_ptr<const RecordBatch>> batches)
    : name_(std::move(name)), batches_(std::move(batches)) {
  bool first = true;
  for (const auto& b : batches_) {
    BlockMeta bm;
    bm.num_rows = static_cast<uint32_t>(b->num_rows());
    bm.min_time = b->times().front();
    bm.max_time = b->times().back();  // batches are sorted by time
    if (first) {
      meta_.min_time = bm.min_time;
      meta_.max_time = bm.max_time;
      first = false;
    }
    meta_.min_time = std::min(meta_.min_time, bm.min_time);
    meta_.max_time = std::max(meta_.max_time, bm.max_time);
    meta_.num_records += bm.num_rows;
    meta_.blocks.push_back(std::move(bm));
  }
}

absl::Status MemSource::ReadBlock(size_t i, RecordBatch* out) const {
  if (i >= batches_.size()) return absl::OutOfRangeError("block index");
  std::vector<uint32_t> all(batches_[i]->num_rows());
  for (uint32_t r = 0; r < all.size(); ++r) all[r] = r;
  *out = batches_[i]->Select(all);
  return absl::OkStatus();
}

struct Store::Writer {
  bool rotation = false;  // a flush switching WAL generations, not a batch
  std::string frame;      // the batch's WAL frame, encoded by the writer's own thread
  std::string tenant;
  std::vector<std::pair<int64_t, std::shared_ptr<const RecordBatch>>> parts;
  absl::Status status;
  bool done = false;
  absl::CondVar cv;
};

Store::Store(Env* env, std::string dir, StoreOptions options)
    : env_(env),
      dir_(std::move(dir)),
      wal_dir_(JoinPath(dir_, "wal")),
      options_(std::move(options)),
      reports_(options_.read_only ? nullptr : std::make_shared<CorruptionReports>()) {}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(Env* env, std::string dir,
                                                   StoreOptions options) {
  if (dir.empty()) return absl::InvalidArgumentError("empty data directory");
  std::unique_ptr<Store> store(new Store(env, std::move(dir), std::move(options)));
  if (!store->options_.read_only) {
    RETURN_IF_ERROR(env->CreateDirs(store->wal_dir_));
    ASSIGN_OR_RETURN(store->lock_, env->LockFile(JoinPath(store->dir_, "LOCK")));
  } else if (!env->FileExists(store->dir_)) {
    return absl::NotFoundError(StrCat("data directory ", store->dir_, " does not exist"));
  }
  RETURN_IF_ERROR(store->Recover());
  if (!store->options_.read_only && store->options_.background) {
    store->bg_ = std::thread([s = store.get()] { s->BackgroundLoop(); });
  }
  return store;
}

Store::~Store() {
  {
    absl::MutexLock l(&mu_);
    stop_ = true;
    bg_cv_.SignalAll();
  }
  if (bg_.joinable()) bg_.join();
  if (wal_ != nullptr) wal_->Close().IgnoreError();
}

std::string Store::PartitionDir(std::string_view tenant, int64_t day) const {
  return JoinPath(JoinPath(dir_, StrCat("t=", tenant)),
                  StrCat("d=", UtcDayString(day * kNanosPerDay)));
}

absl::Status Store::AdoptLegacySegments(ManifestData* m) {
  // Data directories written before the manifest existed: take their segments as they are.
  auto tenants = env_->ListDir(dir_);
  if (!tenants.ok()) {
    return absl::IsNotFound(tenants.status()) ? absl::OkStatus() : tenants.status();
  }
  for (const std::string& t : *tenants) {
    if (!t.starts_with("t=")) continue;
    auto days = env_->ListDir(JoinPath(dir_, t));
    if (!days.ok()) continue;
    for (const std::string& d : *days) {
      auto files = env_->ListDir(JoinPath(JoinPath(dir_, t), d));
      if (!files.ok()) continue;
      for (const std::string& f : *files) {
        if (!f.ends_with(kSegmentSuffix)) continue;
        const std::string rel = StrCat(t, "/", d, "/", f);
        auto r = SegmentReader::Open(env_, JoinPath(dir_, rel));
        if (!r.ok()) {
          recovery_.errors.push_back(std::string(StatusMessage(r.status())));
          continue;
        }
        SegmentEntry e;
        e.tenant = t.substr(2);
        e.path = rel;
        e.records = (*r)->meta().num_records;
        e.min_time = (*r)->meta().min_time;
        e.max_time = (*r)->meta().max_time;
        e.bytes = (*r)->file_size();
        m->segments.push_back(std::move(e));
      }
    }
  }
  return absl::OkStatus();
}

void Store::RemoveOrphans(const ManifestData& m) {
  // Segments written by a flush that crashed before its manifest: their records are still in
  // the WAL, which is replayed next.
  std::set<std::string> live;
  for (const SegmentEntry& s : m.segments) live.insert(s.path);
  auto tenants = env_->ListDir(dir_);
  if (!tenants.ok()) return;
  for (const std::string& t : *tenants) {
    if (!t.starts_with("t=")) continue;
    auto days = env_->ListDir(JoinPath(dir_, t));
    if (!days.ok()) continue;
    for (const std::string& d : *days) {
      const std::string pdir = JoinPath(JoinPath(dir_, t), d);
      auto files = env_->ListDir(pdir);
      if (!files.ok()) continue;
      size_t left = files->size();
      for (const std::string& f : *files) {
        const std::string rel = StrCat(t, "/", d, "/", f);
        bool orphan = f.ends_with(".tmp") || (f.ends_with(kSegmentSuffix) && !live.count(rel));
        if (orphan && env_->RemoveFile(JoinPath(dir_, rel)).ok()) {
          recovery_.orphan_files_removed++;
          left--;
        }
      }
      // Partitions emptied by retention, delete or compaction.
      if (left == 0) env_->RemoveDir(pdir).IgnoreError();
    }
    if (auto rest = env_->ListDir(JoinPath(dir_, t)); rest.ok() && rest->empty()) {
      env_->RemoveDir(JoinPath(dir_, t)).IgnoreError();
    }
  }
}

absl::Status Store::Recover() {
  for (int attempt = 0;; ++attempt) {
    ASSIGN_OR_RETURN(std::optional<ManifestData> found, ReadManifest(env_, dir_));
    ManifestData m;
    if (found) {
      m = std::move(*found);
    } else {
      RETURN_IF_ERROR(AdoptLegacySegments(&m));
      if (!options_.read_only) RETURN_IF_ERROR(WriteManifest(env_, dir_, m));
    }
    // Orphans exist only where a manifest did before: on adopting a directory without one, a
    // segment that failed to open is reported and left alone, never deleted.
    if (!options_.read_only && found) RemoveOrphans(m);

    // Replay every WAL generation the manifest does not cover, oldest first.
    Memtable replayed;
    size_t replayed_bytes = 0;
    std::vector<uint64_t> gens;
    auto names = env_->ListDir(wal_dir_);
    if (names.ok()) {
      for (const std::string& n : *names) {
        if (uint64_t g = ParseWalFileName(n); g > 0) gens.push_back(g);
      }
    } else if (!absl::IsNotFound(names.status())) {
      return names.status();
    }
    std::sort(gens.begin(), gens.end());
    RecoveryInfo info;
    uint64_t max_gen = 0;
    bool vanished = false;
    for (uint64_t g : gens) {
      max_gen = std::max(max_gen, g);
      const std::string path = JoinPath(wal_dir_, WalFileName(g));
      if (g < m.wal_checkpoint) {
        if (!options_.read_only) env_->RemoveFile(path).IgnoreError();
        continue;
      }
      WalReplayStats st;
      absl::Status s = ReplayWal(
          env_, path,
          [&](std::string_view tenant, RecordBatch&& batch) -> absl::Status {
            if (!ValidateTenant(tenant).ok() || batch.empty()) return absl::OkStatus();
            for (auto& [day, part] : SplitByDay(batch)) {
              MemPartition& mp = replayed[PartitionKey{std::string(tenant), day}];
              mp.bytes += part->ByteSize();
              mp.records += part->num_rows();
              replayed_bytes += part->ByteSize();
              mp.batches.push_back(std::move(part));
            }
            return absl::OkStatus();
          },
          &st);
      if (absl::IsNotFound(s) && options_.read_only) {
        vanished = true;  // a concurrent flush removed it: start over with the new manifest
        break;
      }
      RETURN_IF_ERROR(s);
      info.wal_files++;
      info.wal_records += st.records;
      info.wal_torn_bytes += st.torn_tail_bytes;
      info.wal_corrupt_frames += st.corrupt_frames;
      for (auto& e : st.errors) info.errors.push_back(std::move(e));
    }
    if (options_.read_only && attempt < 5) {
      // The manifest may have moved on while the WAL was read; if so, read both again.
      auto again = ReadManifest(env_, dir_);
      if (vanished || (again.ok() && *again && (*again)->wal_checkpoint != m.wal_checkpoint)) {
        continue;
      }
    }
    info.orphan_files_removed = recovery_.orphan_files_removed;
    for (auto& e : recovery_.errors) info.errors.push_back(std::move(e));
    recovery_ = std::move(info);
    SegmentList live;
    for (SegmentEntry& e : m.segments) live.push_back(MakeLive(std::move(e)));
    absl::MutexLock l(&mu_);
    segments_ = std::move(live);
    counters_ = m.counters;
    next_file_number_ = std::max(m.next_file_number, max_gen + 1);
    wal_checkpoint_ = m.wal_checkpoint;
    active_ = std::move(replayed);
    active_bytes_ = replayed_bytes;
    active_since_ = env_->NowNanos();
    return absl::OkStatus();
  }
}

std::vector<std::pair<int64_t, std::shared_ptr<const RecordBatch>>> Store::SplitByDay(
    RecordBatch&& batch) {
  // The common case, a batch in time order within one day, becomes the memtable's as it is.
  const std::vector<int64_t>& times = batch.times();
  if (!times.empty() && std::is_sorted(times.begin(), times.end()) &&
      DayOf(times.front()) == DayOf(times.back())) {
    const int64_t day = DayOf(times.front());
    std::vector<std::pair<int64_t, std::shared_ptr<const RecordBatch>>> out;
    out.emplace_back(day, std::make_shared<const RecordBatch>(std::move(batch)));
    return out;
  }
  return SplitByDay(static_cast<const RecordBatch&>(batch));
}

std::vector<std::pair<int64_t, std::shared_ptr<const RecordBatch>>> Store::SplitByDay(
    const RecordBatch& batch) {
  std::vector<std::pair<int64_t, std::shared_ptr<const RecordBatch>>> out;
  std::vector<uint32_t> order = batch.TimeOrder();
  size_t i = 0;
  while (i < order.size()) {
    const int64_t day = DayOf(batch.time(order[i]));
    size_t j = i;
    while (j < order.size() && DayOf(batch.time(order[j])) == day) ++j;
    std::vector<uint32_t> rows(order.begin() + i, order.begin() + j);
    out.emplace_back(day, std::make_shared<const RecordBatch>(batch.Select(rows)));
    i = j;
  }
  return out;
}

void Store::JoinQueue(Writer* w) {
  writers_.push_back(w);
  while (!w->done && w != writers_.front()) w->cv.Wait(&mu_);
}

void Store::LeaveQueue(size_t n) {
  for (size_t i = 0; i < n; ++i) {
    Writer* w = writers_.front();
    writers_.pop_front();
    if (i > 0) {
      w->done = true;
      w->cv.Signal();
    }
  }
  if (!writers_.empty()) writers_.front()->cv.Signal();
}

absl::Status Store::EnsureWal() {
  if (wal_ != nullptr) return absl::OkStatus();
  uint64_t gen;
  {
    absl::MutexLock l(&mu_);
    gen = next_file_number_++;
  }
  ASSIGN_OR_RETURN(wal_, WalWriter::Create(env_, wal_dir_, gen));
  return absl::OkStatus();
}

absl::StatusOr<WriteResult> Store::Write(const RecordBatch& batch, std::string_view tenant) {
  RETURN_IF_ERROR(ValidateTenant(tenant));
  if (options_.read_only) return absl::FailedPreconditionError("store is open read-only");
  if (batch.empty()) return WriteResult();
  Writer w;
  w.tenant = std::string(tenant);
  RETURN_IF_ERROR(WalWriter::EncodeFrame(tenant, batch, &w.frame));
  w.parts = SplitByDay(batch);
  return Commit(&w, batch.num_rows());
}

absl::StatusOr<WriteResult> Store::Write(RecordBatch&& batch, std::string_view tenant) {
  RETURN_IF_ERROR(ValidateTenant(tenant));
  if (options_.read_only) return absl::FailedPreconditionError("store is open read-only");
  if (batch.empty()) return WriteResult();
  const uint64_t rows = batch.num_rows();
  Writer w;
  w.tenant = std::string(tenant);
  // Outside the lock: encoding, sorting and splitting are the writer's own work.
  RETURN_IF_ERROR(WalWriter::EncodeFrame(tenant, batch, &w.frame));
  w.parts = SplitByDay(std::move(batch));
  return Commit(&w, rows);
}

absl::StatusOr<WriteResult> Store::Commit(Writer* writer, uint64_t rows) {
  Writer& w = *writer;
  WriteResult result;
  result.records = rows;
  absl::MutexLock l(&mu_);
  // Backpressure: when ingest runs ahead of flushing (the memtable at twice its flush size
  // while a flush is still writing), writers wait for the flush instead of growing memory and
  // the WAL without bound; after 30 s they get an error to retry.
  if (options_.background && active_bytes_ >= 2 * options_.memtable_bytes) {
    const absl::Time give_up = absl::Now() + absl::Seconds(30);
    while (active_bytes_ >= 2 * options_.memtable_bytes && !stop_) {
      bg_cv_.Signal();
      if (flushed_cv_.WaitWithDeadline(&mu_, give_up)) {
        return absl::UnavailableError(StrCat("ingest is ahead of flushing to segments (",
                                             active_bytes_ >> 20,
                                             " MiB waiting in memory): retry later"));
      }
    }
  }
  JoinQueue(&w);
  if (w.done) {
    if (!w.status.ok()) return w.status;
    return result;
  }
  // Leader: take the writers queued behind us (not a WAL rotation), up to a size bound.
  size_t group = 1, bytes = w.frame.size();
  if (options_.sync != SyncMode::kAlways) {
    while (group < writers_.size() && !writers_[group]->rotation && bytes < kMaxGroupBytes) {
      bytes += writers_[group]->frame.size();
      ++group;
    }
  }
  std::vector<Writer*> members(writers_.begin(), writers_.begin() + group);
  absl::Status s;
  {
    mu_.Unlock();
    s = EnsureWal();
    const uint64_t size_before = s.ok() ? wal_->size() : 0;
    for (size_t i = 0; s.ok() && i < members.size(); ++i) {
      s = wal_->AddFrame(members[i]->frame);
    }
    if (s.ok() && options_.sync != SyncMode::kNone) s = wal_->Sync();
    if (!s.ok() && wal_ != nullptr) {
      // These writers are told their batches failed, so the frames must not come back at the
      // next open (a retry would store them twice): cut them off. The file may also end in a
      // partial frame; never append after it: the next write starts a new generation.
      const std::string path = wal_->path();
      wal_->Close().IgnoreError();
      wal_.reset();
      env_->TruncateFile(path, size_before).IgnoreError();
    }
    mu_.Lock();
  }
  const int64_t now = env_->NowNanos();
  for (Writer* m : members) {
    m->status = s;
    if (!s.ok()) continue;
    if (active_.empty()) active_since_ = now;
    for (auto& [day, part] : m->parts) {
      MemPartition& mp = active_[PartitionKey{m->tenant, day}];
      mp.bytes += part->ByteSize();
      mp.records += part->num_rows();
      active_bytes_ += part->ByteSize();
      mp.batches.push_back(std::move(part));
    }
  }
  LeaveQueue(group);
  if (FlushDue()) bg_cv_.Signal();
  if (!s.ok()) return s;
  return result;
}

bool Store::FlushDue() {
  if (active_.empty()) return false;
  return active_bytes_ >= options_.memtable_bytes ||
         env_->NowNanos() - active_since_ >= options_.flush_age_ns;
}

ManifestData Store::CurrentManifest() {
  ManifestData m;
  m.next_file_number = next_file_number_;
  m.wal_checkpoint = wal_checkpoint_;
  for (const auto& s : segments_) m.segments.push_back(s->entry());
  m.counters = counters_;
  return m;
}

absl::Status Store::WriteSegmentFile(const std::string& tenant, const RecordBatch& part,
                                     SegmentEntry* entry, const std::vector<uint32_t>& block_ends,
                                     std::string_view index) {
  uint64_t id;
  {
    absl::MutexLock l(&mu_);
    id = next_file_number_++;
  }
  const int64_t day = DayOf(part.time(0));
  const std::string pdir = PartitionDir(tenant, day);
  RETURN_IF_ERROR(env_->CreateDirs(pdir));
  char name[32];
  std::snprintf(name, sizeof(name), "%016llx", static_cast<unsigned long long>(id));
  const std::string file = StrCat(name, kSegmentSuffix);
  SegmentMeta meta;
  std::string bytes = block_ends.empty()
                          ? EncodeSegment(part, options_.segment, &meta)
                          : EncodeSegmentBlocks(part, block_ends, index, options_.segment, &meta);
  RETURN_IF_ERROR(WriteFileAtomically(env_, JoinPath(pdir, file), bytes));
  entry->tenant = tenant;
  entry->path = StrCat("t=", tenant, "/d=", UtcDayString(day * kNanosPerDay), "/", file);
  entry->records = meta.num_records;
  entry->min_time = meta.min_time;
  entry->max_time = meta.max_time;
  entry->bytes = bytes.size();
  return absl::OkStatus();
}

absl::StatusOr<WriteResult> Store::WriteSegments(const RecordBatch& batch,
                                                 std::string_view tenant) {
  RETURN_IF_ERROR(ValidateTenant(tenant));
  if (options_.read_only) return absl::FailedPreconditionError("store is open read-only");
  WriteResult result;
  if (batch.empty()) return result;
  std::vector<SegmentEntry> added;
  for (auto& [day, part] : SplitByDay(batch)) {
    SegmentEntry e;
    absl::Status s = WriteSegmentFile(std::string(tenant), *part, &e);
    if (!s.ok()) {
      RemoveFiles(added);
      return s;
    }
    result.records += e.records;
    result.segments += 1;
    result.bytes += e.bytes;
    added.push_back(std::move(e));
  }
  RETURN_IF_ERROR(ReplaceSegments({}, std::move(added), [&](ManifestCounters* c) {
    c->flushed_bytes += result.bytes;
    c->flushed_records += result.records;
  }));
  return result;
}

absl::Status Store::Flush() {
  if (options_.read_only) return absl::OkStatus();
  absl::MutexLock fl(&flush_mu_);
  uint64_t checkpoint = 0;
  {
    absl::MutexLock l(&mu_);
    if (immutable_.empty()) {
      if (active_.empty()) return absl::OkStatus();
      // Become the commit leader to switch WAL generations with no append in flight.
      Writer rot;
      rot.rotation = true;
      JoinQueue(&rot);
      immutable_ = std::move(active_);
      active_.clear();
      active_bytes_ = 0;
      flushed_cv_.SignalAll();
      checkpoint = next_file_number_++;
      std::unique_ptr<WalWriter> old = std::move(wal_);
      mu_.Unlock();
      if (old != nullptr) old->Close().IgnoreError();
      auto fresh = WalWriter::Create(env_, wal_dir_, checkpoint);
      if (fresh.ok()) wal_ = std::move(*fresh);  // else the next write creates a later one
      mu_.Lock();
      LeaveQueue(1);
      immutable_checkpoint_ = checkpoint;
    }
    // Else a previous flush failed and is retried: its records are in WAL generations below
    // the one created when it began.
    checkpoint = immutable_checkpoint_;
  }
  return FlushImmutable(checkpoint);
}

absl::Status Store::FlushImmutable(uint64_t checkpoint) {
  Memtable parts;
  {
    absl::MutexLock l(&mu_);
    parts = immutable_;  // shared batches: a cheap copy
  }
  std::vector<SegmentEntry> added;
  uint64_t bytes = 0, records = 0;
  absl::Status s;
  for (const auto& [key, mp] : parts) {
    RecordBatch merged = MergeSorted(mp.batches);
    SegmentEntry e;
    s = WriteSegmentFile(key.tenant, merged, &e);
    if (!s.ok()) break;
    bytes += e.bytes;
    records += e.records;
    added.push_back(std::move(e));
  }
  if (!s.ok()) {
    // The records stay in the memtable and the WAL; the files written so far are orphans.
    RemoveFiles(added);
    return s;
  }
  ManifestData m;
  {
    absl::MutexLock l(&mu_);
    m = CurrentManifest();
  }
  m.wal_checkpoint = checkpoint;
  m.segments.insert(m.segments.end(), added.begin(), added.end());
  m.counters.flushed_bytes += bytes;
  m.counters.flushed_records += records;
  bool in_doubt = false;
  s = PublishManifest(m, &in_doubt);
  if (!s.ok() && !in_doubt) {
    RemoveFiles(added);
    return s;
  }
  {
    // Segments in, memtable out, in one step: a snapshot sees the records exactly once. When
    // the manifest is in doubt the new state is what is visible on disk; the WAL generations
    // stay until a later manifest write is durable.
    absl::MutexLock l(&mu_);
    for (SegmentEntry& e : added) segments_.push_back(MakeLive(std::move(e)));
    immutable_.clear();
    wal_checkpoint_ = checkpoint;
    counters_ = m.counters;
    flushes_++;
  }
  return s;
}

std::shared_ptr<LiveSegment> Store::MakeLive(SegmentEntry e) {
  return std::make_shared<LiveSegment>(env_, dir_, std::move(e), reports_);
}

void Store::RemoveFiles(const std::vector<SegmentEntry>& entries) {
  for (const SegmentEntry& e : entries) env_->RemoveFile(JoinPath(dir_, e.path)).IgnoreError();
}

absl::Status Store::PublishManifest(const ManifestData& m, bool* in_doubt) {
  bool replaced = false;
  absl::Status s = WriteManifest(env_, dir_, m, &replaced);
  if (!s.ok()) {
    *in_doubt = replaced;
    if (replaced) manifest_in_doubt_ = true;
    return s;
  }
  *in_doubt = false;
  if (manifest_in_doubt_) {
    manifest_in_doubt_ = false;
    for (const auto& seg : retire_when_durable_) seg->Retire();
    retire_when_durable_.clear();
  }
  // WAL generations below the checkpoint are no longer needed.
  if (auto names = env_->ListDir(wal_dir_); names.ok()) {
    for (const std::string& n : *names) {
      uint64_t g = ParseWalFileName(n);
      if (g > 0 && g < m.wal_checkpoint) env_->RemoveFile(JoinPath(wal_dir_, n)).IgnoreError();
    }
  }
  return absl::OkStatus();
}

absl::Status Store::ReplaceSegments(const SegmentList& removed, std::vector<SegmentEntry> added,
                                    const std::function<void(ManifestCounters*)>& count) {
  absl::MutexLock fl(&flush_mu_);
  ManifestData m;
  const LiveSegment* stale = nullptr;
  {
    absl::MutexLock l(&mu_);
    if (!removed.empty()) {
      absl::flat_hash_set<const LiveSegment*> live;
      for (const auto& seg : segments_) live.insert(seg.get());
      for (const auto& r : removed) {
        if (!live.contains(r.get())) stale = r.get();
      }
    }
    m = CurrentManifest();
  }
  if (stale != nullptr) {
    RemoveFiles(added);
    return absl::AbortedError(StrCat("segment ", stale->entry().path, " was replaced meanwhile"));
  }
  std::set<std::string> gone;
  for (const auto& r : removed) gone.insert(r->entry().path);
  std::erase_if(m.segments, [&](const SegmentEntry& e) { return gone.count(e.path) > 0; });
  m.segments.insert(m.segments.end(), added.begin(), added.end());
  if (count) count(&m.counters);
  bool in_doubt = false;
  absl::Status s = PublishManifest(m, &in_doubt);
  if (!s.ok() && !in_doubt) {
    RemoveFiles(added);
    return s;
  }
  {
    absl::MutexLock l(&mu_);
    std::erase_if(segments_, [&](const auto& seg) { return gone.count(seg->entry().path) > 0; });
    for (SegmentEntry& e : added) segments_.push_back(MakeLive(std::move(e)));
    counters_ = m.counters;
  }
  for (const auto& r : removed) {
    if (in_doubt) {
      retire_when_durable_.push_back(r);
    } else {
      r->Retire();
    }
  }
  return s;
}

Store::SegmentList Store::LiveSegments(std::string_view tenant, int64_t from, int64_t to) {
  SegmentList out;
  absl::MutexLock l(&mu_);
  for (const auto& seg : segments_) {
    const SegmentEntry& e = seg->entry();
    if (!tenant.empty() && e.tenant != tenant) continue;
    if (e.max_time < from || e.min_time >= to) continue;
    out.push_back(seg);
  }
  return out;
}

absl::StatusOr<std::shared_ptr<const StoreSnapshot>> Store::Snapshot(std::string_view tenant,
                                                                     int64_t from, int64_t to) {
  RETURN_IF_ERROR(ValidateTenant(tenant));
  for (int attempt = 0;; ++attempt) {
    auto snap = std::make_shared<StoreSnapshot>();
    SegmentList segs;
    {
      // Segments and memtable under one lock: a flush moves records from one to the other in
      // one step, so the snapshot has each record exactly once.
      absl::MutexLock l(&mu_);
      for (const auto& seg : segments_) {
        const SegmentEntry& e = seg->entry();
        if (e.tenant != tenant || e.max_time < from || e.min_time >= to) continue;
        segs.push_back(seg);
      }
      for (const Memtable* mt : {&immutable_, &active_}) {
        for (const auto& [key, mp] : *mt) {
          if (key.tenant != tenant || mp.batches.empty()) continue;
          // Day bounds as [day_start, day_start + day), saturating at the ends of int64.
          const int64_t day_start = key.day * kNanosPerDay;
          const int64_t day_last = day_start > INT64_MAX - (kNanosPerDay - 1)
                                       ? INT64_MAX
                                       : day_start + (kNanosPerDay - 1);
          if (day_last < from || day_start >= to) continue;
          snap->sources.push_back(std::make_shared<MemSource>(
              StrCat("memtable:", key.tenant, "/", UtcDayString(key.day * kNanosPerDay),
                     mt == &immutable_ ? "/flushing" : ""),
              mp.batches));
        }
      }
    }
    // Footers are read outside the lock: opening a segment never holds up writers.
    bool vanished = false;
    for (const auto& seg : segs) {
      auto r = seg->Reader();
      if (!r.ok()) {
        vanished |= absl::IsNotFound(r.status());
        snap->errors.push_back(std::string(StatusMessage(r.status())));
        continue;
      }
      snap->sources.push_back(std::make_shared<LiveSegmentSource>(seg, std::move(*r)));
    }
    // A read-only store may be looking at segments the writing process has since replaced.
    if (vanished && options_.read_only && attempt == 0 && Refresh().ok()) continue;
    std::sort(snap->sources.begin(), snap->sources.end(), [](const auto& a, const auto& b) {
      if (a->meta().max_time != b->meta().max_time) {
        return a->meta().max_time > b->meta().max_time;
      }
      return a->name() > b->name();
    });
    return std::shared_ptr<const StoreSnapshot>(std::move(snap));
  }
}

absl::Status Store::Refresh() {
  absl::MutexLock l(&maint_mu_);
  return Recover();
}

}  // namespace lode::storage
