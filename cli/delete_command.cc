// `lode delete`: removes the records matching a query, by rewriting the segments that hold them.
#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "cli/flags.h"
#include "common/strings.h"
#include "query/delete_handler.h"
#include "query/time_window.h"
#include "storage/env.h"
#include "storage/store.h"

namespace lode::cli {
namespace {

constexpr char kHelp[] =
    R"(usage: lode delete --data DIR [--tenant NAME] [--from T] [--to T] [--since D] [--all]
                   [--dry-run] 'QUERY'

Deletes every record of DIR that QUERY matches (the same records `lode query --limit 0` with
the same arguments prints), and prints how many. The segments holding them are rewritten
without them; the change is atomic (a crash leaves all of them or none) and is done when the
command returns. The query language is that of `lode query` (docs/QUERY.md).

flags:
  --from T, --to T   only records in [from, to): RFC 3339 or epoch number
  --since D          from = now - D
  --tenant NAME      tenant (default "default")
  --all              required when QUERY matches everything (empty or '*')
  --dry-run          only count what would be deleted (works beside a running `lode serve`)

Without --dry-run the directory must not be in use by `lode serve`: send it
POST /api/v1/delete?q=QUERY instead. Exit status: 0 ok, 2 bad query, flags or I/O error.
)";

}  // namespace

int RunDelete(int argc, char** argv) {
  int exit_code = 0;
  auto flags = ParseCommandFlags("delete", argc, argv, {"data", "from", "to", "since", "tenant"},
                                 {"help", "all", "dry-run"}, kHelp, &exit_code);
  if (!flags) return exit_code;
  auto fail = [](std::string_view msg) {
    std::fprintf(stderr, "lode delete: %.*s\n", static_cast<int>(msg.size()), msg.data());
    return 2;
  };
  auto data = RequiredDataDir(*flags, "delete", kHelp);
  if (!data) return 2;
  query::DeleteRequest req;
  for (const std::string& p : flags->positional()) {
    if (!req.text.empty()) req.text.push_back(' ');
    req.text.append(p);
  }
  req.tenant = flags->GetOr("tenant", std::string(storage::kDefaultTenant));
  req.all = flags->Has("all");
  req.dry_run = flags->Has("dry-run");
  storage::Env* env = storage::Env::Default();
  auto view = [](const std::optional<std::string>& s) -> std::optional<std::string_view> {
    if (!s) return std::nullopt;
    return std::string_view(*s);
  };
  const auto from = flags->Get("from"), to = flags->Get("to"), since = flags->Get("since");
  auto window = query::ResolveTimeWindow(view(from), view(to), view(since), env->NowNanos());
  if (!window.ok()) return fail(StatusMessage(window.status()));
  req.from = window->from;
  req.to = window->to;
  if (!env->FileExists(*data)) return fail(StrCat("data directory ", *data, " does not exist"));
  storage::StoreOptions options;
  options.read_only = req.dry_run;
  options.background = false;
  auto store = storage::Store::Open(env, *data, options);
  if (!store.ok()) {
    fail(StrCat("opening ", *data, ": ", StatusMessage(store.status())));
    if (absl::IsFailedPrecondition(store.status())) {
      std::fprintf(stderr,
                   "lode delete: a running `lode serve` owns it: use "
                   "curl -X POST --data-urlencode 'q=QUERY' http://HOST:PORT/api/v1/delete\n");
    }
    return 2;
  }
  query::QueryError qe;
  qe.offset = SIZE_MAX;
  auto out = query::RunDelete(store->get(), req, &qe);
  if (!out.ok()) {
    if (qe.offset != SIZE_MAX) {
      std::fputs(qe.Display(req.text).c_str(), stderr);
      return 2;
    }
    return fail(StatusMessage(out.status()));
  }
  for (const std::string& w : out->warnings) std::fprintf(stderr, "lode delete: %s\n", w.c_str());
  if (req.dry_run) {
    std::printf("would delete %llu record(s)\n", static_cast<unsigned long long>(out->records));
  } else {
    std::printf("deleted %llu record(s) (%llu segment(s) rewritten, %llu removed)\n",
                static_cast<unsigned long long>(out->records),
                static_cast<unsigned long long>(out->rewrite.segments_rewritten),
                static_cast<unsigned long long>(out->rewrite.segments_removed));
  }
  return 0;
}

}  // namespace lode::cli
