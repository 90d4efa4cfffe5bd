// Helpers for the store maintenance and crash tests: records with unique ids, reading back
// everything a store shows, and listing the segment files on an Env.
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/record_batch.h"
#include "common/strings.h"
#include "common/time_util.h"
#include "storage/manifest.h"
#include "storage/store.h"
#include "tests/testing/record_util.h"

namespace lode::storage::testing {

inline constexpr int64_t kDay = 86400 * kNanosPerSecond;
inline constexpr int64_t kHour = 3600 * kNanosPerSecond;

// `n` records with ids first..first+n-1: message "r<id>", field id:int64, field even:bool,
// times `start + id * step` (so the time order is the id order).
inline RecordBatch IdBatch(int first, int n, int64_t start, int64_t step) {
  RecordBatch b;
  for (int i = first; i < first + n; ++i) {
    b.BeginRow();
    b.AddInt("id", i);
    b.AddBool("even", i % 2 == 0);
    b.AddString("host", StrCat("host-", i % 3));
    b.EndRow(start + int64_t{i} * step, StrCat("r", i));
  }
  return b;
}

// How often each id appears among the records `store` shows for `tenant`.
inline std::map<int, int> IdCounts(Store* store, std::string_view tenant = kDefaultTenant) {
  std::map<int, int> counts;
  auto snap = store->Snapshot(tenant, INT64_MIN, INT64_MAX);
  EXPECT_TRUE(snap.ok()) << snap.status();
  if (!snap.ok()) return counts;
  EXPECT_TRUE((*snap)->errors.empty()) << (*snap)->errors.front();
  RecordBatch b;
  for (const auto& src : (*snap)->sources) {
    for (size_t i = 0; i < src->num_blocks(); ++i) {
      absl::Status s = src->ReadBlock(i, &b);
      EXPECT_TRUE(s.ok()) << s;
      for (uint32_t r = 0; r < b.num_rows(); ++r) {
        std::string_view m = b.message(r);
        EXPECT_TRUE(m.starts_with("r")) << m;
        counts[std::stoi(std::string(m.substr(1)))]++;
      }
    }
  }
  return counts;
}

// Every row `store` shows for `tenant`, as canonical text, sorted.
inline std::vector<std::string> AllRowTexts(Store* store,
                                            std::string_view tenant = kDefaultTenant) {
  std::vector<std::string> rows;
  auto snap = store->Snapshot(tenant, INT64_MIN, INT64_MAX);
  EXPECT_TRUE(snap.ok());
  if (!snap.ok()) return rows;
  RecordBatch b;
  for (const auto& src : (*snap)->sources) {
    for (size_t i = 0; i < src->num_blocks(); ++i) {
      EXPECT_TRUE(src->ReadBlock(i, &b).ok());
      for (uint32_t r = 0; r < b.num_rows(); ++r) rows.push_back(lode::testing::RowText(b, r));
    }
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

// Paths (relative to `dir`) of the segment files under DIR/t=*/d=*/.
inline std::set<std::string> SegmentFiles(Env* env, const std::string& dir) {
  std::set<std::string> out;
  auto tenants = env->ListDir(dir);
  if (!tenants.ok()) return out;
  for (const std::string& t : *tenants) {
    if (!t.starts_with("t=")) continue;
    auto days = env->ListDir(JoinPath(dir, t));
    if (!days.ok()) continue;
    for (const std::string& d : *days) {
      auto files = env->ListDir(JoinPath(JoinPath(dir, t), d));
      if (!files.ok()) continue;
      for (const std::string& f : *files) {
        if (f.ends_with(".lode")) out.insert(StrCat(t, "/", d, "/", f));
      }
    }
  }
  return out;
}

// Paths the manifest in `dir` names.
inline std::set<std::string> ManifestPaths(Env* env, const std::string& dir) {
  std::set<std::string> out;
  auto m = ReadManifest(env, dir);
  EXPECT_TRUE(m.ok()) << m.status();
  if (m.ok() && *m) {
    for (const SegmentEntry& e : (*m)->segments) out.insert(e.path);
  }
  return out;
}

}  // namespace lode::storage::testing
