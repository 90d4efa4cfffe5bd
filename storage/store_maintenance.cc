// Store maintenance: compaction, retention, delete, quarantine and the background thread that
// runs them (the Store class is declared in store.h; ingest, flush and snapshots are in
// store.cc). Each operation holds maint_mu_ for its whole run, so they never work on the same
// segments at once, reads and writes segment files without any store lock, and commits with
// ReplaceSegments: one manifest write under flush_mu_, then a swap of the live set under mu_.
#include <algorithm>
#include <cstdio>

#include "common/status_macros.h"
#include "common/strings.h"
#include "common/time_util.h"
#include "index/segment_index_merger.h"
#include "storage/store.h"

namespace lode::storage {
namespace {

constexpr int64_t kNanosPerDay = 86400 * kNanosPerSecond;
// A rewrite or salvage writes a replacement segment each time this many bytes of rows have
// accumulated, so rewriting one large segment does not hold all of it in memory.
constexpr size_t kRewriteChunkBytes = 256 << 20;
// Background work that failed is tried again after this long.
constexpr int64_t kFlushRetryNs = 5 * kNanosPerSecond;
constexpr int64_t kCompactionRetryNs = 60 * kNanosPerSecond;

std::string DayText(int64_t day) { return UtcDayString(day * kNanosPerDay); }

// Rows of `block` older than `cutoff`, counted from its times.
uint64_t CountBefore(const std::vector<int64_t>& times, int64_t cutoff) {
  return static_cast<uint64_t>(std::lower_bound(times.begin(), times.end(), cutoff) -
                               times.begin());
}

}  // namespace

void Store::Log(std::string_view line) {
  if (options_.log) options_.log(line);
}

// ---------------------------------------------------------------------------------------------
// Rewriting one segment (retention trims, delete, quarantine salvage)

absl::Status Store::RewriteSegment(LiveSegment* seg, int64_t from, int64_t to,
                                   const RowMatcher& drop, std::vector<SegmentEntry>* out,
                                   uint64_t* removed) {
  *removed = 0;
  ASSIGN_OR_RETURN(std::shared_ptr<const SegmentReader> reader, seg->Reader());
  const SegmentMeta& meta = reader->meta();
  // Pass 1: which rows go, reading only the blocks in the window.
  std::vector<std::vector<uint32_t>> drops(meta.blocks.size());
  RecordBatch block;
  uint64_t n = 0;
  for (size_t i = 0; i < meta.blocks.size(); ++i) {
    const BlockMeta& bm = meta.blocks[i];
    if (bm.max_time < from || bm.min_time >= to) continue;
    if (absl::Status s = reader->ReadBlock(i, &block); !s.ok()) {
      seg->ReportCorruptBlock(s);
      return s;
    }
    std::vector<uint32_t> rows;
    RETURN_IF_ERROR(drop(block, &rows));
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    std::erase_if(rows, [&](uint32_t r) {
      return r >= block.num_rows() || block.time(r) < from || block.time(r) >= to;
    });
    n += rows.size();
    drops[i] = std::move(rows);
  }
  if (n == 0) return absl::OkStatus();
  // Pass 2: everything else, in order, into replacement segments.
  std::vector<SegmentEntry> written;
  RecordBatch acc;
  auto emit = [&]() -> absl::Status {
    if (acc.empty()) return absl::OkStatus();
    SegmentEntry e;
    RETURN_IF_ERROR(WriteSegmentFile(seg->entry().tenant, acc, &e));
    written.push_back(std::move(e));
    acc.Clear();
    return absl::OkStatus();
  };
  absl::Status s;
  for (size_t i = 0; s.ok() && i < meta.blocks.size(); ++i) {
    s = reader->ReadBlock(i, &block);
    if (!s.ok()) {
      seg->ReportCorruptBlock(s);
      break;
    }
    if (drops[i].empty()) {
      AppendBatch(block, &acc);
    } else {
      std::vector<uint32_t> keep;
      keep.reserve(block.num_rows() - drops[i].size());
      size_t d = 0;
      for (uint32_t r = 0; r < block.num_rows(); ++r) {
        if (d < drops[i].size() && drops[i][d] == r) {
          ++d;
        } else {
          keep.push_back(r);
        }
      }
      AppendBatch(block.Select(keep), &acc);
    }
    if (acc.ByteSize() >= kRewriteChunkBytes) s = emit();
  }
  if (s.ok()) s = emit();
  if (!s.ok()) {
    RemoveFiles(written);
    return s;
  }
  *removed = n;
  out->insert(out->end(), written.begin(), written.end());
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Compaction

// Rounds of Store::Compact(): each merge removes a segment, so rounds end on their own unless
// flushes keep adding segments meanwhile; this bounds them then.
constexpr int kMaxCompactRounds = 64;

absl::StatusOr<CompactionResult> Store::Compact() {
  if (options_.read_only) return absl::FailedPreconditionError("store is open read-only");
  // One round merges each partition's small segments up to the memory bound of a merge; the
  // segments past it wait for the next round, so rounds repeat until one merges nothing (each
  // merge removes at least one segment, so this ends).
  absl::StatusOr<CompactionResult> result = CompactionResult{};
  for (int round_no = 0; round_no < kMaxCompactRounds; ++round_no) {
    auto round = CompactInternal(/*force=*/true, /*strict=*/true);
    if (!round.ok()) {
      result = round.status();
      break;
    }
    CompactionResult& r = *result;
    r.merges += round->merges;
    r.index_merges += round->index_merges;
    r.input_segments += round->input_segments;
    r.bytes_read += round->bytes_read;
    r.bytes_written += round->bytes_written;
    r.records += round->records;
    if (round->merges == 0) break;
  }
  if (auto q = QuarantineReported(); !q.ok())
    Log(StrCat("quarantine: ", StatusMessage(q.status())));
  return result;
}

absl::StatusOr<CompactionResult> Store::CompactInternal(bool force, bool strict) {
  absl::MutexLock ml(&maint_mu_);
  SegmentList live = LiveSegments("", INT64_MIN, INT64_MAX);
  std::vector<SegmentEntry> entries;
  for (const auto& seg : live) entries.push_back(seg->entry());
  auto groups = PickCompactions(entries, options_.compaction, env_->NowNanos(), force);
  // In the background one merge at a time, so flushes get their turn between merges.
  if (!force && groups.size() > 1) groups.resize(1);
  CompactionResult result;
  for (const auto& g : groups) {
    SegmentList group;
    for (size_t i : g) group.push_back(live[i]);
    RETURN_IF_ERROR(MergeGroup(group, strict, &result));
  }
  return result;
}

absl::Status Store::MergeGroup(const SegmentList& group, bool strict, CompactionResult* result) {
  SegmentList inputs;
  std::vector<std::shared_ptr<const SegmentReader>> readers;
  uint64_t raw = 0, bytes = 0;
  const uint64_t bound = options_.compaction.max_merge_raw_bytes;
  for (const auto& seg : group) {
    auto r = seg->Reader();
    if (!r.ok()) {
      // Corrupt or missing: reported for quarantine; merge the others.
      if (absl::IsDataLoss(r.status()) || absl::IsNotFound(r.status())) continue;
      return r.status();
    }
    const uint64_t seg_raw = (*r)->meta().raw_bytes;
    if (raw + seg_raw > bound && (strict || inputs.size() >= 2)) {
      if (inputs.size() >= 2) break;
      // Strict, and this segment does not fit with the run so far: start a new run with it.
      inputs.clear();
      readers.clear();
      raw = bytes = 0;
    }
    raw += seg_raw;
    bytes += seg->entry().bytes;
    inputs.push_back(seg);
    readers.push_back(std::move(*r));
  }
  if (inputs.size() < 2) return absl::OkStatus();
  RecordBatch all, block;
  for (size_t k = 0; k < inputs.size(); ++k) {
    for (size_t i = 0; i < readers[k]->num_blocks(); ++i) {
      if (absl::Status s = readers[k]->ReadBlock(i, &block); !s.ok()) {
        // Leave the merge to a later run, after the quarantine has taken this segment out.
        inputs[k]->ReportCorruptBlock(s);
        return absl::IsDataLoss(s) ? absl::OkStatus() : s;
      }
      AppendBatch(block, &all);
    }
  }
  SegmentEntry merged;
  if (!std::is_sorted(all.times().begin(), all.times().end())) {
    // Inputs overlap in time (late records): sort, new blocks, index built from the rows.
    all = all.Select(all.TimeOrder());
    RETURN_IF_ERROR(WriteSegmentFile(inputs[0]->entry().tenant, all, &merged));
  } else {
    // In time order already: keep the inputs' blocks when they are large, and merge their
    // indexes instead of tokenizing everything again (index/segment_index_merger.h).
    std::vector<uint32_t> block_ends;
    std::vector<const index::SegmentIndex*> indexes;
    uint32_t rows = 0;
    for (const auto& r : readers) {
      for (const BlockMeta& bm : r->meta().blocks) block_ends.push_back(rows += bm.num_rows);
      indexes.push_back(r->index());
    }
    const bool large_blocks =
        all.num_rows() >= uint64_t{block_ends.size()} * options_.segment.block_rows / 2;
    const bool all_indexed =
        std::all_of(indexes.begin(), indexes.end(), [](const auto* ix) { return ix != nullptr; });
    std::string index;
    if (large_blocks && all_indexed && options_.segment.build_index &&
        index::MergeSegmentIndexes(indexes, &index).ok()) {
      RETURN_IF_ERROR(WriteSegmentFile(inputs[0]->entry().tenant, all, &merged, block_ends, index));
      result->index_merges++;
    } else {
      RETURN_IF_ERROR(WriteSegmentFile(inputs[0]->entry().tenant, all, &merged));
    }
  }
  const uint64_t written = merged.bytes;
  RETURN_IF_ERROR(ReplaceSegments(inputs, {std::move(merged)}, [&](ManifestCounters* c) {
    c->compactions++;
    c->compacted_bytes += written;
  }));
  result->merges++;
  result->input_segments += inputs.size();
  result->bytes_read += bytes;
  result->bytes_written += written;
  result->records += all.num_rows();
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Retention

absl::StatusOr<RetentionReport> Store::ApplyRetention(const RetentionPolicy& policy, bool dry_run) {
  if (options_.read_only && !dry_run) {
    return absl::FailedPreconditionError("store is open read-only");
  }
  auto report = RetentionInternal(policy, dry_run);
  if (options_.read_only && absl::IsNotFound(report.status()) && Refresh().ok()) {
    // A segment the writing process has since replaced: look again with its new manifest.
    report = RetentionInternal(policy, dry_run);
  }
  if (!dry_run) {
    if (auto q = QuarantineReported(); !q.ok()) {
      Log(StrCat("quarantine: ", StatusMessage(q.status())));
    }
  }
  return report;
}

absl::StatusOr<RetentionReport> Store::RetentionInternal(const RetentionPolicy& policy,
                                                         bool dry_run) {
  absl::MutexLock ml(&maint_mu_);
  RetentionReport rep;
  rep.dry_run = dry_run;
  rep.now = env_->NowNanos();
  const int64_t now = rep.now;

  // Expired records still in the memtable: a run flushes them so the age step below sees them
  // in segments; a dry run counts them.
  bool flush = false;
  {
    absl::MutexLock l(&mu_);
    for (const Memtable* mt : {&immutable_, &active_}) {
      for (const auto& [key, mp] : *mt) {
        const std::optional<int64_t> cutoff = policy.Cutoff(key.tenant, now);
        if (!cutoff || key.day * kNanosPerDay >= *cutoff) continue;
        flush = true;
        for (const auto& b : mp.batches)
          rep.memtable_records_expired += CountBefore(b->times(), *cutoff);
      }
    }
  }
  if (flush && !dry_run) {
    RETURN_IF_ERROR(Flush());
    rep.memtable_records_expired = 0;  // in segments now: counted with them
  }

  SegmentList live = LiveSegments("", INT64_MIN, INT64_MAX);
  std::vector<SegmentEntry> entries;
  std::map<std::pair<std::string, int64_t>, RetentionPartition> parts;
  auto part_of = [&](const SegmentEntry& e) -> RetentionPartition& {
    const int64_t day = DayOfSegmentPath(e);
    RetentionPartition& p = parts[{e.tenant, day}];
    if (p.day.empty()) {
      p.tenant = e.tenant;
      p.day = DayText(day);
      p.min_time = e.min_time;
      p.max_time = e.max_time;
    }
    return p;
  };
  for (const auto& seg : live) {
    const SegmentEntry& e = seg->entry();
    entries.push_back(e);
    RetentionPartition& p = part_of(e);
    p.segments++;
    p.records += e.records;
    p.bytes += e.bytes;
    p.min_time = std::min(p.min_time, e.min_time);
    p.max_time = std::max(p.max_time, e.max_time);
    rep.bytes_before += e.bytes;
  }

  // Age: drop segments wholly older than their tenant's cutoff, rewrite the ones straddling it.
  const std::vector<AgeAction> actions = PlanAge(entries, policy, now);
  SegmentList removed;
  std::vector<SegmentEntry> added;
  std::vector<SegmentEntry> after;  // the segments after the age step (estimated when dry)
  uint64_t expired = 0, rewritten_bytes = 0;
  auto note = [&](RetentionPartition& p, int64_t cutoff) {
    const std::string why = StrCat("age: records before ", FormatRfc3339Nanos(cutoff));
    if (p.reason.find(why) == std::string::npos) {
      p.reason = p.reason.empty() ? why : StrCat(p.reason, "; ", why);
    }
  };
  for (size_t i = 0; i < entries.size(); ++i) {
    const SegmentEntry& e = entries[i];
    RetentionPartition& p = part_of(e);
    switch (actions[i].kind) {
      case AgeAction::Kind::kKeep:
        after.push_back(e);
        break;
      case AgeAction::Kind::kDrop:
        removed.push_back(live[i]);
        p.records_removed += e.records;
        p.bytes_freed += e.bytes;
        expired += e.records;
        rep.segments_dropped++;
        note(p, actions[i].cutoff);
        break;
      case AgeAction::Kind::kTrim: {
        const int64_t cutoff = actions[i].cutoff;
        uint64_t n = 0;
        if (dry_run) {
          ASSIGN_OR_RETURN(std::shared_ptr<const SegmentReader> r, live[i]->Reader());
          RecordBatch times;
          for (size_t b = 0; b < r->num_blocks(); ++b) {
            const BlockMeta& bm = r->meta().blocks[b];
            if (bm.max_time < cutoff) {
              n += bm.num_rows;
            } else if (bm.min_time < cutoff) {
              RETURN_IF_ERROR(r->ReadBlock(b, std::vector<uint32_t>{}, &times));
              n += CountBefore(times.times(), cutoff);
            }
          }
          SegmentEntry est = e;
          est.records = e.records - std::min(n, e.records);
          est.bytes = e.records == 0 ? e.bytes : e.bytes * est.records / e.records;
          est.min_time = cutoff;
          if (n > 0) {
            p.bytes_freed += e.bytes - est.bytes;
            rep.segments_rewritten++;
          }
          after.push_back(est);
        } else {
          std::vector<SegmentEntry> out;
          absl::Status s = RewriteSegment(
              live[i].get(), INT64_MIN, cutoff,
              [](const RecordBatch& block, std::vector<uint32_t>* rows) {
                for (uint32_t r = 0; r < block.num_rows(); ++r) rows->push_back(r);
                return absl::OkStatus();
              },
              &out, &n);
          if (!s.ok()) {
            RemoveFiles(added);
            return s;
          }
          if (n == 0) {
            after.push_back(e);
            break;
          }
          uint64_t out_bytes = 0;
          for (const SegmentEntry& o : out) out_bytes += o.bytes;
          removed.push_back(live[i]);
          p.bytes_freed += e.bytes - std::min(e.bytes, out_bytes);
          rewritten_bytes += out_bytes;
          rep.segments_rewritten++;
          added.insert(added.end(), out.begin(), out.end());
          after.insert(after.end(), out.begin(), out.end());
        }
        if (n > 0) note(p, cutoff);
        p.records_removed += n;
        expired += n;
        break;
      }
    }
  }
  if (!dry_run && !removed.empty()) {
    RETURN_IF_ERROR(ReplaceSegments(removed, std::move(added), [&](ManifestCounters* c) {
      c->expired_records += expired;
      c->rewritten_bytes += rewritten_bytes;
    }));
  }

  // Size: whole partitions, oldest first, over what the age step left.
  const auto drops = PlanSize(after, policy);
  SegmentList removed_for_size;
  uint64_t expired_for_size = 0;
  if (!drops.empty()) {
    SegmentList now_live = dry_run ? SegmentList{} : LiveSegments("", INT64_MIN, INT64_MAX);
    std::vector<SegmentEntry> pool = dry_run ? after : std::vector<SegmentEntry>{};
    for (const auto& seg : now_live) pool.push_back(seg->entry());
    for (size_t i = 0; i < pool.size(); ++i) {
      const SegmentEntry& e = pool[i];
      auto d = drops.find({e.tenant, DayOfSegmentPath(e)});
      if (d == drops.end()) continue;
      RetentionPartition& p = part_of(e);
      p.records_removed += e.records;
      p.bytes_freed += e.bytes;
      if (p.reason.find(d->second) == std::string::npos) {
        p.reason = p.reason.empty() ? d->second : StrCat(p.reason, "; ", d->second);
      }
      expired_for_size += e.records;
      rep.segments_dropped++;
      if (!dry_run) removed_for_size.push_back(now_live[i]);
    }
  }
  if (!dry_run) {
    // The size step, if any, and the run's count in one manifest write.
    RETURN_IF_ERROR(ReplaceSegments(removed_for_size, {}, [&](ManifestCounters* c) {
      c->expired_records += expired_for_size;
      c->retention_runs++;
    }));
  }

  rep.records_removed = expired + expired_for_size;
  for (auto& [key, p] : parts) {
    if (p.records_removed == 0 && p.bytes_freed == 0) {
      p.fate = RetentionPartition::Fate::kKeep;
    } else if (p.records_removed >= p.records) {
      p.fate = RetentionPartition::Fate::kDrop;
    } else {
      p.fate = RetentionPartition::Fate::kTrim;
    }
    rep.bytes_after += p.bytes - std::min(p.bytes, p.bytes_freed);
    rep.partitions.push_back(p);
  }
  if (!dry_run) {
    // The files of dropped partitions go when the last snapshot lets go of them; an emptied
    // directory is removed now if nothing holds its files, else at the next open.
    live.clear();
    removed.clear();
    removed_for_size.clear();
    absl::MutexLock fl(&flush_mu_);
    for (const RetentionPartition& p : rep.partitions) {
      if (p.fate != RetentionPartition::Fate::kDrop) continue;
      const std::string tdir = JoinPath(dir_, StrCat("t=", p.tenant));
      if (env_->RemoveDir(JoinPath(tdir, StrCat("d=", p.day))).ok()) {
        env_->RemoveDir(tdir).IgnoreError();  // fails unless it was the tenant's last partition
      }
    }
  }
  return rep;
}

// ---------------------------------------------------------------------------------------------
// Delete

absl::StatusOr<RewriteResult> Store::Delete(std::string_view tenant, int64_t from, int64_t to,
                                            const RowMatcher& match) {
  RETURN_IF_ERROR(ValidateTenant(tenant));
  if (options_.read_only) return absl::FailedPreconditionError("store is open read-only");
  RewriteResult res;
  if (from >= to) return res;
  absl::Status status;
  {
    absl::MutexLock ml(&maint_mu_);
    // Every record acknowledged so far is in a segment after this.
    RETURN_IF_ERROR(Flush());
    SegmentList segs = LiveSegments(tenant, from, to);
    res.segments_examined = segs.size();
    SegmentList removed;
    std::vector<SegmentEntry> added;
    for (const auto& seg : segs) {
      std::vector<SegmentEntry> out;
      uint64_t n = 0;
      status = RewriteSegment(seg.get(), from, to, match, &out, &n);
      if (!status.ok()) break;
      if (n == 0) continue;
      removed.push_back(seg);
      res.records_removed += n;
      res.bytes_before += seg->entry().bytes;
      if (out.empty()) {
        res.segments_removed++;
      } else {
        res.segments_rewritten++;
      }
      for (const SegmentEntry& o : out) res.bytes_after += o.bytes;
      added.insert(added.end(), out.begin(), out.end());
    }
    if (!status.ok()) {
      RemoveFiles(added);
    } else if (!removed.empty()) {
      status = ReplaceSegments(removed, std::move(added), [&](ManifestCounters* c) {
        c->deleted_records += res.records_removed;
        c->rewritten_bytes += res.bytes_after;
      });
    }
  }
  if (auto q = QuarantineReported(); !q.ok())
    Log(StrCat("quarantine: ", StatusMessage(q.status())));
  if (!status.ok()) return status;
  return res;
}

// ---------------------------------------------------------------------------------------------
// Quarantine

absl::StatusOr<uint64_t> Store::QuarantineReported() {
  if (reports_ == nullptr || reports_->empty()) return 0;
  absl::MutexLock ml(&maint_mu_);
  uint64_t n = 0;
  absl::Status first_error;
  for (CorruptionReports::Report& r : reports_->Take()) {
    std::shared_ptr<LiveSegment> seg;
    {
      absl::MutexLock l(&mu_);
      for (const auto& s : segments_) {
        if (s->entry().path == r.path) seg = s;
      }
    }
    if (seg == nullptr) continue;  // replaced meanwhile
    absl::Status s = QuarantineOne(seg, r.message);
    if (s.ok()) {
      n++;
    } else {
      Log(StrCat("quarantine of ", r.path, " failed: ", StatusMessage(s)));
      if (first_error.ok()) first_error = s;
    }
  }
  if (!first_error.ok()) return first_error;
  return n;
}

absl::Status Store::QuarantineOne(const std::shared_ptr<LiveSegment>& seg,
                                  const std::string& reason) {
  const SegmentEntry& e = seg->entry();
  const std::string qdir = JoinPath(dir_, "quarantine");
  std::string name = e.path;
  std::replace(name.begin(), name.end(), '/', '_');
  const std::string qfile = JoinPath(qdir, name);

  // Salvage the blocks that still decode into a replacement segment.
  std::vector<SegmentEntry> salvaged;
  std::string details;
  uint64_t kept = 0, lost = 0;
  auto reader = seg->Reader();
  if (reader.ok()) {
    RecordBatch acc, block;
    for (size_t i = 0; i < (*reader)->num_blocks(); ++i) {
      absl::Status s = (*reader)->ReadBlock(i, &block);
      if (!s.ok()) {
        lost += (*reader)->meta().blocks[i].num_rows;
        StrAppend(&details, "  ", StatusMessage(s), "\n");
        continue;
      }
      kept += block.num_rows();
      AppendBatch(block, &acc);
      if (acc.ByteSize() >= kRewriteChunkBytes) {
        SegmentEntry out;
        if (absl::Status w = WriteSegmentFile(e.tenant, acc, &out); !w.ok()) {
          RemoveFiles(salvaged);
          return w;
        }
        salvaged.push_back(std::move(out));
        acc.Clear();
      }
    }
    if (!acc.empty()) {
      SegmentEntry out;
      if (absl::Status w = WriteSegmentFile(e.tenant, acc, &out); !w.ok()) {
        RemoveFiles(salvaged);
        return w;
      }
      salvaged.push_back(std::move(out));
    }
  } else {
    lost = e.records;
    StrAppend(&details, "  ", StatusMessage(reader.status()), "\n");
  }
  const bool missing = !reader.ok() && absl::IsNotFound(reader.status());

  // The trace first, then the manifest, then the file: a crash in between leaves the reason
  // file, and at worst the corrupt file removed as an orphan instead of moved.
  std::string text =
      StrCat("segment: ", e.path, "\nquarantined: ", FormatRfc3339Nanos(env_->NowNanos()),
             "\nreason: ", reason, "\nerrors:\n", details, "records in the manifest: ", e.records,
             "\nrecords salvaged: ", kept, "\nrecords lost: ", lost, "\n");
  for (const SegmentEntry& s : salvaged) StrAppend(&text, "salvaged into: ", s.path, "\n");
  if (missing) text.append("the file was missing; nothing was moved\n");
  absl::Status s = env_->CreateDirs(qdir);
  if (s.ok()) s = WriteFileAtomically(env_, StrCat(qfile, ".reason"), text);
  if (!s.ok()) {
    RemoveFiles(salvaged);
    return s;
  }
  seg->Detach();  // the file is moved below, not removed
  RETURN_IF_ERROR(
      ReplaceSegments({seg}, std::move(salvaged), [](ManifestCounters* c) { c->quarantined++; }));
  if (!missing) {
    s = env_->RenameFile(seg->file(), qfile);
    if (s.ok()) s = env_->SyncDir(qdir);
    if (!s.ok()) {
      Log(StrCat("quarantine: moving ", e.path, " aside failed (", StatusMessage(s),
                 "); it is no longer used and goes at the next open"));
    }
  }
  Log(StrCat("quarantined segment ", e.path, ": ", reason, " (", kept, " records salvaged, ", lost,
             " lost; see ", qfile, ".reason)"));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Background thread

void Store::BackgroundLoop() {
  int64_t flush_retry_at = 0, compaction_retry_at = 0;
  int64_t next_retention = env_->NowNanos();  // a first run at start
  bool busy = false;
  absl::MutexLock l(&mu_);
  while (!stop_) {
    if (!busy) bg_cv_.WaitWithTimeout(&mu_, absl::Seconds(1));
    busy = false;
    if (stop_) break;
    const int64_t now = env_->NowNanos();
    const bool flush = (FlushDue() || !immutable_.empty()) && now >= flush_retry_at;
    mu_.Unlock();
    uint64_t errors = 0;
    if (flush) {
      // On failure (disk full, I/O error) the records stay where they are; try again later.
      if (absl::Status s = Flush(); !s.ok()) {
        Log(StrCat("flush failed (records stay in the WAL and memory; retrying): ",
                   StatusMessage(s)));
        flush_retry_at = now + kFlushRetryNs;
        errors++;
      }
    }
    if (auto q = QuarantineReported(); !q.ok()) errors++;
    if (options_.retention && !options_.retention->empty() && now >= next_retention) {
      next_retention = now + std::max<int64_t>(options_.retention_interval_ns, kNanosPerSecond);
      auto r = ApplyRetention(*options_.retention);
      if (r.ok()) {
        Log(r->Summary());
      } else {
        Log(StrCat("retention failed (retrying at the next run): ", StatusMessage(r.status())));
        errors++;
      }
    }
    if (options_.compaction.target_bytes > 0 && now >= compaction_retry_at) {
      auto r = CompactInternal(/*force=*/false);
      if (!r.ok()) {
        Log(StrCat("compaction failed (retrying in a minute): ", StatusMessage(r.status())));
        compaction_retry_at = now + kCompactionRetryNs;
        errors++;
      } else {
        busy = r->merges > 0;  // there may be more to merge: no pause
      }
    }
    mu_.Lock();
    background_errors_ += errors;
  }
}

}  // namespace lode::storage
