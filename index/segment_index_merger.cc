#include "index/segment_index_merger.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"

#include "common/status_macros.h"
#include "common/strings.h"
#include "index/hash.h"
#include "index/internal/index_writer.h"
#include "index/terms.h"

namespace lode::index {
namespace {

struct Entry {
  std::string key;
  uint32_t input;
  std::vector<PostingEntry> posting;  // blocks already offset
};

uint16_t GetField(std::string_view b) {
  return static_cast<uint16_t>((static_cast<unsigned char>(b[0]) << 8) |
                               static_cast<unsigned char>(b[1]));
}

}  // namespace

absl::Status MergeSegmentIndexes(const std::vector<const SegmentIndex*>& inputs, std::string* out) {
  const size_t n = inputs.size();
  // The merged field table, and each input's field numbers in it.
  std::vector<std::string> names = {std::string(kMessageField)};
  absl::flat_hash_map<std::string, uint16_t> number_of = {{names[0], 0}};
  std::vector<std::vector<uint16_t>> field_map(n);
  std::vector<uint32_t> offset(n, 0);
  uint32_t blocks = 0;
  for (size_t i = 0; i < n; ++i) {
    offset[i] = blocks;
    blocks += inputs[i]->num_blocks();
    for (const std::string& f : inputs[i]->text_fields()) {
      auto [it, added] = number_of.try_emplace(f, static_cast<uint16_t>(names.size()));
      if (added) names.push_back(f);
      field_map[i].push_back(it->second);
    }
  }
  if (names.size() > kAnyField) return absl::InvalidArgumentError("too many text fields");

  std::vector<Entry> entries;
  for (size_t i = 0; i < n; ++i) {
    bool bad = false;
    RETURN_IF_ERROR(inputs[i]->ScanPrefix("", [&](std::string_view key, const auto& posting) {
      Entry e{std::string(key), static_cast<uint32_t>(i), posting};
      for (PostingEntry& p : e.posting) p.block += offset[i];
      if (key[0] == 't' || key[0] == 'v') {
        const size_t at = key[0] == 't' ? key.size() - 2 : 1;
        if (key.size() < 3 || at < 1) {
          bad = true;
          return false;
        }
        const uint16_t f = GetField(key.substr(at));
        uint16_t nf = kAnyField;
        if (f != kAnyField) {
          if (f >= field_map[i].size()) {
            bad = true;
            return false;
          }
          nf = field_map[i][f];
        }
        e.key[at] = static_cast<char>(nf >> 8);
        e.key[at + 1] = static_cast<char>(nf & 0xff);
      }
      entries.push_back(std::move(e));
      return true;
    }));
    if (bad) return absl::DataLossError("index: bad key");
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& a, const Entry& b) { return a.key < b.key; });

  // Tail prefixes of every input, for the tail checks below.
  std::vector<absl::flat_hash_map<std::string, std::vector<uint32_t>>> tail_blocks(n);
  for (const Entry& e : entries) {
    if (e.key[0] != 'x') continue;
    auto& v = tail_blocks[e.input][e.key];
    for (const PostingEntry& p : e.posting) v.push_back(p.block - offset[e.input]);
  }

  std::vector<std::pair<std::string, std::string>> merged;
  std::vector<PostingEntry> posting;
  std::vector<uint8_t> contributed(n);
  std::string token, prev_token;
  std::vector<uint8_t> token_inputs(n, 0);  // inputs whose dictionary has the current token
  std::vector<PostingEntry> any_field;      // blocks added for the current token
  auto finish_token = [&]() -> absl::Status {
    if (prev_token.empty() || !IsTailCandidate(prev_token)) return absl::OkStatus();
    any_field.clear();
    const uint64_t h = Hash64(prev_token);
    for (size_t j = 0; j < n; ++j) {
      if (token_inputs[j]) continue;
      auto it = tail_blocks[j].find(TailPrefixKey(prev_token));
      if (it == tail_blocks[j].end()) continue;
      for (uint32_t b : it->second) {
        ASSIGN_OR_RETURN(bool maybe, inputs[j]->TailMayContain(b, h));
        if (maybe) any_field.push_back({offset[j] + b, 0});
      }
    }
    if (!any_field.empty()) {
      std::string bytes;
      EncodePosting(any_field, &bytes);
      merged.emplace_back(TokenKey(prev_token, kAnyField), std::move(bytes));
    }
    return absl::OkStatus();
  };
  for (size_t a = 0; a < entries.size();) {
    size_t b = a;
    posting.clear();
    std::fill(contributed.begin(), contributed.end(), 0);
    while (b < entries.size() && entries[b].key == entries[a].key) {
      posting.insert(posting.end(), entries[b].posting.begin(), entries[b].posting.end());
      contributed[entries[b].input] = 1;
      ++b;
    }
    const std::string& key = entries[a].key;
    a = b;
    if (key[0] == 't') {
      token.assign(key, 1, key.size() - 4);
      if (token != prev_token) {
        RETURN_IF_ERROR(finish_token());
        prev_token = token;
        std::fill(token_inputs.begin(), token_inputs.end(), 0);
      }
      for (size_t j = 0; j < n; ++j) token_inputs[j] |= contributed[j];
    } else if (key[0] == 'v') {
      const uint16_t f = GetField(key.substr(1));
      bool complete = true;
      for (size_t j = 0; j < n && complete; ++j) {
        if (!contributed[j] && inputs[j]->FieldNumber(names[f]) > 0) complete = false;
      }
      if (!complete) continue;
    }
    std::sort(posting.begin(), posting.end(),
              [](const PostingEntry& x, const PostingEntry& y) { return x.block < y.block; });
    std::string bytes;
    EncodePosting(posting, &bytes);
    merged.emplace_back(key, std::move(bytes));
  }
  RETURN_IF_ERROR(finish_token());
  // The any-field keys were appended after their token's other keys: sort, then join a key
  // that now appears twice (an input's own any-field key and one added here).
  std::stable_sort(merged.begin(), merged.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<std::pair<std::string, std::string>> unique;
  for (auto& kv : merged) {
    if (!unique.empty() && unique.back().first == kv.first) {
      std::vector<PostingEntry> x, y;
      if (!DecodePosting(unique.back().second, blocks, &x) ||
          !DecodePosting(kv.second, blocks, &y)) {
        return absl::DataLossError("index: bad posting");
      }
      x.insert(x.end(), y.begin(), y.end());
      SortUniqueBlocks(&x);
      unique.back().second.clear();
      EncodePosting(x, &unique.back().second);
      continue;
    }
    unique.push_back(std::move(kv));
  }

  std::vector<std::string_view> filters;
  for (size_t i = 0; i < n; ++i) {
    for (uint32_t b = 0; b < inputs[i]->num_blocks(); ++b) {
      ASSIGN_OR_RETURN(std::string_view f, inputs[i]->BlockFilter(b));
      filters.push_back(f);
    }
  }
  internal::WriteIndexSectionViews(unique, names, filters, out);
  return absl::OkStatus();
}

}  // namespace lode::index
