// `lode serve`: runs the HTTP server with the ingest and query endpoints over one data directory
// until SIGINT or SIGTERM.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>

#include <pthread.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/retention_flags.h"
#include "common/http_types.h"
#include "common/strings.h"
#include "common/time_util.h"
#include "ingest/http_server.h"
#include "ingest/ingest_handlers.h"
#include "ingest/line_parser.h"
#include "query/delete_handler.h"
#include "query/http_handlers.h"
#include "storage/env.h"
#include "storage/store.h"

namespace lode::cli {
namespace {

constexpr char kHelp[] =
    R"(usage: lode serve --data DIR [--http HOST:PORT] [--sync batch|always|none] [--http-threads N]
                  [--max-body SIZE] [--retention 30d] [--max-disk 50GB] [--compaction-target SIZE]

Serves the HTTP API over the data directory DIR (created when missing):
  POST /ingest/ndjson     one JSON object per line
  POST /ingest/text       one plain-text message per line
  GET  /api/v1/query      ?q=QUERY&from=T&to=T&limit=N, newest first, NDJSON stream
  POST /api/v1/delete     ?q=QUERY&from=T&to=T[&all=1][&dry_run=1] -> {"deleted":N}
  GET  /health            {"status":"ok"}
See docs/HTTP.md for the details.

flags:
  --data DIR          data directory (required)
  --http HOST:PORT    listen address (default 127.0.0.1:9428; port 0 picks a free port;
                      IPv6 as [::1]:9428)
  --http-threads N    network threads (default 2)
  --max-body SIZE     largest accepted request body, e.g. 64MiB, 512k, 1048576 (default 64MiB)
  --sync MODE         when an ingest request is made durable before its 2xx answer:
                      batch  (default) group commit: one fsync of the write-ahead log covers
                             every request waiting at that moment
                      always one fsync per request (slower under concurrency, same guarantee)
                      none   no fsync: the OS writes back; a power loss can lose acknowledged
                             records (a crash of lode alone cannot)
  --flush-interval D  write the in-memory records to segments at least this often (default 30s)

storage maintenance (docs/STORAGE.md), run in the background and logged to stderr:
  --compaction-target SIZE  merge each day partition's smaller segments until they reach about
                      SIZE (default 128MiB; 0 turns background compaction off)
  --retention D       delete records older than D (30d, 36h); a segment straddling the cutoff
                      is rewritten, so nothing older than the cutoff survives a run
  --retention-tenant T=D,...  per-tenant age limits instead of --retention (D = none: keep)
  --max-disk SIZE     then delete whole day partitions, oldest first, while the segments of all
                      tenants take more than SIZE (50GB; binary units; WAL not counted)
  --max-disk-tenant T=SIZE,...  the same per tenant, applied first
  --retention-interval D  how often the limits are applied (default 10m; also once at start)

Stops on SIGINT or SIGTERM: stops accepting, finishes requests in flight, exits 0.
)";

constexpr char kRootText[] = R"(lode - log aggregation and search

  POST /ingest/ndjson     one JSON object per line      ?tenant=NAME or X-Scope-OrgID
  POST /ingest/text       one plain-text message per line
  GET  /api/v1/query      ?q=QUERY&from=T&to=T&limit=N  newest first, NDJSON
  POST /api/v1/delete     ?q=QUERY&from=T&to=T          delete matching records
  GET  /health            liveness

example:
  curl -sS --data-binary '{"_msg":"hello","level":"info"}' http://HOST/ingest/ndjson
  curl -sS 'http://HOST/api/v1/query?q=hello&limit=10'
)";

struct HostPort {
  std::string host;
  uint16_t port = 0;
};

// A decimal number of at most `max_digits` digits.
std::optional<unsigned> ParseUnsigned(std::string_view s, size_t max_digits) {
  if (s.empty() || s.size() > max_digits) return std::nullopt;
  unsigned v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  return v;
}

std::optional<uint16_t> ParsePort(std::string_view s) {
  auto v = ParseUnsigned(s, 5);
  if (!v || *v > 65535) return std::nullopt;
  return static_cast<uint16_t>(*v);
}

// HOST:PORT, [V6ADDR]:PORT, or a bare PORT (on 127.0.0.1).
std::optional<HostPort> ParseHostPort(std::string_view s) {
  HostPort hp;
  std::string_view port;
  if (s.starts_with('[')) {
    const size_t close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') {
      return std::nullopt;
    }
    hp.host = std::string(s.substr(1, close - 1));
    port = s.substr(close + 2);
  } else {
    const size_t colon = s.rfind(':');
    if (colon == std::string_view::npos) {
      hp.host = "127.0.0.1";
      port = s;
    } else {
      if (s.find(':') != colon) return std::nullopt;  // bare IPv6 needs brackets
      hp.host = std::string(s.substr(0, colon));
      port = s.substr(colon + 1);
    }
  }
  if (hp.host.empty()) return std::nullopt;
  auto p = ParsePort(port);
  if (!p) return std::nullopt;
  hp.port = *p;
  return hp;
}

// A byte count with an optional binary suffix: 1048576, 512k, 64MiB, 1g.
std::optional<size_t> ParseByteSize(std::string_view s) {
  size_t i = 0;
  uint64_t v = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    if (v > (uint64_t{1} << 40)) return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(s[i] - '0');
    ++i;
  }
  if (i == 0) return std::nullopt;
  std::string unit;
  for (char c : s.substr(i)) unit.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
  int shift;
  if (unit.empty() || unit == "b") {
    shift = 0;
  } else if (unit == "k" || unit == "kb" || unit == "kib") {
    shift = 10;
  } else if (unit == "m" || unit == "mb" || unit == "mib") {
    shift = 20;
  } else if (unit == "g" || unit == "gb" || unit == "gib") {
    shift = 30;
  } else {
    return std::nullopt;
  }
  if (v == 0 || v > (uint64_t{1} << (40 - shift))) return std::nullopt;  // at most 1 TiB
  return static_cast<size_t>(v << shift);
}

std::string Text(const absl::Status& s) { return std::string(StatusMessage(s)); }

}  // namespace

int RunServe(int argc, char** argv) {
  std::set<std::string> value_flags = {
      "data", "http",           "http-threads",       "max-body",
      "sync", "flush-interval", "retention-interval", "compaction-target"};
  value_flags.insert(RetentionFlagNames().begin(), RetentionFlagNames().end());
  int exit_code = 0;
  auto flags = ParseCommandFlags("serve", argc, argv, value_flags, {"help"}, kHelp, &exit_code);
  if (!flags) return exit_code;
  if (!flags->positional().empty()) {
    std::fprintf(stderr, "lode serve: unexpected argument '%s'\n\n%s",
                 flags->positional()[0].c_str(), kHelp);
    return 2;
  }
  auto data = RequiredDataDir(*flags, "serve", kHelp);
  if (!data) return 2;
  ingest::HttpServerOptions options;
  const std::string http = flags->GetOr("http", "127.0.0.1:9428");
  auto hp = ParseHostPort(http);
  if (!hp) {
    std::fprintf(stderr,
                 "lode serve: --http '%s': expected HOST:PORT, e.g. 127.0.0.1:9428 or "
                 "[::1]:9428\n",
                 http.c_str());
    return 2;
  }
  options.host = hp->host;
  options.port = hp->port;
  if (auto t = flags->Get("http-threads")) {
    auto n = ParseUnsigned(*t, 3);
    if (!n || *n < 1 || *n > 256) {
      std::fprintf(stderr, "lode serve: --http-threads '%s': expected a number from 1 to 256\n",
                   t->c_str());
      return 2;
    }
    options.io_threads = *n;
  }
  if (auto b = flags->Get("max-body")) {
    auto n = ParseByteSize(*b);
    if (!n) {
      std::fprintf(stderr,
                   "lode serve: --max-body '%s': expected a positive size such as 64MiB, 512k "
                   "or 1048576\n",
                   b->c_str());
      return 2;
    }
    options.max_body_bytes = *n;
  }

  storage::StoreOptions store_options;
  if (auto m = flags->Get("sync")) {
    auto mode = storage::ParseSyncMode(*m);
    if (!mode.ok()) {
      std::fprintf(stderr, "lode serve: --sync: %s\n", Text(mode.status()).c_str());
      return 2;
    }
    store_options.sync = *mode;
  }
  if (auto f = flags->Get("flush-interval")) {
    auto d = ParseDurationNanos(*f);
    if (!d || *d <= 0) {
      std::fprintf(stderr, "lode serve: --flush-interval '%s': expected a duration like 30s\n",
                   f->c_str());
      return 2;
    }
    store_options.flush_age_ns = *d;
  }
  auto policy = RetentionPolicyFromFlags(*flags);
  if (!policy.ok()) {
    std::fprintf(stderr, "lode serve: %s\n", Text(policy.status()).c_str());
    return 2;
  }
  if (!policy->empty()) store_options.retention = *policy;
  if (auto f = flags->Get("retention-interval")) {
    auto d = ParseDurationNanos(*f);
    if (!d || *d < kNanosPerSecond) {
      std::fprintf(stderr,
                   "lode serve: --retention-interval '%s': expected a duration of at least 1s, "
                   "like 10m\n",
                   f->c_str());
      return 2;
    }
    store_options.retention_interval_ns = *d;
  }
  if (auto c = flags->Get("compaction-target")) {
    if (*c == "0") {
      store_options.compaction.target_bytes = 0;
    } else if (auto n = ParseSize(*c)) {
      store_options.compaction.target_bytes = *n;
    } else {
      std::fprintf(stderr,
                   "lode serve: --compaction-target '%s': expected a size such as 128MiB, or 0\n",
                   c->c_str());
      return 2;
    }
  }
  store_options.log = [](std::string_view line) {
    std::fprintf(stderr, "lode: %.*s\n", static_cast<int>(line.size()), line.data());
  };
  auto store = storage::Store::Open(storage::Env::Default(), *data, store_options);
  if (!store.ok()) {
    std::fprintf(stderr, "lode serve: opening %s: %s\n", data->c_str(),
                 Text(store.status()).c_str());
    return 2;
  }
  storage::Store* st = store->get();
  const storage::RecoveryInfo& rec = st->recovery();
  if (rec.wal_records > 0 || rec.wal_torn_bytes > 0 || !rec.errors.empty()) {
    std::fprintf(stderr,
                 "lode: recovered %llu records from %llu WAL file(s); torn tail discarded: %llu "
                 "bytes; corrupt frames skipped: %llu\n",
                 static_cast<unsigned long long>(rec.wal_records),
                 static_cast<unsigned long long>(rec.wal_files),
                 static_cast<unsigned long long>(rec.wal_torn_bytes),
                 static_cast<unsigned long long>(rec.wal_corrupt_frames));
    for (const std::string& e : rec.errors) std::fprintf(stderr, "lode: recovery: %s\n", e.c_str());
  }

  auto server = ingest::HttpServer::Listen(options);
  if (!server.ok()) {
    std::fprintf(stderr, "lode serve: %s\n", Text(server.status()).c_str());
    return 2;
  }
  ingest::HttpServer& srv = **server;
  srv.Route("POST", "/ingest/ndjson", [st](const HttpRequest& r) {
    return ingest::HandleIngest(st, ingest::InputFormat::kNdjson, r);
  });
  srv.Route("POST", "/ingest/text", [st](const HttpRequest& r) {
    return ingest::HandleIngest(st, ingest::InputFormat::kText, r);
  });
  srv.Route("GET", "/api/v1/query",
            [st](const HttpRequest& r) { return query::HandleQuery(st, r); });
  srv.Route("POST", "/api/v1/query",
            [st](const HttpRequest& r) { return query::HandleQuery(st, r); });
  srv.Route("POST", "/api/v1/delete",
            [st](const HttpRequest& r) { return query::HandleDelete(st, r); });
  srv.Route("GET", "/health", [](const HttpRequest&) {
    HttpResponse r;
    r.body = R"({"status":"ok"})";
    return r;
  });
  srv.Route("GET", "/", [](const HttpRequest&) {
    HttpResponse r;
    r.content_type = "text/plain; charset=utf-8";
    r.body = kRootText;
    return r;
  });

  // Block the stop signals in every thread (the server's threads inherit this mask) and take
  // them synchronously here; a write to a closed socket must not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  if (absl::Status s = srv.Start(); !s.ok()) {
    std::fprintf(stderr, "lode serve: %s\n", Text(s).c_str());
    return 2;
  }
  std::printf("lode: listening on http://%s (data: %s)\n", srv.address().c_str(), data->c_str());
  std::fflush(stdout);

  int sig = 0;
  while (sigwait(&stop_signals, &sig) != 0) {
  }
  std::fprintf(stderr, "lode: %s received, shutting down\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  // A second signal while requests drain means: stop now.
  std::thread([stop_signals] {
    int again = 0;
    if (sigwait(&stop_signals, &again) == 0) {
      static constexpr char kMsg[] = "lode: second signal, exiting without waiting\n";
      ssize_t unused = ::write(STDERR_FILENO, kMsg, sizeof(kMsg) - 1);
      (void)unused;
      _exit(1);
    }
  }).detach();
  srv.Shutdown();
  // Leave the WAL drained, so the next start has nothing to replay.
  if (absl::Status s = st->Flush(); !s.ok()) {
    std::fprintf(stderr, "lode: flushing on shutdown: %s (the records stay in the WAL)\n",
                 Text(s).c_str());
  }
  return 0;
}

}  // namespace lode::cli
