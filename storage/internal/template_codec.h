// The template encoding of strings (CLP-style; docs/formats/segment.md, "string-template" and
// "string-template-hex"): every number that stands alone or before a unit suffix ("250", "7ms",
// "u-000425", but not the digits inside "9ce6b") and every hex id (a whole token of 8-64
// lower-case hex digits with a digit and a letter: "5a90c78e97fd0ba4") moves out of the value
// into a per-slot sequence, and the rest becomes a template with placeholders. Templates repeat
// far more than values. A slot whose numbers equal a number of another column in every row
// ("in 118ms" beside latency_ms 118.96) stores a reference instead of the numbers. Writers use
// string-template-hex; string-template (numbers only) is still read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/record_batch.h"
#include "storage/internal/block_refs.h"
#include "storage/internal/chunk_streams.h"

namespace lode::storage::internal {

inline constexpr size_t kMaxVarDigits = 18;

// Splits `v` into `tmpl` (string-template-hex) and its variables appended to `vars`: numbers,
// and for hex ids their place in `v` (offset << 8 | length).
// (`hex` false: string-template, numbers only.)
void Templatize(std::string_view v, std::string* tmpl, std::vector<uint64_t>* vars,
                bool hex = true);
// The numbers of `v` by the number rule alone (as string-template takes them), appended to
// `vars`: what a reference to a number in a string column means.
void ExtractNumbers(std::string_view v, std::vector<uint64_t>* vars);

// Encodes values [begin, end) of `data` with templates when there are at most `max_templates`
// of them and at least one number was found; returns false (writing nothing) otherwise.
// `rows[i]` is the block row of value begin + i; `refs` offers columns to reference (may be null).
// Writes string-template-hex, or string-template with `hex` false (kept for tests of readers).
bool TryEncodeTemplates(const StringData& data, size_t begin, size_t end, const uint32_t* rows,
                        size_t max_templates, BlockRefs* refs, StreamWriter* w, bool hex = true);

// Decides from a template's skeleton whether its values must be printed in full (true) or may
// come out as the skeleton (false).
using TemplatePredicate = std::function<bool(std::string_view skeleton)>;

// Decodes `n` values after the encoding tag (`hex`: string-template-hex). `rows` as above
// (block rows of the values). With `expand_if`, the values of templates it rejects come out as
// skeletons (see below), which saves printing their numbers and hex ids.
bool DecodeTemplates(StreamReader* r, size_t n, bool hex, const uint32_t* rows, BlockRefs* refs,
                     StringData* out, const TemplatePredicate* expand_if = nullptr);

// Decodes only each value's template, with every number and hex id printed as "0": the
// "skeleton" of the value. A word or phrase without digits occurs in a value exactly when it
// occurs in its skeleton: a variable is a whole token with a digit (or the digits that start a
// token), which no word without digits equals, and "0" is such a token too. So those searches
// run on skeletons without printing any variable. (Prefixes of letters a-f alone are the
// exception: "bb*" may start a hex id. The query planner reads those in full.) Leaves the number
// and hex streams unread.
bool DecodeTemplateSkeletons(StreamReader* r, size_t n, bool hex, StringData* out);

}  // namespace lode::storage::internal
