// Everything that goes in comes out: records written through the parser and the store read back
// with the same timestamp, message and fields, on generated records and on real logs.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <unistd.h>

#include "common/time_util.h"
#include "ingest/line_parser.h"
#include "storage/store.h"
#include "tests/testing/record_util.h"

namespace lode::ingest {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kNow = 1'800'000'000 * kNanosPerSecond;

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          *out += buf;
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

// Serializes row `r` of `b` as one JSON line. Alternates timestamp encodings by row.
std::string ToJsonLine(const RecordBatch& b, uint32_t r) {
  std::string out = "{";
  switch (r % 3) {
    case 0:
      out += "\"_time\":\"" + FormatRfc3339Nanos(b.time(r)) + "\"";
      break;
    case 1:
      out += "\"timestamp\":" + std::to_string(b.time(r));  // epoch ns
      break;
    default:
      out += "\"@timestamp\":\"" + std::to_string(b.time(r)) + "\"";  // numeric string
      break;
  }
  out += ",\"message\":";
  AppendJsonString(b.message(r), &out);
  for (const Column& c : b.columns()) {
    int64_t i = c.Find(r);
    if (i < 0) continue;
    out += ",";
    AppendJsonString(c.name, &out);
    out += ":";
    switch (c.type) {
      case FieldType::kString:
        AppendJsonString(c.strings.Get(i), &out);
        break;
      case FieldType::kInt64:
        out += std::to_string(c.ints[i]);
        break;
      case FieldType::kBool:
        out += c.ints[i] ? "true" : "false";
        break;
      case FieldType::kDouble: {
        char buf[64];
        std::snprintf(buf, sizeof(buf), "%.17g", c.doubles[i]);
        out += buf;
        if (std::string_view(buf).find_first_of(".en") == std::string_view::npos) out += ".0";
        break;
      }
    }
  }
  out += "}";
  return out;
}

class RoundTripTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("lode_rt_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Parses `input` in chunks of whole lines (as `lode ingest` does), stores it, and returns all
  // stored rows in storage order. Fails the test on any rejected line.
  std::vector<std::string> IngestAndReadBack(const std::string& input, InputFormat format) {
    auto store = storage::Store::Open(storage::Env::Default(), dir_.string());
    EXPECT_TRUE(store.ok());
    LineParser parser(format);
    RecordBatch batch;
    uint64_t line = 1;
    size_t pos = 0;
    while (pos < input.size()) {
      size_t cut = input.find('\n', std::min(input.size(), pos + 64 * 1024));
      size_t end = cut == std::string::npos ? input.size() : cut + 1;
      line += parser.Parse(std::string_view(input).substr(pos, end - pos), line, kNow, &batch);
      pos = end;
    }
    EXPECT_EQ(parser.stats().rejected, 0u)
        << (parser.stats().errors.empty() ? "" : parser.stats().errors[0].reason);
    auto w = (*store)->WriteSegments(batch);
    EXPECT_TRUE(w.ok()) << w.status();
    auto snap = (*store)->Snapshot(storage::kDefaultTenant, INT64_MIN, INT64_MAX);
    EXPECT_TRUE(snap.ok());
    std::vector<std::string> rows;
    // Oldest first, so that equal-time text lines keep their input order.
    std::vector<std::shared_ptr<const storage::BlockSource>> sources = (*snap)->sources;
    std::reverse(sources.begin(), sources.end());
    RecordBatch b;
    for (const auto& seg : sources) {
      for (size_t i = 0; i < seg->num_blocks(); ++i) {
        EXPECT_TRUE(seg->ReadBlock(i, &b).ok());
        for (auto& r : lode::testing::AllRows(b)) rows.push_back(std::move(r));
      }
    }
    return rows;
  }

  fs::path dir_;
};

TEST_F(RoundTripTest, GeneratedRecords) {
  const int64_t start = *ParseRfc3339("2026-11-26T20:00:00Z");
  RecordBatch want = lode::testing::RandomBatch(11, 20000, start, 8 * 3600 * kNanosPerSecond);
  std::string input;
  for (uint32_t r = 0; r < want.num_rows(); ++r) input += ToJsonLine(want, r) + "\n";
  std::vector<std::string> got = IngestAndReadBack(input, InputFormat::kNdjson);
  std::vector<std::string> expected = lode::testing::AllRows(want);
  std::sort(got.begin(), got.end());
  std::sort(expected.begin(), expected.end());
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], expected[i]) << i;
}

std::string SharedData(const std::string& rel) {
  return std::string(LODE_SHARED_DATA_DIR) + "/" + rel;
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::string line;
  std::istringstream in(text);
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    out.push_back(line);
  }
  return out;
}

const char* kLoghub[] = {"Apache", "BGL",     "HDFS",  "Hadoop",
                         "Linux",  "OpenSSH", "Spark", "Zookeeper"};

TEST_F(RoundTripTest, RealLogsAsText) {
  std::vector<std::string> files = {SharedData("apache_access_elastic/apache_logs")};
  for (const char* s : kLoghub)
    files.push_back(SharedData(std::string("loghub/") + s + "/" + s + "_2k.log"));
  for (const std::string& path : files) {
    if (!fs::exists(path)) GTEST_SKIP() << "shared data not found: " << path;
    fs::remove_all(dir_);
    const std::string text = ReadFile(path);
    std::vector<std::string> got = IngestAndReadBack(text, InputFormat::kText);
    std::vector<std::string> want;
    for (const std::string& l : Lines(text)) want.push_back(std::to_string(kNow) + "|" + l + "|");
    ASSERT_EQ(got.size(), want.size()) << path;
    for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], want[i]) << path << " line " << i;
  }
}

// Splits one CSV record (RFC 4180 quoting) into fields.
std::vector<std::string> SplitCsv(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back().push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back().push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else {
      out.back().push_back(c);
    }
  }
  return out;
}

// Loghub's structured CSVs as NDJSON records: Content is the message, the other columns fields.
TEST_F(RoundTripTest, RealLogsAsStructuredJson) {
  for (const char* s : kLoghub) {
    const std::string path =
        SharedData(std::string("loghub/") + s + "/" + s + "_2k.log_structured.csv");
    if (!fs::exists(path)) GTEST_SKIP() << "shared data not found: " << path;
    fs::remove_all(dir_);
    std::vector<std::string> lines = Lines(ReadFile(path));
    ASSERT_GT(lines.size(), 1u);
    std::vector<std::string> header = SplitCsv(lines[0]);
    std::string input;
    std::vector<std::string> want;
    for (size_t i = 1; i < lines.size(); ++i) {
      std::vector<std::string> cols = SplitCsv(lines[i]);
      ASSERT_EQ(cols.size(), header.size()) << path << ":" << i;
      RecordBatch one;
      one.BeginRow();
      std::string json = "{\"ts\":" + std::to_string(1'700'000'000 + i);
      std::string msg;
      for (size_t c = 0; c < cols.size(); ++c) {
        if (header[c] == "Content") {
          msg = cols[c];
          json += ",\"message\":";
        } else {
          one.AddString(header[c], cols[c]);
          json += ",";
          AppendJsonString(header[c], &json);
          json += ":";
        }
        AppendJsonString(cols[c], &json);
      }
      one.EndRow((1'700'000'000 + static_cast<int64_t>(i)) * kNanosPerSecond, msg);
      input += json + "}\n";
      want.push_back(lode::testing::RowText(one, 0));
    }
    std::vector<std::string> got = IngestAndReadBack(input, InputFormat::kNdjson);
    ASSERT_EQ(got, want) << path;
  }
}

}  // namespace
}  // namespace lode::ingest
