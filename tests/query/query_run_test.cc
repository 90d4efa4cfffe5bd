// Pipes, explain and stop conditions through the two front ends that share QueryRun: RunQuery
// (what `lode query` runs) and the HTTP handler.
#include <algorithm>
#include <string>

#include "gtest/gtest.h"

#include "common/time_util.h"
#include "query/http_handlers.h"
#include "query/query_runner.h"
#include "storage/env.h"
#include "storage/store.h"
#include "tests/query/temp_dir.h"

namespace lode::query {
namespace {

class QueryRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    auto s = storage::Store::Open(storage::Env::Default(), dir_.path());
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    // 300 records, i = 0..299, one per second; `lat` = (i * 37) % 101 (a permutation of
    // 0..100 repeated), so sorting by it differs from time order.
    RecordBatch b;
    for (int i = 0; i < 300; ++i) {
      b.BeginRow();
      b.AddInt("i", i);
      b.AddInt("lat", (i * 37) % 101);
      b.AddString("svc", i % 2 == 0 ? "api" : "web");
      b.EndRow(*ParseRfc3339("2026-01-01T00:00:00Z") + int64_t{i} * kNanosPerSecond,
               i % 3 == 0 ? "fizz" : "buzz");
    }
    ASSERT_TRUE(store_->Write(b).ok());
  }

  HttpResponse Get(std::map<std::string, std::string> params) {
    HttpRequest req;
    req.method = "GET";
    req.path = "/api/v1/query";
    req.params = std::move(params);
    return HandleQuery(store_.get(), req);
  }

  static std::string Drain(const HttpResponse& r) {
    std::string body;
    EXPECT_TRUE(r.stream != nullptr) << r.status << " " << r.body;
    if (!r.stream) return body;
    for (int guard = 0; guard < 100000; ++guard) {
      std::string chunk;
      if (!r.stream(&chunk)) {
        EXPECT_TRUE(chunk.empty());
        return body;
      }
      body += chunk;
    }
    ADD_FAILURE() << "stream did not end";
    return body;
  }

  int Run(const QueryRequest& req, std::string* out, std::string* err) {
    return RunQuery(
        store_.get(), req, [&](std::string_view s) { out->append(s); },
        [&](std::string_view s) { err->append(s); });
  }

  testing::TempDir dir_;
  std::unique_ptr<storage::Store> store_;
};

TEST_F(QueryRunTest, SortWithHeadOverRunQuery) {
  QueryRequest req;
  req.text = "buzz | sort by (lat desc, i) | head 3 | fields lat, i";
  std::string out, err;
  EXPECT_EQ(Run(req, &out, &err), kQueryOk) << err;
  // lat 100 comes from i = 30 + 101k: 30 (fizz), 131 and 232 (buzz); lat 99 from 60 (fizz),
  // 161 and 262 (buzz).
  EXPECT_EQ(out, "{\"lat\":100,\"i\":131}\n{\"lat\":100,\"i\":232}\n{\"lat\":99,\"i\":161}\n");
  EXPECT_EQ(err, "");
}

TEST_F(QueryRunTest, ExplainGoesToErrAfterTheResults) {
  QueryRequest req;
  req.text = "fizz | limit 2";
  req.explain = true;
  std::string out, err;
  EXPECT_EQ(Run(req, &out, &err), kQueryOk);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2);
  EXPECT_NE(err.find("blocks:"), std::string::npos) << err;
  EXPECT_NE(err.find("pipe: limit 2\n"), std::string::npos) << err;

  req.count = true;
  out.clear();
  err.clear();
  EXPECT_EQ(Run(req, &out, &err), kQueryOk);
  EXPECT_EQ(out, "2\n");
  EXPECT_NE(err.find("blocks:"), std::string::npos) << err;
}

TEST_F(QueryRunTest, APassedDeadlineFailsWithAMessage) {
  QueryRequest req;
  req.text = "fizz | sort by (lat)";
  req.search.deadline = absl::InfinitePast();
  std::string out, err;
  EXPECT_EQ(Run(req, &out, &err), kQueryFailed);
  // Nothing of a sort over part of the records is printed.
  EXPECT_EQ(out, "");
  EXPECT_EQ(err.rfind("lode query: query timed out (read ", 0), 0u) << err;
  EXPECT_NE(err.find("narrow the time window or raise --timeout\n"), std::string::npos) << err;

  req.count = true;
  out.clear();
  err.clear();
  EXPECT_EQ(Run(req, &out, &err), kQueryFailed);
  EXPECT_EQ(out, "");
}

TEST_F(QueryRunTest, TimeoutParsing) {
  EXPECT_EQ(*ParseQueryTimeout("30s"), absl::Seconds(30));
  EXPECT_EQ(*ParseQueryTimeout("500ms"), absl::Milliseconds(500));
  EXPECT_EQ(*ParseQueryTimeout("1m30s"), absl::Seconds(90));
  EXPECT_EQ(*ParseQueryTimeout("0"), absl::InfiniteDuration());
  EXPECT_EQ(*ParseQueryTimeout("0s"), absl::InfiniteDuration());
  for (std::string_view bad : {"", "30", "-1s", "soon", "5x"}) {
    auto t = ParseQueryTimeout(bad);
    EXPECT_FALSE(t.ok()) << bad;
    EXPECT_EQ(t.status().message(),
              StrCat("invalid timeout '", bad,
                     "': expected a duration such as 30s, 500ms or 2m (0 for none)"));
  }
}

TEST_F(QueryRunTest, HttpPipes) {
  HttpResponse r = Get({{"q", "* | sort by (lat) | head 2 | fields lat, _msg"}});
  EXPECT_EQ(r.status, 200);
  // lat 0: i = 202 and 101 (buzz, newest first among the ties), then 0 (fizz).
  EXPECT_EQ(Drain(r), "{\"lat\":0,\"_msg\":\"buzz\"}\n{\"lat\":0,\"_msg\":\"buzz\"}\n");
  // The limit parameter caps the output after the pipes.
  r = Get({{"q", "* | fields i"}, {"limit", "3"}});
  EXPECT_EQ(Drain(r), "{\"i\":299}\n{\"i\":298}\n{\"i\":297}\n");
  EXPECT_EQ(Get({{"q", "* | head 7"}, {"count", "1"}}).body, "{\"count\":7}\n");

  r = Get({{"q", "* | sort by (lat"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "{\"error\":\"error at 1:17: expected ')'\",\"position\":17}\n");
}

TEST_F(QueryRunTest, HttpExplainIsATrailingLine) {
  std::string body = Drain(Get({{"q", "fizz | limit 2"}, {"explain", "1"}}));
  size_t last = body.rfind('\n', body.size() - 2);
  ASSERT_NE(last, std::string::npos);
  EXPECT_EQ(std::count(body.begin(), body.end(), '\n'), 3) << body;
  EXPECT_EQ(body.compare(last + 1, 12, "{\"explain\":\""), 0) << body;
  EXPECT_NE(body.find("blocks:", last), std::string::npos) << body;
  EXPECT_NE(body.find("\\npipe: limit 2\\npipe: output limit 100\\n\"}\n", last), std::string::npos)
      << body;

  HttpResponse c = Get({{"q", "fizz"}, {"count", "1"}, {"explain", "true"}});
  EXPECT_EQ(c.body.rfind("{\"count\":100,\"explain\":\"", 0), 0u) << c.body;
}

TEST_F(QueryRunTest, HttpParameters) {
  EXPECT_EQ(Get({{"timeout", "soon"}}).status, 400);
  EXPECT_EQ(Get({{"timeout", "soon"}}).body,
            "{\"error\":\"invalid timeout 'soon': expected a duration such as 30s, 500ms or 2m "
            "(0 for none)\"}\n");
  EXPECT_EQ(Get({{"explain", "yes"}}).status, 400);
  EXPECT_EQ(Get({{"q", "fizz"}, {"timeout", "0"}, {"count", "1"}}).body, "{\"count\":100}\n");
  EXPECT_EQ(Get({{"q", "fizz"}, {"timeout", "1m"}, {"count", "1"}}).body, "{\"count\":100}\n");
}

}  // namespace
}  // namespace lode::query
