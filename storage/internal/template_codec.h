// The template encoding of strings (CLP-style; docs/formats/segment.md, "kStringTemplate"):
// every number that stands alone or before a unit suffix ("250", "7ms", "u-000425", but not the
// digits inside "9ce6b") moves out of the value into a per-slot number sequence, and the rest
// becomes a template with placeholders. Templates repeat far more than values. A slot whose
// numbers equal a number of another column in every row ("in 118ms" beside latency_ms 118.96)
// stores a reference instead of the numbers.
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

// Splits `v` into `tmpl` and the numbers appended to `vars`.
void Templatize(std::string_view v, std::string* tmpl, std::vector<uint64_t>* vars);
// The numbers Templatize() would take out of `v`, appended to `vars`.
void ExtractNumbers(std::string_view v, std::vector<uint64_t>* vars);

// Encodes values [begin, end) of `data` with templates when there are at most `max_templates`
// of them and at least one number was found; returns false (writing nothing) otherwise.
// `rows[i]` is the block row of value begin + i; `refs` offers columns to reference (may be null).
bool TryEncodeTemplates(const StringData& data, size_t begin, size_t end, const uint32_t* rows,
                        size_t max_templates, BlockRefs* refs, StreamWriter* w);

// Decides from a template's skeleton whether its values must be printed in full (true) or may
// come out as the skeleton (false).
using TemplatePredicate = std::function<bool(std::string_view skeleton)>;

// Decodes `n` values after the encoding tag. `rows` as above (block rows of the values). With
// `expand_if`, the values of templates it rejects come out as skeletons (see below), which
// saves printing their numbers.
bool DecodeTemplates(StreamReader* r, size_t n, const uint32_t* rows, BlockRefs* refs,
                     StringData* out, const TemplatePredicate* expand_if = nullptr);

// Decodes only each value's template, with every number printed as "0": the "skeleton" of the
// value. A text without digits occurs in a value, at the same token boundaries, exactly when it
// occurs in its skeleton (numbers are digits only, and digits are token characters), so word
// and phrase searches without digits can run on skeletons without printing any number. Leaves
// the number streams unread.
bool DecodeTemplateSkeletons(StreamReader* r, size_t n, StringData* out);

}  // namespace lode::storage::internal
