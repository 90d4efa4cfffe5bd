// `lode compact`: merges each partition's small segments now, as a running server does in the
// background (docs/STORAGE.md, "Compaction"). Useful after a bulk `lode ingest`, which writes a
// segment per 64 MiB of input and leaves merging to the server.
#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "cli/flags.h"
#include "common/strings.h"
#include "storage/env.h"
#include "storage/store.h"

namespace lode::cli {
namespace {

constexpr char kHelp[] =
    R"(usage: lode compact --data DIR

Merges the small segments of every (tenant, day) partition of DIR into larger ones (up to the
compaction target, 128 MiB), as `lode serve` does in the background. Segments already in time
order keep their blocks and have their indexes merged; others are re-sorted and re-indexed.
Needs the data directory's lock: stop a running `lode serve` on DIR first.
)";

}  // namespace

int RunCompact(int argc, char** argv) {
  int exit_code = 0;
  auto flags = ParseCommandFlags("compact", argc, argv, {"data"}, {"help"}, kHelp, &exit_code);
  if (!flags) return exit_code;
  auto fail = [](std::string_view msg) {
    std::fprintf(stderr, "lode compact: %.*s\n", static_cast<int>(msg.size()), msg.data());
    return 2;
  };
  if (!NoPositionalArguments(*flags, "compact")) return 2;
  auto data = RequiredDataDir(*flags, "compact", kHelp);
  if (!data) return 2;
  storage::StoreOptions options;
  options.background = false;
  auto store = storage::Store::Open(storage::Env::Default(), *data, options);
  if (!store.ok()) return fail(StrCat("opening ", *data, ": ", StatusMessage(store.status())));
  auto r = (*store)->Compact();
  if (!r.ok()) return fail(StatusMessage(r.status()));
  std::fprintf(stderr,
               "lode compact: %llu merge(s) of %llu segment(s) (%llu with merged indexes), %llu "
               "records; %.1f MB read, %.1f MB written\n",
               static_cast<unsigned long long>(r->merges),
               static_cast<unsigned long long>(r->input_segments),
               static_cast<unsigned long long>(r->index_merges),
               static_cast<unsigned long long>(r->records), r->bytes_read / 1e6,
               r->bytes_written / 1e6);
  return 0;
}

}  // namespace lode::cli
