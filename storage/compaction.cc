#include "storage/compaction.h"

#include <algorithm>
#include <bit>
#include <map>

#include "common/time_util.h"

namespace lode::storage {
namespace {

constexpr int64_t kNanosPerDay = 86400 * kNanosPerSecond;

// Size tier: floor(log4(bytes)).
int Tier(uint64_t bytes) { return std::bit_width(std::max<uint64_t>(bytes, 1)) / 2; }

}  // namespace

int64_t DayOfTime(int64_t ns) { return ns >= 0 ? ns / kNanosPerDay : (ns + 1) / kNanosPerDay - 1; }

int64_t DayOfSegmentPath(const SegmentEntry& e) {
  // The path names the partition; min_time is the fallback for a path of another shape.
  const size_t d = e.path.find("/d=");
  if (d != std::string::npos && d + 13 <= e.path.size()) {
    if (auto t = ParseTimestamp(std::string_view(e.path).substr(d + 3, 10))) return DayOfTime(*t);
  }
  return DayOfTime(e.min_time);
}

std::vector<std::vector<size_t>> PickCompactions(const std::vector<SegmentEntry>& segments,
                                                 const CompactionOptions& options, int64_t now,
                                                 bool force) {
  const uint64_t target =
      options.target_bytes > 0 ? options.target_bytes : CompactionOptions{}.target_bytes;
  std::map<std::pair<std::string, int64_t>, std::vector<size_t>> small;
  for (size_t i = 0; i < segments.size(); ++i) {
    if (segments[i].bytes >= target) continue;
    small[{segments[i].tenant, DayOfSegmentPath(segments[i])}].push_back(i);
  }
  std::vector<std::vector<size_t>> groups;
  auto by_time = [&](size_t a, size_t b) {
    const SegmentEntry &x = segments[a], &y = segments[b];
    return x.min_time != y.min_time ? x.min_time < y.min_time : x.path < y.path;
  };
  for (auto& [key, idx] : small) {
    if (idx.size() < 2) continue;
    const bool cold = (key.second + 1) * kNanosPerDay + options.cold_after_ns <= now;
    if (force || cold) {
      std::sort(idx.begin(), idx.end(), by_time);
      groups.push_back(idx);
      continue;
    }
    std::map<int, std::vector<size_t>> tiers;
    for (size_t i : idx) tiers[Tier(segments[i].bytes)].push_back(i);
    for (auto& [tier, members] : tiers) {
      if (members.size() < std::max<size_t>(options.min_inputs, 2)) continue;
      std::sort(members.begin(), members.end(), by_time);
      groups.push_back(members);
    }
  }
  return groups;
}

void AppendBatch(const RecordBatch& src, RecordBatch* dst) {
  const size_t base = dst->num_rows();
  std::vector<int64_t>* times = dst->mutable_times();
  times->insert(times->end(), src.times().begin(), src.times().end());
  StringData* msgs = dst->mutable_messages();
  for (size_t r = 0; r < src.num_rows(); ++r) msgs->Append(src.message(r));
  for (const Column& c : src.columns()) {
    if (c.rows.empty()) continue;
    Column* d = dst->MutableColumn(c.name, c.type);
    for (uint32_t r : c.rows) d->rows.push_back(static_cast<uint32_t>(base + r));
    d->ints.insert(d->ints.end(), c.ints.begin(), c.ints.end());
    d->doubles.insert(d->doubles.end(), c.doubles.begin(), c.doubles.end());
    for (size_t i = 0; i < c.strings.size(); ++i) d->strings.Append(c.strings.Get(i));
  }
}

RecordBatch ConcatSorted(const std::vector<const RecordBatch*>& batches) {
  RecordBatch all;
  for (const RecordBatch* b : batches) AppendBatch(*b, &all);
  if (std::is_sorted(all.times().begin(), all.times().end())) return all;
  return all.Select(all.TimeOrder());
}

}  // namespace lode::storage
