// Merges the indexes of segments whose blocks are concatenated, in order, into one segment
// (compaction of segments that do not overlap in time): input i's block b becomes block
// (blocks of inputs before i) + b. No text is read or tokenized again.
//
// Postings are remapped and concatenated; field numbers are remapped through a merged field
// table; block filters are copied. Two cases keep the result a superset of the rows' terms
// (docs/formats/index.md, "Merged indexes"):
//   - a number/id that one input keeps in its dictionary may be a tail term of another input:
//     every block of the other inputs whose filter may hold it is added under field
//     kAnyField with an unknown row count (0);
//   - an exact-value key is kept only when every input with that string field has it (a value
//     seen in one block of an input is not in that input's dictionary).
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"

#include "index/segment_index.h"

namespace lode::index {

// Appends the merged index section to `out`. DataLoss when an input is corrupt; then nothing
// usable was appended (the caller rebuilds the index from the rows instead).
absl::Status MergeSegmentIndexes(const std::vector<const SegmentIndex*>& inputs, std::string* out);

}  // namespace lode::index
