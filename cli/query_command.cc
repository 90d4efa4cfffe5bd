// `lode query`: searches stored records and prints them newest first.
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <unistd.h>

#include "cli/commands.h"
#include "cli/flags.h"
#include "common/strings.h"
#include "query/query_runner.h"
#include "query/time_window.h"
#include "storage/env.h"
#include "storage/store.h"

namespace lode::cli {
namespace {

constexpr char kHelp[] =
    R"(usage: lode query --data DIR [--since 15m] [--from T] [--to T] [--limit N] [--count]
                  [--output ndjson|table] [--tenant NAME] [--timeout D] [--memory MiB]
                  [--explain] 'QUERY [| STAGE ...]'

Prints the records in DIR that match QUERY, newest first: NDJSON when stdout is not a
terminal, a table when it is. An empty QUERY (or '*') matches everything. A QUERY given as
several arguments is joined with spaces.

  error timeout          both words, anywhere in the record (whole words, any case)
  "connection refused"   a phrase
  -debug                 without the word debug
  level:error            field equals value (exact, case-sensitive)
  http.status:>=500      numeric comparison (also >, <, <=)
  user:*                 the field is present
  a OR (b AND NOT c)     boolean operators, NOT > AND > OR

Pipe stages after the query shape the output, in order:

  error | fields _time, service, _msg | limit 20
  * | sort by (http.latency_ms) desc | head 10
  level:error | sort by (service, _time desc) | fields service, _msg

  | fields a, b, ...     print only these fields, in this order (_time, _msg included)
  | sort by (f [desc], ...) [desc]   sort; missing values last; needs memory (see --memory)
  | limit N, | head [N]  the first N records (head: 10)

flags:
  --from T, --to T   time window [from, to): RFC 3339 (2026-11-27T10:00:00Z) or epoch number
  --since D          from = now - D (15m, 1h30m, 2d)
  --limit N          print at most N records, after the pipes (default 100, 0 = all)
  --count            print only the number of records the query (with its pipes) outputs
  --output F         ndjson or table
  --tenant NAME      tenant to search (default "default")
  --timeout D        give up after D (default 30s, 0 = never): 500ms, 30s, 2m
  --memory MiB       records a search or a sort may hold in memory (default 512)
  --explain          after the results, print the plan and what was read to stderr

See docs/QUERY.md for the whole language. Exit status: 0 ok, 1 some data could not be read
(results may be incomplete), 2 bad query, flags or data directory, or the query stopped
early (timeout or memory; records printed before the message are not the whole result).
)";

void Write(FILE* f, std::string_view s) { std::fwrite(s.data(), 1, s.size(), f); }

}  // namespace

int RunQuery(int argc, char** argv) {
  int exit_code = 0;
  auto flags = ParseCommandFlags(
      "query", argc, argv,
      {"data", "from", "to", "since", "limit", "output", "tenant", "timeout", "memory"},
      {"help", "count", "explain"}, kHelp, &exit_code);
  if (!flags) return exit_code;
  auto fail = [](std::string_view msg) {
    std::fprintf(stderr, "lode query: %.*s\n", static_cast<int>(msg.size()), msg.data());
    return 2;
  };
  auto data = RequiredDataDir(*flags, "query", kHelp);
  if (!data) return 2;
  query::QueryRequest req;
  // Several arguments form one query, as if separated by spaces.
  for (const std::string& p : flags->positional()) {
    if (!req.text.empty()) req.text.push_back(' ');
    req.text.append(p);
  }
  storage::Env* env = storage::Env::Default();
  const std::optional<std::string> from = flags->Get("from");
  const std::optional<std::string> to = flags->Get("to");
  const std::optional<std::string> since = flags->Get("since");
  auto view = [](const std::optional<std::string>& s) -> std::optional<std::string_view> {
    if (!s) return std::nullopt;
    return std::string_view(*s);
  };
  auto window = query::ResolveTimeWindow(view(from), view(to), view(since), env->NowNanos());
  if (!window.ok()) return fail(StatusMessage(window.status()));
  req.search.from = window->from;
  req.search.to = window->to;
  if (auto l = flags->Get("limit")) {
    auto limit = query::ParseLimit(*l);
    if (!limit.ok()) return fail(StatusMessage(limit.status()));
    req.search.limit = *limit;
  }
  req.search.tenant = flags->GetOr("tenant", std::string(storage::kDefaultTenant));
  if (absl::Status s = storage::ValidateTenant(req.search.tenant); !s.ok()) {
    return fail(StatusMessage(s));
  }
  req.count = flags->Has("count");
  req.explain = flags->Has("explain");
  req.timeout = absl::Seconds(30);
  if (auto t = flags->Get("timeout")) {
    auto timeout = query::ParseQueryTimeout(*t);
    if (!timeout.ok()) return fail(StatusMessage(timeout.status()));
    req.timeout = *timeout;
  }
  if (auto m = flags->Get("memory")) {
    uint64_t mib = 0;
    auto [p, ec] = std::from_chars(m->data(), m->data() + m->size(), mib);
    if (m->empty() || ec != std::errc() || p != m->data() + m->size() || mib == 0 ||
        mib > (uint64_t{1} << 24)) {
      return fail(StrCat("invalid memory '", *m, "': expected a number of MiB (e.g. 512)"));
    }
    req.search.memory_budget = mib << 20;
  }
  req.format = isatty(STDOUT_FILENO) ? query::OutputFormat::kTable : query::OutputFormat::kNdjson;
  if (auto o = flags->Get("output")) {
    auto f = query::ParseOutputFormat(*o);
    if (!f.ok()) return fail(StatusMessage(f.status()));
    req.format = *f;
  }
  // Querying must not create the directory a mistyped --data names.
  if (!env->FileExists(*data)) return fail(StrCat("data directory ", *data, " does not exist"));
  // Read-only: no lock, so this works beside a running `lode serve`; it sees the flushed
  // segments and the records still in the WAL.
  storage::StoreOptions store_options;
  store_options.read_only = true;
  auto store = storage::Store::Open(env, *data, store_options);
  if (!store.ok()) {
    return fail(StrCat("opening ", *data, ": ", StatusMessage(store.status())));
  }
  const int rc = query::RunQuery(
      store->get(), req, [](std::string_view s) { Write(stdout, s); },
      [](std::string_view s) {
        std::fflush(stdout);
        Write(stderr, s);
      });
  if (std::fflush(stdout) != 0) return fail("writing results failed");
#if !defined(LODE_FULL_EXIT) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  // The store was only read: leave without taking it down (unmapping the segments, freeing
  // their footers and indexes) and without the exit handlers, which cost a short query about a
  // tenth of its time. Sanitizer and coverage builds (LODE_FULL_EXIT) do take it down.
  std::fflush(stderr);
  std::_Exit(rc);
#else
  return rc;
#endif
}

}  // namespace lode::cli
