// `lode ingest`: reads NDJSON or text lines from files or stdin and stores them as segments.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include <fcntl.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/flags.h"
#include "common/strings.h"
#include "ingest/line_parser.h"
#include "storage/env.h"
#include "storage/store.h"

namespace lode::cli {
namespace {

constexpr char kHelp[] =
    R"(usage: lode ingest --data DIR [--format auto|ndjson|text] [--tenant NAME] [FILE ...|-]

Stores log lines from the FILEs (or stdin, also as '-') in DIR. NDJSON lines are parsed as
records (timestamp from _time, @timestamp, timestamp, time or ts; message from _msg, message,
msg or log; other keys become fields); with --format auto (the default) a line that does not
start with '{' is a plain-text message stamped with the ingest time.

A summary goes to stderr. Exit status: 0 all lines stored; 1 some lines rejected (the others
are stored); 2 usage or I/O error. Every input is opened before anything is stored, so a missing
file stores nothing; a read error part-way keeps what was stored before it (the summary says
how much).

The directory must not be in use by a running `lode serve` (send it the lines over HTTP).
)";

constexpr size_t kReadChunk = 4 << 20;    // bytes read per call
constexpr size_t kFlushBytes = 64 << 20;  // batch size that triggers a segment write
constexpr size_t kMaxShownErrors = 5;

struct Totals {
  uint64_t lines = 0, stored = 0, rejected = 0, segments = 0, bytes_in = 0, bytes_out = 0;
};

// Writes the batches handed to it to the store on its own thread, in the order given, so that
// parsing the next batch overlaps writing this one. It holds one batch at a time: Submit waits
// until the previous batch is written, so at most two batches (this one and the one being
// parsed) are in memory. (Letting a second batch wait as well did not write faster, since
// writing is the slower side, and cost another batch of memory.) After a failed write it
// writes nothing more.
//
// Submit/TakeRecycled/Close are called from one thread; the Store must outlive the writer and
// take no other writes meanwhile.
class BatchWriter {
 public:
  BatchWriter(storage::Store* store, std::string tenant)
      : store_(store), tenant_(std::move(tenant)), thread_([this] { Run(); }) {}
  ~BatchWriter() { Close().IgnoreError(); }
  BatchWriter(const BatchWriter&) = delete;
  BatchWriter& operator=(const BatchWriter&) = delete;

  // Hands `batch` (not empty) to the writer thread, waiting until the previous one is written.
  // False (and the batch is dropped) when a write has failed: see Close().
  bool Submit(RecordBatch batch) {
    absl::MutexLock l(&mu_);
    mu_.Await(absl::Condition(this, &BatchWriter::CanSubmit));
    if (!status_.ok()) return false;
    pending_ = std::move(batch);
    return true;
  }

  // An empty batch to parse into: a written one (whose buffers are reused) when there is one.
  RecordBatch TakeRecycled() {
    absl::MutexLock l(&mu_);
    if (!recycled_.has_value()) return RecordBatch();
    RecordBatch b = std::move(*recycled_);
    recycled_.reset();
    return b;
  }

  // Waits until every submitted batch is written (or a write failed) and stops the thread.
  // Returns OK or the error of the failed write. Idempotent.
  absl::Status Close() {
    {
      absl::MutexLock l(&mu_);
      closing_ = true;
    }
    if (thread_.joinable()) thread_.join();
    absl::MutexLock l(&mu_);
    return status_;
  }

  // What was written so far.
  Totals written() {
    absl::MutexLock l(&mu_);
    return written_;
  }

 private:
  bool CanSubmit() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return (!pending_.has_value() && !writing_) || !status_.ok();
  }
  bool HasWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return pending_.has_value() || closing_;
  }

  void Run() {
    for (;;) {
      RecordBatch batch;
      {
        absl::MutexLock l(&mu_);
        mu_.Await(absl::Condition(this, &BatchWriter::HasWork));
        if (!pending_.has_value()) return;  // closing, and everything is written
        batch = std::move(*pending_);
        pending_.reset();
        writing_ = true;
      }
      // A bulk load goes straight to segments: durable on return, no WAL round trip.
      auto r = store_->WriteSegments(batch, tenant_);
      batch.Clear();
      absl::MutexLock l(&mu_);
      writing_ = false;
      if (!r.ok()) {
        status_ = r.status();
        pending_.reset();
        return;
      }
      written_.stored += r->records;
      written_.segments += r->segments;
      written_.bytes_out += r->bytes;
      recycled_ = std::move(batch);
    }
  }

  storage::Store* const store_;
  const std::string tenant_;
  absl::Mutex mu_;
  std::optional<RecordBatch> pending_ ABSL_GUARDED_BY(mu_);
  std::optional<RecordBatch> recycled_ ABSL_GUARDED_BY(mu_);
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  Totals written_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;  // last: starts once the members above exist
};

class IngestRun {
 public:
  IngestRun(storage::Store* store, std::string tenant, ingest::InputFormat format)
      : parser_(format), writer_(store, std::move(tenant)) {}

  // Reads all of `fd`; `name` is used in messages. Returns false on an I/O error or a failed
  // write (reported).
  bool ReadFd(int fd, const std::string& name) {
    std::string buf;
    uint64_t line_no = 1;
    parser_.ResetStats();
    bool ok = true;
    for (;;) {
      size_t old = buf.size();
      buf.resize(old + kReadChunk);
      ssize_t n = ::read(fd, buf.data() + old, kReadChunk);
      if (n < 0) {
        if (errno == EINTR) {
          buf.resize(old);
          continue;
        }
        std::fprintf(stderr, "lode ingest: read %s: %s\n", name.c_str(), std::strerror(errno));
        ok = false;
        break;
      }
      buf.resize(old + static_cast<size_t>(n));
      totals_.bytes_in += static_cast<uint64_t>(n);
      const bool eof = n == 0;
      // Parse every complete line; keep the partial last line for the next read.
      size_t cut = eof ? buf.size() : buf.rfind('\n', buf.size() - 1);
      if (cut == std::string::npos) continue;  // one line longer than what we have so far
      size_t take = eof ? buf.size() : cut + 1;
      if (take > 0) {
        line_no += parser_.Parse(std::string_view(buf.data(), take), line_no, now_, &batch_);
        buf.erase(0, take);
      }
      if (batch_.ByteSize() >= kFlushBytes && !Flush()) {
        ok = false;
        break;
      }
      if (eof) break;
    }
    const auto& st = parser_.stats();
    totals_.lines += st.lines;
    totals_.rejected += st.rejected;
    for (size_t i = 0; i < st.errors.size() && shown_ < kMaxShownErrors; ++i, ++shown_) {
      std::fprintf(stderr, "lode ingest: %s:%llu: %s\n", name.c_str(),
                   static_cast<unsigned long long>(st.errors[i].line), st.errors[i].reason.c_str());
    }
    return ok;
  }

  // Hands the records parsed so far to the writer. False when a write has failed (reported).
  bool Flush() {
    if (write_failed_) return false;
    if (batch_.empty()) return true;
    if (!writer_.Submit(std::move(batch_))) {
      ReportWriteError(writer_.Close());
      return false;
    }
    batch_ = writer_.TakeRecycled();
    return true;
  }

  // Writes the rest and waits until everything is written. False when a write failed
  // (reported). Totals are final afterwards.
  bool Finish() {
    bool ok = Flush();
    const absl::Status s = writer_.Close();
    if (!s.ok()) {
      ReportWriteError(s);
      ok = false;
    }
    const Totals w = writer_.written();
    totals_.stored = w.stored;
    totals_.segments = w.segments;
    totals_.bytes_out = w.bytes_out;
    return ok;
  }

  // A write failed: reading more input is pointless.
  bool write_failed() const { return write_failed_; }
  void SetNow(int64_t now) { now_ = now; }
  const Totals& totals() const { return totals_; }
  size_t shown() const { return shown_; }

 private:
  void ReportWriteError(const absl::Status& s) {
    if (write_failed_) return;
    write_failed_ = true;
    std::fprintf(stderr, "lode ingest: writing segment: %s\n",
                 std::string(StatusMessage(s)).c_str());
  }

  ingest::LineParser parser_;
  RecordBatch batch_;
  Totals totals_;
  int64_t now_ = 0;
  size_t shown_ = 0;
  bool write_failed_ = false;
  BatchWriter writer_;  // last: its thread stops before the members above go
};

}  // namespace

int RunIngest(int argc, char** argv) {
  int exit_code = 0;
  auto flags = ParseCommandFlags("ingest", argc, argv, {"data", "format", "tenant"},
                                 {"help", "quiet", "no-index"}, kHelp, &exit_code);
  if (!flags) return exit_code;
  auto data = RequiredDataDir(*flags, "ingest", kHelp);
  if (!data) return 2;
  auto format = ingest::ParseInputFormat(flags->GetOr("format", "auto"));
  if (!format.ok()) {
    std::fprintf(stderr, "lode ingest: %s\n", std::string(StatusMessage(format.status())).c_str());
    return 2;
  }
  std::string tenant = flags->GetOr("tenant", std::string(storage::kDefaultTenant));
  if (auto s = storage::ValidateTenant(tenant); !s.ok()) {
    std::fprintf(stderr, "lode ingest: %s\n", std::string(StatusMessage(s)).c_str());
    return 2;
  }
  std::vector<std::string> inputs = flags->positional();
  if (inputs.empty()) inputs.push_back("-");

  // Open every input before storing anything, so a mistyped path costs nothing and a rerun
  // does not store the other files twice.
  std::vector<int> fds;
  for (const std::string& in : inputs) {
    if (in == "-") {
      fds.push_back(STDIN_FILENO);
      continue;
    }
    int fd = ::open(in.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      std::fprintf(stderr, "lode ingest: open %s: %s (nothing was stored)\n", in.c_str(),
                   std::strerror(errno));
      for (int f : fds) {
        if (f != STDIN_FILENO) ::close(f);
      }
      return 2;
    }
    fds.push_back(fd);
  }
  storage::Env* env = storage::Env::Default();
  storage::StoreOptions store_options;
  store_options.background = false;
  // Undocumented in --help: only for measuring what indexing costs (docs/PERFORMANCE.md).
  store_options.segment.build_index = !flags->Has("no-index");
  auto store = storage::Store::Open(env, *data, store_options);
  if (!store.ok()) {
    std::fprintf(stderr, "lode ingest: opening %s: %s\n", data->c_str(),
                 std::string(StatusMessage(store.status())).c_str());
    if (absl::IsFailedPrecondition(store.status())) {
      std::fprintf(stderr,
                   "lode ingest: a running `lode serve` owns it: send the lines to it instead, "
                   "e.g. curl --data-binary @FILE http://HOST:PORT/ingest/ndjson\n");
    }
    for (int f : fds) {
      if (f != STDIN_FILENO) ::close(f);
    }
    return 2;
  }
  IngestRun run(store->get(), tenant, *format);
  bool io_error = false;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!run.write_failed()) {
      run.SetNow(env->NowNanos());
      if (!run.ReadFd(fds[i], inputs[i] == "-" ? "<stdin>" : inputs[i])) io_error = true;
    }
    if (fds[i] != STDIN_FILENO) ::close(fds[i]);
  }
  if (!run.Finish()) io_error = true;
  const Totals& t = run.totals();
  if (t.rejected > run.shown()) {
    std::fprintf(stderr, "lode ingest: ... and %llu more rejected lines\n",
                 static_cast<unsigned long long>(t.rejected - run.shown()));
  }
  if (!flags->Has("quiet")) {
    std::fprintf(stderr,
                 "lode ingest: read %llu line%s (%.1f MB), stored %llu, rejected %llu; "
                 "%llu segment(s), %.1f MB on disk\n",
                 static_cast<unsigned long long>(t.lines), t.lines == 1 ? "" : "s",
                 t.bytes_in / 1e6, static_cast<unsigned long long>(t.stored),
                 static_cast<unsigned long long>(t.rejected),
                 static_cast<unsigned long long>(t.segments), t.bytes_out / 1e6);
  }
  if (io_error) return 2;
  return t.rejected > 0 ? 1 : 0;
}

}  // namespace lode::cli
