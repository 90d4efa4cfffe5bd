// Test helpers: canonical text of records, so two batches can be compared row by row, and a
// seeded generator of random records.
#pragma once

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "common/record_batch.h"

namespace lode::testing {

// "time|message|name:type=value;..." with fields sorted by name and type. Doubles are printed
// with 17 significant digits so equal text means equal value.
inline std::string RowText(const RecordBatch& b, uint32_t row) {
  std::vector<std::string> fields;
  for (const Column& c : b.columns()) {
    int64_t i = c.Find(row);
    if (i < 0) continue;
    std::string v;
    switch (c.type) {
      case FieldType::kString:
        v = std::string(c.strings.Get(i));
        break;
      case FieldType::kInt64:
        v = std::to_string(c.ints[i]);
        break;
      case FieldType::kBool:
        v = c.ints[i] ? "true" : "false";
        break;
      case FieldType::kDouble: {
        char buf[64];
        std::snprintf(buf, sizeof(buf), "%.17g", c.doubles[i]);
        v = buf;
        break;
      }
    }
    fields.push_back(c.name + ":" + std::string(FieldTypeName(c.type)) + "=" + v);
  }
  std::sort(fields.begin(), fields.end());
  std::string out = std::to_string(b.time(row)) + "|" + std::string(b.message(row)) + "|";
  for (const auto& f : fields) out += f + ";";
  return out;
}

inline std::vector<std::string> AllRows(const RecordBatch& b) {
  std::vector<std::string> out;
  for (uint32_t r = 0; r < b.num_rows(); ++r) out.push_back(RowText(b, r));
  return out;
}

// A random batch: `n` rows, times spread over `span_ns` from `start_ns`, a mix of field names,
// types, sparse presence, empty strings, UTF-8 and binary-looking text.
inline RecordBatch RandomBatch(uint32_t seed, size_t n, int64_t start_ns, int64_t span_ns) {
  std::mt19937_64 rng(seed);
  static const char* kWords[] = {
      "alpha",    "beta", "gamma", "caf\xC3\xA9", "\xE6\x97\xA5\xE6\x9C\xAC", "error", "timeout",
      "10.0.0.1", "",     "a b c", "x\ty\nz"};
  auto word = [&] { return std::string(kWords[rng() % (sizeof(kWords) / sizeof(kWords[0]))]); };
  RecordBatch b;
  for (size_t i = 0; i < n; ++i) {
    b.BeginRow();
    int nf = static_cast<int>(rng() % 6);
    for (int f = 0; f < nf; ++f) {
      std::string name = "f";
      name += std::to_string(rng() % 12);
      switch (rng() % 4) {
        case 0: {
          std::string v = word();
          v += std::to_string(rng() % 1000);
          b.AddString(name, v);
        } break;
        case 1:
          b.AddInt(name, static_cast<int64_t>(rng()) >> (rng() % 64));
          break;
        case 2:
          b.AddDouble(name, static_cast<double>(rng() % 100000) / 7.0 - 5000.0);
          break;
        default:
          b.AddBool(name, rng() % 2);
          break;
      }
    }
    std::string msg;
    int words = static_cast<int>(rng() % 12);
    for (int w = 0; w < words; ++w) msg += word() + " ";
    int64_t t = start_ns + static_cast<int64_t>(rng() % static_cast<uint64_t>(span_ns));
    b.EndRow(t, msg);
  }
  return b;
}

}  // namespace lode::testing
