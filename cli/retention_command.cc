// `lode retention`: applies retention by age and size to a data directory now, or with
// --dry-run lists what would go and what stays.
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
    R"(usage: lode retention --data DIR [--retention 30d] [--retention-tenant T=D,...]
                      [--max-disk 50GB] [--max-disk-tenant T=SIZE,...] [--dry-run]

Removes the records of DIR that the limits say must go, now (`lode serve` does the same on a
schedule with the same flags), and prints every partition with what happened to it.

  --retention D               records older than now - D go (30d, 36h, 2w). Exactly: a
                              segment whose newest record is older is deleted, one that
                              straddles the cutoff is rewritten without the older records, so
                              afterwards nothing older than the cutoff remains.
  --retention-tenant T=D,...  per-tenant age limits replacing --retention; D = none keeps that
                              tenant's records forever
  --max-disk SIZE             then, while the segment bytes of all tenants exceed SIZE, delete
                              whole day partitions, oldest day first (50GB; units are binary:
                              GB = GiB). The WAL and DIR/quarantine are not counted.
  --max-disk-tenant T=SIZE,...  the same per tenant, applied before --max-disk
  --dry-run                   change nothing; print what would be removed and what stays. Works
                              on a directory a running `lode serve` owns.

Without --dry-run the directory must not be in use by `lode serve` (which applies its own
--retention flags). Exit status: 0 ok, 2 bad flags or an I/O error.
)";

const char* FateName(storage::RetentionPartition::Fate f) {
  switch (f) {
    case storage::RetentionPartition::Fate::kKeep:
      return "keep";
    case storage::RetentionPartition::Fate::kTrim:
      return "trim";
    case storage::RetentionPartition::Fate::kDrop:
      return "drop";
  }
  return "?";
}

std::string Seconds(int64_t ns) { return FormatRfc3339Nanos(ns).substr(0, 19) + "Z"; }

}  // namespace

int RunRetention(int argc, char** argv) {
  std::set<std::string> value_flags = RetentionFlagNames();
  value_flags.insert("data");
  int exit_code = 0;
  auto flags = ParseCommandFlags("retention", argc, argv, value_flags, {"help", "dry-run"}, kHelp,
                                 &exit_code);
  if (!flags) return exit_code;
  auto fail = [](std::string_view msg) {
    std::fprintf(stderr, "lode retention: %.*s\n", static_cast<int>(msg.size()), msg.data());
    return 2;
  };
  if (!NoPositionalArguments(*flags, "retention")) return 2;
  auto data = RequiredDataDir(*flags, "retention", kHelp);
  if (!data) return 2;
  auto policy = RetentionPolicyFromFlags(*flags);
  if (!policy.ok()) return fail(StatusMessage(policy.status()));
  if (policy->empty()) {
    return fail("no limit given: pass --retention, --max-disk or their per-tenant forms");
  }
  storage::Env* env = storage::Env::Default();
  if (!env->FileExists(*data)) return fail(StrCat("data directory ", *data, " does not exist"));
  const bool dry = flags->Has("dry-run");
  storage::StoreOptions options;
  options.read_only = dry;
  options.background = false;
  auto store = storage::Store::Open(env, *data, options);
  if (!store.ok()) {
    fail(StrCat("opening ", *data, ": ", StatusMessage(store.status())));
    if (absl::IsFailedPrecondition(store.status())) {
      std::fprintf(stderr,
                   "lode retention: a running `lode serve` owns it: give it --retention / "
                   "--max-disk, or use --dry-run here\n");
    }
    return 2;
  }
  auto report = (*store)->ApplyRetention(*policy, dry);
  if (!report.ok()) return fail(StatusMessage(report.status()));

  // The policy as applied.
  std::string head = "limits:";
  const int64_t now = report->now;
  if (policy->max_age_ns) {
    StrAppend(&head, " age ", FormatAge(*policy->max_age_ns), " (records before ",
              Seconds(now - *policy->max_age_ns), " go)");
  }
  for (const auto& [tenant, age] : policy->tenant_max_age) {
    StrAppend(&head, "; tenant ", tenant, ": ",
              age ? StrCat("age ", FormatAge(*age), " (before ", Seconds(now - *age), ")")
                  : std::string("no age limit"));
  }
  if (policy->max_bytes) StrAppend(&head, "; total size ", FormatBytes(*policy->max_bytes));
  for (const auto& [tenant, bytes] : policy->tenant_max_bytes) {
    StrAppend(&head, "; tenant ", tenant, " size ", FormatBytes(bytes));
  }
  std::printf("%s\n", head.c_str());
  std::printf("%-16s %-10s %8s %10s %10s  %-6s %10s %10s  %s\n", "TENANT", "DAY", "SEGMENTS",
              "RECORDS", "BYTES", dry ? "WOULD" : "DID", "RECORDS-", "FREED", "WHY");
  for (const auto& p : report->partitions) {
    char line[512];
    std::snprintf(line, sizeof(line), "%-16s %-10s %8llu %10llu %10s  %-6s %10llu %10s",
                  p.tenant.c_str(), p.day.c_str(), static_cast<unsigned long long>(p.segments),
                  static_cast<unsigned long long>(p.records), FormatBytes(p.bytes).c_str(),
                  FateName(p.fate), static_cast<unsigned long long>(p.records_removed),
                  FormatBytes(p.bytes_freed).c_str());
    std::printf("%s%s%s\n", line, p.reason.empty() ? "" : "  ", p.reason.c_str());
  }
  if (report->memtable_records_expired > 0) {
    std::printf(
        "plus %llu expired record(s) not yet in segments (in the WAL): a run flushes "
        "and removes them too\n",
        static_cast<unsigned long long>(report->memtable_records_expired));
  }
  std::printf("%s\n", report->Summary().c_str());
  return 0;
}

}  // namespace lode::cli
