// `lode ingest`: reads NDJSON or text lines from files or stdin and stores them as segments.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

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

class IngestRun {
 public:
  IngestRun(storage::Store* store, std::string tenant, ingest::InputFormat format)
      : store_(store), tenant_(std::move(tenant)), parser_(format) {}

  // Reads all of `fd`; `name` is used in messages. Returns false on an I/O error (reported).
  bool ReadFd(int fd, const std::string& name) {
    std::string buf;
    uint64_t line_no = 1;
    parser_.ResetStats();
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
        return false;
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
      if (batch_.ByteSize() >= kFlushBytes && !Flush()) return false;
      if (eof) break;
    }
    const auto& st = parser_.stats();
    totals_.lines += st.lines;
    totals_.stored += st.accepted;
    totals_.rejected += st.rejected;
    for (size_t i = 0; i < st.errors.size() && shown_ < kMaxShownErrors; ++i, ++shown_) {
      std::fprintf(stderr, "lode ingest: %s:%llu: %s\n", name.c_str(),
                   static_cast<unsigned long long>(st.errors[i].line), st.errors[i].reason.c_str());
    }
    return true;
  }

  bool Flush() {
    if (batch_.empty()) return true;
    // A bulk load goes straight to segments: durable on return, no WAL round trip.
    auto r = store_->WriteSegments(batch_, tenant_);
    if (!r.ok()) {
      std::fprintf(stderr, "lode ingest: writing segment: %s\n",
                   std::string(StatusMessage(r.status())).c_str());
      return false;
    }
    totals_.segments += r->segments;
    totals_.bytes_out += r->bytes;
    batch_.Clear();
    return true;
  }

  void SetNow(int64_t now) { now_ = now; }
  const Totals& totals() const { return totals_; }
  size_t shown() const { return shown_; }

 private:
  storage::Store* store_;
  std::string tenant_;
  ingest::LineParser parser_;
  RecordBatch batch_;
  Totals totals_;
  int64_t now_ = 0;
  size_t shown_ = 0;
};

}  // namespace

int RunIngest(int argc, char** argv) {
  int exit_code = 0;
  auto flags = ParseCommandFlags("ingest", argc, argv, {"data", "format", "tenant"},
                                 {"help", "quiet", "no-index"}, kHelp, &exit_code);
  if (!flags) return exit_code;
  auto data = flags->Get("data");
  if (!data) {
    std::fprintf(stderr, "lode ingest: --data DIR is required\n\n%s", kHelp);
    return 2;
  }
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
    run.SetNow(env->NowNanos());
    if (!run.ReadFd(fds[i], inputs[i] == "-" ? "<stdin>" : inputs[i])) io_error = true;
    if (fds[i] != STDIN_FILENO) ::close(fds[i]);
  }
  if (!run.Flush()) io_error = true;
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
