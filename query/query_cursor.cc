#include "query/query_cursor.h"

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"

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
  std::unique_ptr<QueryCursor> c(
      new QueryCursor(std::move(filter), std::nullopt, std::move(options), *snap));
  for (const std::string& e : (*snap)->errors) {
    c->warnings_.push_back(e);
    ++c->stats_.unreadable;
  }
  return c;
}

absl::StatusOr<std::unique_ptr<QueryCursor>> QueryCursor::Open(storage::Store* store,
                                                               const Node& filter,
                                                               SearchOptions options) {
  auto snap = store->Snapshot(options.tenant, options.from, options.to);
  if (!snap.ok()) return snap.status();
  std::unique_ptr<QueryCursor> c(
      new QueryCursor(Filter::Compile(filter), Planner(filter), std::move(options), *snap));
  for (const std::string& e : (*snap)->errors) {
    c->warnings_.push_back(e);
    ++c->stats_.unreadable;
  }
  return c;
}

QueryCursor::QueryCursor(Filter filter, std::optional<Planner> planner, SearchOptions options,
                         std::shared_ptr<const storage::StoreSnapshot> snapshot)
    : filter_(std::move(filter)),
      planner_(std::move(planner)),
      options_(std::move(options)),
      snapshot_(std::move(snapshot)),
      segments_(snapshot_->sources) {
  stats_.segments = segments_.size();
  // Partitions: the "d=<day>" directory of segments, the "<tenant>/<day>" of memtables.
  absl::flat_hash_set<std::string> partitions;
  for (const auto& src : segments_) {
    const std::string& name = src->name();
    size_t d = name.rfind("/d=");
    size_t m = name.find("memtable:");
    if (d != std::string::npos) {
      partitions.insert(name.substr(d + 3, 10));
    } else if (m != std::string::npos) {
      partitions.insert(name.substr(name.size() >= 10 ? name.size() - 10 : 0));
    }
  }
  stats_.partitions = partitions.size();
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
  const storage::BlockSource& src = *segments_[seg_];
  const size_t nb = src.num_blocks();
  if (planner_) {
    plan_ = planner_->Plan(src, options_.from, options_.to);
  } else {
    plan_ = BlockPlan{};
    plan_.state.assign(nb, BlockPlan::kRead);
    plan_.rows.assign(nb, 0);
    plan_.all_columns = true;
    if (filter_.matches_all()) {
      for (size_t b = 0; b < nb; ++b) {
        const storage::BlockMeta& bm = src.meta().blocks[b];
        if (bm.min_time >= options_.from && bm.max_time < options_.to) {
          plan_.state[b] = BlockPlan::kCounted;
          plan_.rows[b] = bm.num_rows;
        }
      }
    }
  }
  if (!plan_.index_note.empty()) index_notes_.push_back(plan_.index_note);
  if (plan_.all_columns) {
    filter_columns_.insert("(all)");
  } else {
    for (uint32_t c : plan_.columns) {
      if (c == storage::kMessageColumnId) {
        filter_columns_.insert(plan_.message_skeleton ? "_msg (skeletons)" : "_msg");
      } else if (c >= storage::kFirstFieldColumnId &&
                 c - storage::kFirstFieldColumnId < src.meta().fields.size()) {
        filter_columns_.insert(src.meta().fields[c - storage::kFirstFieldColumnId].name);
      }
    }
  }
  // Segments are written in time order, but nothing here relies on it: the newest time in
  // blocks [0, b] that the plan keeps bounds what the unread part of the segment can hold.
  int64_t m = std::numeric_limits<int64_t>::min();
  size_t in_window = 0, live = 0;
  const auto& blocks = src.meta().blocks;
  for (size_t b = 0; b < nb; ++b) {
    const storage::BlockMeta& bm = blocks[b];
    if (bm.max_time >= options_.from && bm.min_time < options_.to) ++in_window;
    if (plan_.state[b] != BlockPlan::kSkip) {
      ++live;
      m = std::max(m, bm.max_time);
    }
    prefix_max_.push_back(m);
  }
  stats_.blocks_considered += in_window;
  if (live == 0) ++stats_.segments_skipped;
  output_columns_.clear();
  if (options_.fields && !plan_.all_columns) {
    std::set<uint32_t> cols(plan_.columns.begin(), plan_.columns.end());
    const auto& fields = src.meta().fields;
    for (const std::string& f : *options_.fields) {
      if (f == "_msg") cols.insert(storage::kMessageColumnId);
      for (size_t i = 0; i < fields.size(); ++i) {
        if (fields[i].name == f)
          cols.insert(storage::kFirstFieldColumnId + static_cast<uint32_t>(i));
      }
    }
    output_columns_.assign(cols.begin(), cols.end());
  }
}

namespace {

// Bytes of column streams a read of `columns` (null: all) of block `b` decodes, times included
// unless `times` is false (0 when its chunk entries are corrupt: the read reports that).
uint64_t DecodedBytes(const storage::BlockSource& src, size_t b,
                      const std::vector<uint32_t>* columns, bool times = true) {
  auto chunks = src.Chunks(b);
  if (!chunks.ok()) return 0;
  uint64_t n = 0;
  for (const storage::ChunkMeta& c : **chunks) {
    if (columns == nullptr || (times && c.column_id == storage::kTimeColumnId) ||
        std::binary_search(columns->begin(), columns->end(), c.column_id)) {
      n += c.raw_len;
    }
  }
  return n;
}

}  // namespace

bool QueryCursor::ReadForFilter(size_t b, bool all_columns) {
  const storage::BlockSource& seg = *segments_[seg_];
  absl::Status s;
  if (all_columns || plan_.all_columns) {
    s = seg.ReadBlock(b, &block_);
    stats_.bytes_decompressed += DecodedBytes(seg, b, nullptr);
  } else {
    const std::vector<uint32_t>& cols = options_.fields ? output_columns_ : plan_.columns;
    // Skeletons serve the filter; printed messages must be real.
    const bool skeleton = plan_.message_skeleton && !options_.fields;
    s = seg.ReadBlock(b, cols, &block_, {skeleton, plan_.message_expand.get()});
    stats_.bytes_decompressed += DecodedBytes(seg, b, &cols);
  }
  if (!s.ok()) {
    Warn(s);
    return false;
  }
  return true;
}

bool QueryCursor::OverLimits() {
  if (!status_.ok()) return true;
  if (options_.deadline != absl::InfiniteFuture() && absl::Now() > options_.deadline) {
    status_ = absl::DeadlineExceededError(StrCat("query timed out (read ", stats_.blocks_read,
                                                 " of ", stats_.blocks_considered, "+ blocks)"));
  } else if (held_.ByteSize() + block_.ByteSize() > options_.memory_budget) {
    status_ =
        absl::ResourceExhaustedError(StrCat("query needs more than ", options_.memory_budget >> 20,
                                            " MiB of memory for the records it holds"));
  } else {
    return false;
  }
  done_ = true;
  return true;
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
  if (bm.max_time < options_.from || bm.min_time >= options_.to ||
      plan_.state[b] == BlockPlan::kSkip) {
    ++stats_.blocks_skipped;
    return Advance(false);
  }
  if (OverLimits()) return;
  const RecordBatch* block = seg.PeekBlock(b);
  // Without a projection the output needs every column: read them at once when the index says
  // the block has matches, else first only what the filter needs.
  bool need_all = false;
  if (block == nullptr) {
    const bool full = !options_.fields && plan_.state[b] == BlockPlan::kCounted;
    if (!ReadForFilter(b, full)) return Advance(false);
    need_all = !options_.fields && !full && !plan_.all_columns;
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
  if (need_all && sel_.Count() > 0) {
    // Same rows, every column; the selection still holds.
    if (!ReadForFilter(b, true)) return Advance(false);
  }

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
  // Plan every source first (the constructor entered the first one); blocks the index counts
  // or rules out are settled here, the others are read by a few threads at once.
  struct Task {
    size_t seg;
    size_t block;
    std::shared_ptr<const std::vector<uint32_t>> columns;  // null: every column
    bool skeleton;
    std::shared_ptr<const storage::MessageExpandPredicate> expand;
  };
  std::vector<Task> tasks;
  for (bool first = true; seg_ < segments_.size() && !OverLimits(); ++seg_, first = false) {
    if (!first) EnterSegment();
    const storage::BlockSource& seg = *segments_[seg_];
    const auto& blocks = seg.meta().blocks;
    auto columns =
        plan_.all_columns ? nullptr : std::make_shared<const std::vector<uint32_t>>(plan_.columns);
    for (size_t b = 0; b < blocks.size(); ++b) {
      const storage::BlockMeta& bm = blocks[b];
      if (bm.max_time < options_.from || bm.min_time >= options_.to ||
          plan_.state[b] == BlockPlan::kSkip) {
        ++stats_.blocks_skipped;
      } else if (plan_.state[b] == BlockPlan::kCounted) {
        total += plan_.rows[b];
        ++stats_.blocks_counted;
      } else {
        tasks.push_back({seg_, b, columns, plan_.message_skeleton, plan_.message_expand});
      }
    }
  }
  blocks_left_ = 0;
  done_ = true;
  if (tasks.empty() || !status_.ok()) return total;

  const bool time_filter = filter_.uses_times();
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  absl::Mutex mu;  // guards the merges into total, stats_, warnings_
  auto work = [&] {
    RecordBatch block;
    Selection sel;
    FilterScratch scratch;
    uint64_t local = 0;
    SearchStats st;
    std::vector<std::string> warnings;
    for (size_t i = next++; i < tasks.size() && !stop; i = next++) {
      if (options_.deadline != absl::InfiniteFuture() && absl::Now() > options_.deadline) {
        stop = true;
        break;
      }
      const Task& t = tasks[i];
      const storage::BlockSource& seg = *segments_[t.seg];
      const storage::BlockMeta& bm = seg.meta().blocks[t.block];
      const RecordBatch* in = seg.PeekBlock(t.block);
      const bool inside = bm.min_time >= options_.from && bm.max_time < options_.to;
      if (in == nullptr) {
        // A block inside the window needs no row's time unless the filter looks at _time: its
        // time column (a fifth of a projected read's work) is then not decoded.
        const storage::BlockReadOptions read{t.skeleton, t.expand.get(), !inside || time_filter};
        absl::Status s = t.columns ? seg.ReadBlock(t.block, *t.columns, &block, read)
                                   : seg.ReadBlock(t.block, &block);
        st.bytes_decompressed += DecodedBytes(seg, t.block, t.columns.get(), read.times);
        if (!s.ok()) {
          warnings.emplace_back(StatusMessage(s));
          continue;
        }
        in = &block;
      }
      ++st.blocks_read;
      const size_t n = in->num_rows();
      st.rows_scanned += n;
      if (inside) {
        sel.Reset(n, true);
      } else {
        sel.Reset(n, false);
        const std::vector<int64_t>& times = in->times();
        for (size_t r = 0; r < n; ++r) {
          if (times[r] >= options_.from && times[r] < options_.to) sel.Set(r);
        }
      }
      filter_.Evaluate(*in, &sel, &scratch);
      local += sel.Count();
    }
    absl::MutexLock l(&mu);
    total += local;
    stats_.blocks_read += st.blocks_read;
    stats_.rows_scanned += st.rows_scanned;
    stats_.bytes_decompressed += st.bytes_decompressed;
    for (std::string& w : warnings) {
      warnings_.push_back(std::move(w));
      ++stats_.unreadable;
    }
  };
  const size_t threads = std::min<size_t>(
      {tasks.size(), std::max<size_t>(1, options_.threads), std::thread::hardware_concurrency()});
  std::vector<std::thread> pool;
  for (size_t k = 1; k < threads; ++k) pool.emplace_back(work);
  work();
  for (std::thread& th : pool) th.join();
  if (stop) {
    status_ = absl::DeadlineExceededError(StrCat("query timed out (read ", stats_.blocks_read,
                                                 " of ", tasks.size(), " blocks to read)"));
  }
  return total;
}

}  // namespace lode::query

namespace lode::query {

std::string QueryCursor::Explain() const {
  const SearchStats& s = stats_;
  std::string plan = planner_ ? planner_->Describe() : "no index planning\n";
  for (const std::string& n : index_notes_) StrAppend(&plan, "note: ", n, "\n");
  std::string cols;
  for (const std::string& c : filter_columns_) StrAppend(&cols, cols.empty() ? "" : ", ", c);
  uint64_t total_blocks = 0;
  for (const auto& src : segments_) total_blocks += src->num_blocks();
  const uint64_t done = s.blocks_read + s.blocks_counted;
  const uint64_t not_read = s.blocks_considered > done ? s.blocks_considered - done : 0;
  return StrCat(
      "plan:\n", plan, "columns read to filter: ", cols.empty() ? "none" : cols, "\n",
      "partitions: ", s.partitions, "\n", "segments: ", s.segments, " (", s.segments_skipped,
      " skipped)\n", "blocks: ", total_blocks, " in the sources; of the ", s.blocks_considered,
      " in the window of the sources looked at: ", s.blocks_read, " read, ", s.blocks_counted,
      " counted from the index, ", not_read,
      " not read (ruled out by the index or min/max, or not needed after the limit)\n",
      "rows scanned: ", s.rows_scanned, "\n", "bytes decompressed: ", s.bytes_decompressed, "\n");
}

}  // namespace lode::query
