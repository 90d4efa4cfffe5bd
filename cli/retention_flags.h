// The retention and size flags shared by `lode serve` and `lode retention`, and byte sizes in
// both directions.
//
//   --retention D               default age limit (30d, 12h, 2w)
//   --retention-tenant T=D,...  per-tenant age limits; D may be "none" (keep forever)
//   --max-disk SIZE             limit on the segment bytes of all tenants together (50GB)
//   --max-disk-tenant T=SIZE,...
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

#include "cli/flags.h"
#include "storage/retention.h"

namespace lode::cli {

// The names of the flags above, for Flags::Parse.
const std::set<std::string>& RetentionFlagNames();

// The policy the flags describe (empty when none is given). InvalidArgument naming the flag.
absl::StatusOr<storage::RetentionPolicy> RetentionPolicyFromFlags(const Flags& flags);

// A byte count: digits with an optional unit b, k/kb/kib, m/mb/mib, g/gb/gib, t/tb/tib (any
// case; all binary, 1 GB = 2^30 bytes). nullopt when malformed, zero or above 2^60.
std::optional<uint64_t> ParseSize(std::string_view s);

// "1.5 GiB", "312 KiB", "17 B".
std::string FormatBytes(uint64_t bytes);

// A duration as given to --retention, for messages: "30d", "36h", "90m".
std::string FormatAge(int64_t ns);

}  // namespace lode::cli
