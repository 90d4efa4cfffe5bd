// Writes an index section (docs/formats/index.md) from its parts; shared by the builder (keys
// from rows) and the merger (keys from other indexes).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "index/segment_index.h"

namespace lode::index::internal {

// `entries`: (key, encoded posting), sorted by key, keys unique. `field_names`: the text
// fields, "_msg" first (at most 65536). `filters`: each block's Bloom filter bytes (a multiple
// of 32). Appends the section to `out`.
template <typename Filter>
void WriteIndexSection(const std::vector<std::pair<std::string, std::string>>& entries,
                       const std::vector<std::string>& field_names,
                       const std::vector<Filter>& filters, std::string* out,
                       const IndexWriteOptions& options = {});

void WriteIndexSectionViews(const std::vector<std::pair<std::string, std::string>>& entries,
                            const std::vector<std::string>& field_names,
                            const std::vector<std::string_view>& filters, std::string* out,
                            const IndexWriteOptions& options = {});

template <typename Filter>
void WriteIndexSection(const std::vector<std::pair<std::string, std::string>>& entries,
                       const std::vector<std::string>& field_names,
                       const std::vector<Filter>& filters, std::string* out,
                       const IndexWriteOptions& options) {
  std::vector<std::string_view> views(filters.begin(), filters.end());
  WriteIndexSectionViews(entries, field_names, views, out, options);
}

}  // namespace lode::index::internal
