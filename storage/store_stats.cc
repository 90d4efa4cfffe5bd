// Store statistics: what `lode stats` prints (the Store class is declared in store.h).
#include <algorithm>
#include <map>

#include "common/strings.h"
#include "common/time_util.h"
#include "storage/store.h"

namespace lode::storage {
namespace {

constexpr std::string_view kSegmentSuffix = ".lode";
constexpr int64_t kNanosPerDay = 86400 * kNanosPerSecond;

}  // namespace

double StoreStats::write_amplification() const {
  if (counters.flushed_bytes == 0) return 0;
  return static_cast<double>(counters.flushed_bytes + counters.compacted_bytes +
                             counters.rewritten_bytes) /
         static_cast<double>(counters.flushed_bytes);
}

StoreStats Store::Stats() {
  StoreStats st;
  std::map<std::pair<std::string, std::string>, StoreStats::Partition> parts;
  {
    absl::MutexLock l(&mu_);
    for (const auto& seg : segments_) {
      const SegmentEntry& e = seg->entry();
      std::string day = UtcDayString(DayOfSegmentPath(e) * kNanosPerDay);
      StoreStats::Partition& p = parts[{e.tenant, day}];
      if (p.segments == 0) {
        p.tenant = e.tenant;
        p.day = day;
        p.min_time = e.min_time;
        p.max_time = e.max_time;
      }
      p.segments++;
      p.records += e.records;
      p.bytes += e.bytes;
      p.min_time = std::min(p.min_time, e.min_time);
      p.max_time = std::max(p.max_time, e.max_time);
      st.segments++;
      st.segment_records += e.records;
      st.segment_bytes += e.bytes;
    }
    for (const Memtable* mt : {&immutable_, &active_}) {
      for (const auto& [key, mp] : *mt) {
        st.memtable_records += mp.records;
        st.memtable_bytes += mp.bytes;
      }
    }
    st.flushes = flushes_;
    st.counters = counters_;
    st.background_errors = background_errors_;
  }
  for (auto& [k, p] : parts) st.partitions.push_back(std::move(p));
  if (auto names = env_->ListDir(wal_dir_); names.ok()) {
    for (const std::string& n : *names) {
      if (ParseWalFileName(n) == 0) continue;
      st.wal_files++;
      if (auto size = env_->FileSize(JoinPath(wal_dir_, n)); size.ok()) st.wal_bytes += *size;
    }
  }
  if (auto names = env_->ListDir(JoinPath(dir_, "quarantine")); names.ok()) {
    for (const std::string& n : *names) st.quarantined_files += n.ends_with(kSegmentSuffix);
  }
  return st;
}

std::vector<ColumnStats> Store::ColumnStatistics(std::vector<std::string>* errors) {
  std::map<std::pair<std::string, std::string>, ColumnStats> cols;
  SegmentList segs = LiveSegments("", INT64_MIN, INT64_MAX);
  if (options_.read_only) {
    // Footers of segments the writing process has since replaced cannot be read: if any is
    // gone, look again with its new manifest.
    for (const auto& seg : segs) {
      if (auto r = seg->Reader(); !r.ok() && absl::IsNotFound(r.status())) {
        if (Refresh().ok()) segs = LiveSegments("", INT64_MIN, INT64_MAX);
        break;
      }
    }
  }
  for (const auto& seg : segs) {
    auto r = seg->Reader();
    if (!r.ok()) {
      if (errors != nullptr) errors->push_back(std::string(StatusMessage(r.status())));
      continue;
    }
    const SegmentMeta& meta = (*r)->meta();
    for (size_t b = 0; b < meta.blocks.size(); ++b) {
      auto chunks = (*r)->Chunks(b);
      if (!chunks.ok()) {
        if (errors != nullptr) errors->push_back(std::string(StatusMessage(chunks.status())));
        continue;
      }
      for (const ChunkMeta& c : **chunks) {
        std::pair<std::string, std::string> key;
        if (c.column_id == kTimeColumnId) {
          key = {"_time", "time"};
        } else if (c.column_id == kMessageColumnId) {
          key = {"_msg", "string"};
        } else if (c.column_id - kFirstFieldColumnId < meta.fields.size()) {
          const FieldSchema& f = meta.fields[c.column_id - kFirstFieldColumnId];
          key = {f.name, std::string(FieldTypeName(f.type))};
        } else {
          continue;
        }
        ColumnStats& cs = cols[key];
        cs.name = key.first;
        cs.type = key.second;
        cs.values += c.num_values;
        cs.raw_bytes += c.raw_len;
        cs.stored_bytes += c.stored_len;
      }
    }
  }
  std::vector<ColumnStats> out;
  out.reserve(cols.size());
  for (auto& [k, c] : cols) out.push_back(std::move(c));
  std::sort(out.begin(), out.end(), [](const ColumnStats& a, const ColumnStats& b) {
    return a.stored_bytes != b.stored_bytes ? a.stored_bytes > b.stored_bytes : a.name < b.name;
  });
  return out;
}

}  // namespace lode::storage
