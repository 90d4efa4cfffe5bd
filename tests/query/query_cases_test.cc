// Runs the table-driven query cases in tests/query/cases/*.test (format described in
// tests/query/cases/README.md): each input block is ingested through the real line parser into
// a fresh store, and each query runs through query::RunQuery, the code path of `lode query`.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

#include "common/time_util.h"
#include "ingest/line_parser.h"
#include "query/query_runner.h"
#include "query/time_window.h"
#include "storage/env.h"
#include "storage/store.h"
#include "tests/query/temp_dir.h"

namespace lode::query {
namespace {

namespace fs = std::filesystem;

// Text lines (not JSON) and JSON lines without a timestamp are stamped with this time.
constexpr char kIngestTime[] = "2026-01-01T00:00:00Z";

struct Case {
  int line = 0;  // of the `query:` line
  std::string query;
  std::vector<std::pair<std::string, std::string>> options;
  std::string expected;
};

struct Dataset {
  int line = 0;
  uint32_t block_rows = 8192;
  std::vector<std::string> segments;  // one Store::Write per entry
  std::vector<Case> cases;
};

std::vector<std::string> ReadLines(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> lines;
  std::string l;
  while (std::getline(in, l)) lines.push_back(l);
  return lines;
}

// Parses a case file. Returns false (with a message) on a malformed file.
bool ParseCaseFile(const fs::path& path, std::vector<Dataset>* out, std::string* error) {
  std::vector<std::string> lines = ReadLines(path);
  size_t i = 0;
  auto fail = [&](const std::string& why) {
    *error = path.filename().string() + ":" + std::to_string(i + 1) + ": " + why;
    return false;
  };
  while (i < lines.size()) {
    const std::string& l = lines[i];
    if (l.empty() || l[0] == '#') {
      ++i;
      continue;
    }
    if (l == "input" || l.rfind("input ", 0) == 0 || l == "append") {
      if (l == "append" && out->empty()) return fail("'append' before any 'input'");
      if (l != "append") {
        Dataset d;
        d.line = static_cast<int>(i + 1);
        if (l.rfind("input block_rows=", 0) == 0) {
          d.block_rows = static_cast<uint32_t>(std::stoul(l.substr(17)));
        } else if (l != "input") {
          return fail("unknown input option: " + l);
        }
        out->push_back(std::move(d));
      }
      std::string data;
      for (++i; i < lines.size() && !lines[i].empty(); ++i) data += lines[i] + "\n";
      out->back().segments.push_back(std::move(data));
      continue;
    }
    if (l.rfind("query:", 0) == 0) {
      if (out->empty()) return fail("query before any input");
      Case c;
      c.line = static_cast<int>(i + 1);
      c.query = l.substr(6);
      if (!c.query.empty() && c.query[0] == ' ') c.query.erase(0, 1);
      for (++i; i < lines.size() && lines[i] != "----"; ++i) {
        const std::string& o = lines[i];
        size_t colon = o.find(": ");
        if (o.empty() || colon == std::string::npos) return fail("expected 'name: value' or ----");
        c.options.emplace_back(o.substr(0, colon), o.substr(colon + 2));
      }
      if (i >= lines.size()) return fail("query without ----");
      for (++i; i < lines.size() && !lines[i].empty(); ++i) c.expected += lines[i] + "\n";
      out->back().cases.push_back(std::move(c));
      continue;
    }
    return fail("expected 'input', 'append', 'query:' or a comment, got: " + l);
  }
  return true;
}

std::vector<std::string> CaseFiles() {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(LODE_QUERY_CASES_DIR)) {
    if (e.path().extension() == ".test") files.push_back(e.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

class QueryCasesTest : public ::testing::TestWithParam<std::string> {};

TEST_P(QueryCasesTest, Run) {
  const fs::path path = fs::path(LODE_QUERY_CASES_DIR) / GetParam();
  std::vector<Dataset> datasets;
  std::string error;
  ASSERT_TRUE(ParseCaseFile(path, &datasets, &error)) << error;
  size_t cases = 0;
  for (const Dataset& d : datasets) {
    testing::TempDir dir;
    ASSERT_FALSE(dir.path().empty());
    storage::StoreOptions so;
    so.segment.block_rows = d.block_rows;
    auto store = storage::Store::Open(storage::Env::Default(), dir.path(), so);
    ASSERT_TRUE(store.ok()) << store.status();
    const int64_t ingest_time = *ParseRfc3339(kIngestTime);
    for (const std::string& seg : d.segments) {
      ingest::LineParser parser(ingest::InputFormat::kAuto);
      RecordBatch batch;
      parser.Parse(seg, 1, ingest_time, &batch);
      ASSERT_EQ(parser.stats().rejected, 0u)
          << GetParam() << ":" << d.line << ": input line rejected: "
          << (parser.stats().errors.empty() ? "" : parser.stats().errors[0].reason);
      auto w = (*store)->WriteSegments(batch);
      ASSERT_TRUE(w.ok()) << w.status();
    }
    for (const Case& c : d.cases) {
      ++cases;
      QueryRequest req;
      req.text = c.query;
      std::optional<std::string> from, to, since;
      int64_t now = ingest_time;
      for (const auto& [name, value] : c.options) {
        if (name == "from") {
          from = value;
        } else if (name == "to") {
          to = value;
        } else if (name == "since") {
          since = value;
        } else if (name == "now") {
          now = *ParseTimestamp(value);
        } else if (name == "limit") {
          req.search.limit = *ParseLimit(value);
        } else if (name == "count") {
          req.count = value == "true";
        } else if (name == "output") {
          req.format = *ParseOutputFormat(value);
        } else if (name == "tenant") {
          req.search.tenant = value;
        } else {
          FAIL() << GetParam() << ":" << c.line << ": unknown option " << name;
        }
      }
      auto view = [](const std::optional<std::string>& s) -> std::optional<std::string_view> {
        if (!s) return std::nullopt;
        return std::string_view(*s);
      };
      std::string actual;
      auto window = ResolveTimeWindow(view(from), view(to), view(since), now);
      int rc;
      if (!window.ok()) {
        actual = std::string(window.status().message()) + "\n";
        rc = kQueryFailed;
      } else {
        req.search.from = window->from;
        req.search.to = window->to;
        std::string err;
        rc = RunQuery(
            store->get(), req, [&](std::string_view s) { actual.append(s); },
            [&](std::string_view s) { err.append(s); });
        actual += err;
      }
      EXPECT_EQ(actual, c.expected) << GetParam() << ":" << c.line << ": query: " << c.query;
      const bool expect_error = c.expected.rfind("error at ", 0) == 0 ||
                                c.expected.rfind("invalid ", 0) == 0 ||
                                c.expected.rfind("empty time window", 0) == 0;
      EXPECT_EQ(rc, expect_error ? kQueryFailed : kQueryOk)
          << GetParam() << ":" << c.line << ": query: " << c.query;
    }
  }
  EXPECT_GT(cases, 0u) << "no cases in " << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Cases, QueryCasesTest, ::testing::ValuesIn(CaseFiles()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param.substr(0, info.param.size() - 5);
                           for (char& ch : name) {
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace lode::query
