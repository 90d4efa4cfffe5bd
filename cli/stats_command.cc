// `lode stats`: what a data directory holds, per partition and per column, and what the
// storage engine has done to it (flushes, compactions, retention, deletes, quarantine).
#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/retention_flags.h"
#include "common/strings.h"
#include "common/time_util.h"
#include "storage/env.h"
#include "storage/store.h"

namespace lode::cli {
namespace {

constexpr char kHelp[] =
    R"(usage: lode stats --data DIR [--tenant NAME] [--columns N]

Prints, for the data directory DIR (read-only; works beside a running `lode serve`):
  - every (tenant, day) partition: segments, records, bytes on disk, time range;
  - totals, the records not yet in segments (in the write-ahead log), WAL files and bytes;
  - quarantined segments (DIR/quarantine) and the lifetime counters: bytes flushed, compactions,
    write amplification, retention runs, records expired and deleted;
  - per column (over all segments, from their footers): values, raw bytes (uncompressed) and
    stored bytes, largest stored first.

flags:
  --tenant NAME   only this tenant's partitions (totals and columns stay global)
  --columns N     show at most N columns (default 30, 0 = all)
)";

std::string Seconds(int64_t ns) { return FormatRfc3339Nanos(ns).substr(0, 19) + "Z"; }

unsigned long long U(uint64_t v) { return static_cast<unsigned long long>(v); }

}  // namespace

int RunStats(int argc, char** argv) {
  int exit_code = 0;
  auto flags = ParseCommandFlags("stats", argc, argv, {"data", "tenant", "columns"}, {"help"},
                                 kHelp, &exit_code);
  if (!flags) return exit_code;
  auto fail = [](std::string_view msg) {
    std::fprintf(stderr, "lode stats: %.*s\n", static_cast<int>(msg.size()), msg.data());
    return 2;
  };
  if (!NoPositionalArguments(*flags, "stats")) return 2;
  auto data = RequiredDataDir(*flags, "stats", kHelp);
  if (!data) return 2;
  size_t max_columns = 30;
  if (auto c = flags->Get("columns")) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(c->c_str(), &end, 10);
    if (c->empty() || *end != '\0' || v > 1000000) {
      return fail(StrCat("--columns '", *c, "': expected a number"));
    }
    max_columns = v == 0 ? SIZE_MAX : static_cast<size_t>(v);
  }
  const std::string tenant = flags->GetOr("tenant", "");
  storage::Env* env = storage::Env::Default();
  if (!env->FileExists(*data)) return fail(StrCat("data directory ", *data, " does not exist"));
  storage::StoreOptions options;
  options.read_only = true;
  auto store = storage::Store::Open(env, *data, options);
  if (!store.ok()) return fail(StrCat("opening ", *data, ": ", StatusMessage(store.status())));
  const storage::StoreStats st = (*store)->Stats();

  std::printf("data directory: %s\n\n", data->c_str());
  std::printf("%-16s %-10s %8s %12s %10s  %-20s  %s\n", "TENANT", "DAY", "SEGMENTS", "RECORDS",
              "BYTES", "OLDEST", "NEWEST");
  uint64_t shown = 0;
  for (const auto& p : st.partitions) {
    if (!tenant.empty() && p.tenant != tenant) continue;
    shown++;
    std::printf("%-16s %-10s %8llu %12llu %10s  %-20s  %s\n", p.tenant.c_str(), p.day.c_str(),
                U(p.segments), U(p.records), FormatBytes(p.bytes).c_str(),
                Seconds(p.min_time).c_str(), Seconds(p.max_time).c_str());
  }
  if (shown == 0) std::printf("(no segments%s)\n", tenant.empty() ? "" : " for this tenant");
  std::printf("\ntotal: %llu partition(s), %llu segment(s), %llu record(s), %s in segments\n",
              U(st.partitions.size()), U(st.segments), U(st.segment_records),
              FormatBytes(st.segment_bytes).c_str());
  std::printf("not yet in segments: %llu record(s) in the WAL (%llu file(s), %s)\n",
              U(st.memtable_records), U(st.wal_files), FormatBytes(st.wal_bytes).c_str());
  std::printf("quarantined segments: %llu in %s/quarantine (%llu quarantined in all)\n",
              U(st.quarantined_files), data->c_str(), U(st.counters.quarantined));
  const storage::ManifestCounters& c = st.counters;
  std::printf(
      "lifetime: flushed %llu record(s), %s; %llu compaction(s) wrote %s; rewrites "
      "wrote %s; write amplification %.2fx\n",
      U(c.flushed_records), FormatBytes(c.flushed_bytes).c_str(), U(c.compactions),
      FormatBytes(c.compacted_bytes).c_str(), FormatBytes(c.rewritten_bytes).c_str(),
      st.write_amplification());
  std::printf("          %llu retention run(s) expired %llu record(s); %llu record(s) deleted\n",
              U(c.retention_runs), U(c.expired_records), U(c.deleted_records));

  std::vector<std::string> errors;
  const auto cols = (*store)->ColumnStatistics(&errors);
  std::printf("\ncolumns (raw = uncompressed bytes, stored = bytes on disk):\n");
  std::printf("%-32s %-7s %12s %12s %12s %7s\n", "COLUMN", "TYPE", "VALUES", "RAW", "STORED",
              "RATIO");
  uint64_t raw = 0, stored = 0;
  for (size_t i = 0; i < cols.size(); ++i) {
    raw += cols[i].raw_bytes;
    stored += cols[i].stored_bytes;
    if (i >= max_columns) continue;
    const double ratio = cols[i].stored_bytes == 0 ? 0
                                                   : static_cast<double>(cols[i].raw_bytes) /
                                                         static_cast<double>(cols[i].stored_bytes);
    std::printf("%-32s %-7s %12llu %12s %12s %6.1fx\n", cols[i].name.c_str(), cols[i].type.c_str(),
                U(cols[i].values), FormatBytes(cols[i].raw_bytes).c_str(),
                FormatBytes(cols[i].stored_bytes).c_str(), ratio);
  }
  if (cols.size() > max_columns) {
    std::printf("... and %llu more column(s) (--columns 0 shows all)\n",
                U(cols.size() - max_columns));
  }
  std::printf("%-32s %-7s %12s %12s %12s %6.1fx\n", "all columns", "", "", FormatBytes(raw).c_str(),
              FormatBytes(stored).c_str(),
              stored == 0 ? 0.0 : static_cast<double>(raw) / static_cast<double>(stored));
  for (const std::string& e : errors) std::fprintf(stderr, "lode stats: %s\n", e.c_str());
  return errors.empty() ? 0 : 1;
}

}  // namespace lode::cli
