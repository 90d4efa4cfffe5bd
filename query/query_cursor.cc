#include "query/query_cursor.h"

#include <algorithm>

#include "common/strings.h"
#include "query/internal/batch_gather.h"

namespace lode::query {
namespace {

// Dead rows tolerated in the candidate buffer before it is rewritten.
constexpr size_t kCompactSlack = 8192;

}  // namespace

absl::StatusOr<std::unique_ptr<QueryCursor>> QueryCursor::Open(storage::Store* store, Filter filter,
                                                               SearchOptions options) {
  auto snap = store->Snapshot(options.tenant, options.from, options.to);
  if (!snap.ok()) return snap.status();
  // The snapshot orders sources newest max_time first, ties by name, so the order of equal
  // timestamps is deterministic.
  std::unique_ptr<QueryCursor> c(new QueryCursor(std::move(filter), std::move(options), *snap));
  for (const std::string& e : (*snap)->errors) {
    c->warnings_.push_back(e);
    ++c->stats_.unreadable;
  }
  return c;
}

QueryCursor::QueryCursor(Filter filter, SearchOptions options,
                         std::shared_ptr<const storage::StoreSnapshot> snapshot)
    : filter_(std::move(filter)),
      options_(std::move(options)),
      snapshot_(std::move(snapshot)),
      segments_(snapshot_->sources) {
  stats_.segments = segments_.size();
  seg_ = 0;
  EnterSegment();
  if (!segments_.empty() && blocks_left_ == 0) Advance(true);
}

uint64_t QueryCursor::Capacity() const {
  if (options_.limit == 0) return std::numeric_limits<uint64_t>::max();
  return options_.limit - emitted_;
}

void QueryCursor::Warn(const absl::Status& s) {
  warnings_.push_back(std::string(StatusMessage(s)));
  ++stats_.unreadable;
}

std::optional<int64_t> QueryCursor::Watermark() const {
  if (seg_ >= segments_.size()) return std::nullopt;
  int64_t w = std::numeric_limits<int64_t>::min();
  bool any = false;
  if (blocks_left_ > 0) {
    w = prefix_max_[blocks_left_ - 1];
    any = true;
  }
  // Later segments have a smaller or equal max_time than the next one.
  if (seg_ + 1 < segments_.size()) {
    w = std::max(w, segments_[seg_ + 1]->meta().max_time);
    any = true;
  }
  if (!any) return std::nullopt;
  if (options_.to != std::numeric_limits<int64_t>::min()) w = std::min(w, options_.to - 1);
  if (w < options_.from) return std::nullopt;
  return w;
}

void QueryCursor::Advance(bool rest_of_segment) {
  if (seg_ >= segments_.size()) return;
  if (rest_of_segment) {
    stats_.blocks_skipped += blocks_left_;
    blocks_left_ = 0;
  } else if (blocks_left_ > 0) {
    --blocks_left_;
  }
  while (blocks_left_ == 0 && seg_ < segments_.size()) {
    ++seg_;
    EnterSegment();
  }
}

void QueryCursor::Prune() {
  const uint64_t cap = Capacity();
  if (cap == 0 || entries_.size() < cap) return;
  if (entries_.size() > cap) {
    std::nth_element(entries_.begin(), entries_.begin() + static_cast<ptrdiff_t>(cap - 1),
                     entries_.end(), Better);
    entries_.resize(cap);
  }
  threshold_ = *std::min_element(entries_.begin(), entries_.end(),
                                 [](const Entry& a, const Entry& b) { return Better(b, a); });
}

void QueryCursor::EnterSegment() {
  blocks_left_ = seg_ < segments_.size() ? segments_[seg_]->num_blocks() : 0;
  prefix_max_.clear();
  if (seg_ >= segments_.size()) return;
  // Segments are written in time order, but nothing here relies on it: the newest time in
  // blocks [0, b] bounds what the unread part of the segment can hold.
  int64_t m = std::numeric_limits<int64_t>::min();
  for (const storage::BlockMeta& bm : segments_[seg_]->meta().blocks) {
    m = std::max(m, bm.max_time);
    prefix_max_.push_back(m);
  }
}

void QueryCursor::ProcessNextBlock() {
  const storage::BlockSource& seg = *segments_[seg_];
  const size_t b = blocks_left_ - 1;
  const storage::BlockMeta& bm = seg.meta().blocks[b];
  const uint64_t cap = Capacity();
  if (prefix_max_[b] < options_.from) return Advance(true);
  if (options_.limit != 0) {
    Prune();
    // A row read from now on has time <= its block's max_time and is read after every held
    // row, so it cannot beat the worst of N held rows whose time is >= that max_time.
    if (threshold_ && threshold_->time >= prefix_max_[b]) return Advance(true);
    if (threshold_ && threshold_->time >= bm.max_time) {
      ++stats_.blocks_skipped;
      return Advance(false);
    }
  }
  if (bm.max_time < options_.from || bm.min_time >= options_.to) {
    ++stats_.blocks_skipped;
    return Advance(false);
  }
  const RecordBatch* block = seg.PeekBlock(b);
  if (block == nullptr) {
    if (absl::Status s = seg.ReadBlock(b, &block_); !s.ok()) {
      Warn(s);
      return Advance(false);
    }
    block = &block_;
  }
  ++stats_.blocks_read;
  const size_t n = block->num_rows();
  stats_.rows_scanned += n;
  sel_.Reset(n, false);
  const std::vector<int64_t>& times = block->times();
  const bool have_threshold = threshold_.has_value();
  const int64_t above = have_threshold ? threshold_->time : 0;
  bool sorted = true;
  for (size_t r = 0; r < n; ++r) {
    const int64_t t = times[r];
    if (r > 0 && t < times[r - 1]) sorted = false;
    if (t >= options_.from && t < options_.to && (!have_threshold || t > above)) sel_.Set(r);
  }
  filter_.Evaluate(*block, &sel_, &scratch_);

  // Candidates best first: newest first, and among equal times the later row first. For a
  // block in time order that is simply the reverse row order.
  candidates_.clear();
  sel_.ForEachReverse([&](size_t row) { candidates_.push_back(static_cast<uint32_t>(row)); });
  if (!sorted) {
    std::stable_sort(candidates_.begin(), candidates_.end(),
                     [&](uint32_t a, uint32_t b) { return times[a] > times[b]; });
  }
  const size_t first_new = entries_.size();
  for (uint32_t row : candidates_) {
    if (entries_.size() - first_new >= cap) break;
    Entry e{times[row], next_order_++, row};
    if (have_threshold && !Better(e, *threshold_)) break;  // and so is every later candidate
    entries_.push_back(e);
  }
  if (entries_.size() > first_new) {
    // AppendRows wants ascending block rows; remember where each one lands in held_.
    gather_rows_.clear();
    for (size_t i = first_new; i < entries_.size(); ++i) gather_rows_.push_back(entries_[i].row);
    std::sort(gather_rows_.begin(), gather_rows_.end());
    const auto base = static_cast<uint32_t>(held_.num_rows());
    internal::AppendRows(*block, gather_rows_, &held_);
    for (size_t i = first_new; i < entries_.size(); ++i) {
      const size_t k = std::lower_bound(gather_rows_.begin(), gather_rows_.end(), entries_[i].row) -
                       gather_rows_.begin();
      entries_[i].row = base + static_cast<uint32_t>(k);
    }
  }
  Advance(false);
  if (options_.limit != 0) Prune();
  CompactHeld();
}

bool QueryCursor::EmitReady(const std::optional<int64_t>& watermark, RecordBatch* out) {
  auto ready_end = watermark ? std::partition(entries_.begin(), entries_.end(),
                                              [&](const Entry& e) { return e.time >= *watermark; })
                             : entries_.end();
  if (ready_end == entries_.begin()) return false;
  std::sort(entries_.begin(), ready_end, Better);
  const uint64_t k = std::min<uint64_t>(Capacity(), ready_end - entries_.begin());
  std::vector<uint32_t> rows;
  rows.reserve(k);
  for (uint64_t i = 0; i < k; ++i) rows.push_back(entries_[i].row);
  *out = held_.Select(rows);
  emitted_ += k;
  entries_.erase(entries_.begin(), ready_end);
  if (options_.limit != 0 && emitted_ >= options_.limit) done_ = true;
  if (entries_.empty()) threshold_.reset();
  CompactHeld();
  return true;
}

void QueryCursor::CompactHeld() {
  if (entries_.empty()) {
    held_.Clear();
    return;
  }
  if (held_.num_rows() <= 2 * entries_.size() + kCompactSlack) return;
  std::sort(entries_.begin(), entries_.end(),
            [](const Entry& a, const Entry& b) { return a.row < b.row; });
  std::vector<uint32_t> rows;
  rows.reserve(entries_.size());
  for (Entry& e : entries_) {
    rows.push_back(e.row);
    e.row = static_cast<uint32_t>(rows.size() - 1);
  }
  held_ = held_.Select(rows);
}

bool QueryCursor::Next(RecordBatch* out) {
  out->Clear();
  while (!done_) {
    std::optional<int64_t> watermark = Watermark();
    if (EmitReady(watermark, out)) return true;
    if (!watermark) {
      done_ = true;
      break;
    }
    ProcessNextBlock();
  }
  return false;
}

uint64_t QueryCursor::Count() {
  uint64_t total = 0;
  for (; seg_ < segments_.size(); ++seg_) {
    const storage::BlockSource& seg = *segments_[seg_];
    const auto& blocks = seg.meta().blocks;
    for (size_t b = 0; b < blocks.size(); ++b) {
      const storage::BlockMeta& bm = blocks[b];
      if (bm.max_time < options_.from || bm.min_time >= options_.to) {
        ++stats_.blocks_skipped;
        continue;
      }
      if (filter_.matches_all() && bm.min_time >= options_.from && bm.max_time < options_.to) {
        total += bm.num_rows;
        ++stats_.blocks_skipped;
        continue;
      }
      const RecordBatch* block = seg.PeekBlock(b);
      if (block == nullptr) {
        if (absl::Status s = seg.ReadBlock(b, &block_); !s.ok()) {
          Warn(s);
          continue;
        }
        block = &block_;
      }
      ++stats_.blocks_read;
      const size_t n = block->num_rows();
      stats_.rows_scanned += n;
      sel_.Reset(n, false);
      const std::vector<int64_t>& times = block->times();
      for (size_t r = 0; r < n; ++r) {
        if (times[r] >= options_.from && times[r] < options_.to) sel_.Set(r);
      }
      filter_.Evaluate(*block, &sel_, &scratch_);
      total += sel_.Count();
    }
  }
  blocks_left_ = 0;
  done_ = true;
  return total;
}

}  // namespace lode::query
