// lode_segment_stats: where the bytes of a data directory go, per column and per encoding.
//
//   lode_segment_stats DIR
//
// Reads every segment (*.lode) under DIR and prints, per column name (time and message
// included): bytes stored (chunk containers as written), bytes of the encoded streams before
// zstd, bytes of the column's values as text (their share of the raw input, roughly), the
// share of all segment bytes, and how many chunks used each encoding. The last lines count the
// footers and headers, and the whole directory (WAL and manifest included) as `du -sb` would.
// Exit status: 0, or 1 when a segment cannot be read (the error is printed).
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "storage/env.h"
#include "storage/segment_reader.h"

namespace {

struct ColumnStats {
  uint64_t stored = 0, encoded = 0, text = 0, chunks = 0, values = 0;
  std::map<std::string, uint64_t> encodings;
};

// Bytes of the values as text, as a JSON writer would print them (without keys and quotes).
uint64_t TextBytes(const lode::RecordBatch& b, const lode::Column& c) {
  uint64_t n = 0;
  char buf[64];
  for (size_t i = 0; i < c.size(); ++i) {
    switch (c.type) {
      case lode::FieldType::kString:
        n += c.strings.Get(i).size();
        break;
      case lode::FieldType::kInt64:
        n += static_cast<uint64_t>(std::snprintf(buf, sizeof(buf), "%" PRId64, c.ints[i]));
        break;
      case lode::FieldType::kDouble:
        n += static_cast<uint64_t>(std::snprintf(buf, sizeof(buf), "%.17g", c.doubles[i]));
        break;
      case lode::FieldType::kBool:
        n += c.ints[i] ? 4 : 5;
        break;
    }
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: lode_segment_stats DIR\n");
    return 2;
  }
  namespace fs = std::filesystem;
  std::map<std::string, ColumnStats> by_column;
  uint64_t files = 0, segment_bytes = 0, chunk_bytes = 0, dir_bytes = 0, records = 0, blocks = 0;
  uint64_t index_bytes = 0, index_dict = 0, index_filters = 0, index_keys = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(argv[1], ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    dir_bytes += it->file_size();
    if (it->path().extension() != ".lode") continue;
    auto r = lode::storage::SegmentReader::Open(lode::storage::Env::Default(), it->path());
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", std::string(r.status().message()).c_str());
      return 1;
    }
    const lode::storage::SegmentMeta& m = (*r)->meta();
    ++files;
    segment_bytes += (*r)->file_size();
    records += m.num_records;
    index_bytes += m.index_len;
    if (const lode::index::SegmentIndex* ix = (*r)->index()) {
      index_dict += ix->dictionary_bytes();
      index_filters += ix->filter_bytes();
      index_keys += ix->num_keys();
    } else if (!(*r)->index_error().empty()) {
      std::fprintf(stderr, "%s\n", (*r)->index_error().c_str());
    }
    lode::RecordBatch batch;
    for (size_t b = 0; b < m.blocks.size(); ++b) {
      ++blocks;
      if (auto s = (*r)->ReadBlock(b, &batch); !s.ok()) {
        std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
        return 1;
      }
      const auto& chunks = **(*r)->Chunks(b);  // ReadBlock above checked them
      for (size_t k = 0; k < chunks.size(); ++k) {
        const auto& c = chunks[k];
        std::string name = c.column_id == 0   ? "(time)"
                           : c.column_id == 1 ? "(message)"
                                              : m.fields[c.column_id - 2].name;
        ColumnStats& st = by_column[name];
        st.stored += c.stored_len;
        st.encoded += c.raw_len;
        st.chunks += 1;
        st.values += c.num_values;
        chunk_bytes += c.stored_len;
        auto enc = (*r)->ChunkEncoding(b, k);
        st.encodings[enc.ok() ? *enc : "error"] += 1;
      }
      by_column["(time)"].text += 24 * batch.num_rows();  // "2024-03-12T07:30:00.000Z"
      by_column["(message)"].text += batch.messages().byte_size();
      for (const lode::Column& c : batch.columns()) by_column[c.name].text += TextBytes(batch, c);
    }
  }
  if (ec) {
    std::fprintf(stderr, "%s: %s\n", argv[1], ec.message().c_str());
    return 1;
  }
  std::vector<std::pair<std::string, ColumnStats>> rows(by_column.begin(), by_column.end());
  std::sort(rows.begin(), rows.end(),
            [](const auto& a, const auto& b) { return a.second.stored > b.second.stored; });
  std::printf("%" PRIu64 " segments, %" PRIu64 " blocks, %" PRIu64 " records\n", files, blocks,
              records);
  std::printf("%-22s %12s %6s %12s %12s %7s %6s  %s\n", "column", "stored", "share", "encoded",
              "as text", "text/st", "B/rec", "encodings (chunks)");
  for (const auto& [name, st] : rows) {
    std::string enc;
    for (const auto& [e, n] : st.encodings) {
      if (!enc.empty()) enc += ", ";
      enc += e + " " + std::to_string(n);
    }
    std::printf("%-22s %12" PRIu64 " %5.1f%% %12" PRIu64 " %12" PRIu64 " %7.2f %6.2f  %s\n",
                name.c_str(), st.stored, 100.0 * st.stored / std::max<uint64_t>(1, segment_bytes),
                st.encoded, st.text,
                static_cast<double>(st.text) / std::max<uint64_t>(1, st.stored),
                static_cast<double>(st.stored) / std::max<uint64_t>(1, records), enc.c_str());
  }
  const uint64_t other = segment_bytes - chunk_bytes - index_bytes;
  std::printf("%-22s %12" PRIu64 " %5.1f%%  %.1f%% of the column data; %" PRIu64
              " keys, dictionary %" PRIu64 ", block filters %" PRIu64 "\n",
              "(index)", index_bytes, 100.0 * index_bytes / std::max<uint64_t>(1, segment_bytes),
              100.0 * index_bytes / std::max<uint64_t>(1, chunk_bytes), index_keys, index_dict,
              index_filters);
  std::printf("%-22s %12" PRIu64 " %5.1f%%\n", "(footers, headers)", other,
              100.0 * other / std::max<uint64_t>(1, segment_bytes));
  std::printf("%-22s %12" PRIu64 "\n", "segments total", segment_bytes);
  std::printf("%-22s %12" PRIu64 "\n", "directory total", dir_bytes);
  return 0;
}
