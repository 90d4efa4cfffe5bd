#include "query/http_handlers.h"

#include <string>

#include "gtest/gtest.h"

#include "common/time_util.h"
#include "storage/env.h"
#include "storage/store.h"
#include "tests/query/temp_dir.h"

namespace lode::query {
namespace {

class HandleQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    auto s = storage::Store::Open(storage::Env::Default(), dir_.path());
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    // 3000 records with ~300-byte messages: about 1 MB of NDJSON.
    RecordBatch b;
    const std::string pad(280, 'x');
    for (int i = 0; i < 3000; ++i) {
      b.BeginRow();
      b.AddInt("i", i);
      b.EndRow(*ParseRfc3339("2026-01-01T00:00:00Z") + int64_t{i} * kNanosPerSecond,
               (i % 3 == 0 ? "fizz " : "buzz ") + pad);
    }
    ASSERT_TRUE(store_->Write(b).ok());
    RecordBatch other;
    other.BeginRow();
    other.EndRow(*ParseRfc3339("2026-01-01T00:00:00Z"), "tenant two");
    ASSERT_TRUE(store_->Write(other, "two").ok());
  }

  HttpResponse Get(std::map<std::string, std::string> params,
                   std::map<std::string, std::string> headers = {}) {
    HttpRequest req;
    req.method = "GET";
    req.path = "/api/v1/query";
    req.params = std::move(params);
    req.headers = std::move(headers);
    return HandleQuery(store_.get(), req);
  }

  // Runs the stream to the end; records the size of each chunk.
  static std::string Drain(const HttpResponse& r, std::vector<size_t>* sizes = nullptr) {
    std::string body;
    EXPECT_TRUE(r.stream != nullptr);
    if (!r.stream) return body;
    for (int guard = 0; guard < 100000; ++guard) {
      std::string chunk;
      if (!r.stream(&chunk)) {
        EXPECT_TRUE(chunk.empty());
        return body;
      }
      EXPECT_FALSE(chunk.empty());
      if (sizes != nullptr) sizes->push_back(chunk.size());
      body += chunk;
    }
    ADD_FAILURE() << "stream did not end";
    return body;
  }

  static size_t Lines(const std::string& s) { return std::count(s.begin(), s.end(), '\n'); }

  testing::TempDir dir_;
  std::unique_ptr<storage::Store> store_;
};

TEST_F(HandleQueryTest, StreamsNdjsonInChunks) {
  HttpResponse r = Get({{"q", "fizz"}, {"limit", "0"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/x-ndjson");
  std::vector<size_t> sizes;
  std::string body = Drain(r, &sizes);
  EXPECT_EQ(Lines(body), 1000u);
  EXPECT_GT(sizes.size(), 3u);
  for (size_t i = 0; i + 1 < sizes.size(); ++i) {
    EXPECT_GE(sizes[i], size_t{64} << 10);
    EXPECT_LT(sizes[i], (size_t{64} << 10) + 1024);
  }
  // Newest first.
  EXPECT_EQ(body.rfind("{\"_time\":\"2026-01-01T00:49:57.000000000Z\",\"_msg\":\"fizz ", 0), 0u);
}

TEST_F(HandleQueryTest, DefaultLimitAndWindow) {
  EXPECT_EQ(Lines(Drain(Get({}))), 100u);
  EXPECT_EQ(Lines(Drain(Get({{"limit", "7"}}))), 7u);
  std::string body = Drain(Get({{"from", "2026-01-01T00:00:10Z"}, {"to", "1767225615"}}));
  EXPECT_EQ(Lines(body), 5u);
  EXPECT_EQ(body.rfind("{\"_time\":\"2026-01-01T00:00:14.000000000Z\"", 0), 0u);
  // Empty parameters count as absent.
  EXPECT_EQ(Lines(Drain(Get({{"q", ""}, {"from", ""}, {"limit", "3"}}))), 3u);
}

TEST_F(HandleQueryTest, Count) {
  HttpResponse r = Get({{"q", "buzz i:>=1500"}, {"count", "1"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_FALSE(r.stream);
  EXPECT_EQ(r.body, "{\"count\":1000}\n");
  EXPECT_EQ(Get({{"count", "true"}}).body, "{\"count\":3000}\n");
  EXPECT_EQ(Get({{"count", "yes"}}).status, 400);
}

TEST_F(HandleQueryTest, Tenants) {
  EXPECT_EQ(Get({{"tenant", "two"}, {"count", "1"}}).body, "{\"count\":1}\n");
  EXPECT_EQ(Get({{"count", "1"}}, {{"x-scope-orgid", "two"}}).body, "{\"count\":1}\n");
  // The parameter wins over the header.
  EXPECT_EQ(Get({{"tenant", "default"}, {"count", "1"}}, {{"x-scope-orgid", "two"}}).body,
            "{\"count\":3000}\n");
  EXPECT_EQ(Get({{"tenant", "nobody"}, {"count", "1"}}).body, "{\"count\":0}\n");
  HttpResponse bad = Get({{"tenant", "../x"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("\"error\":\"invalid tenant"), std::string::npos) << bad.body;
}

TEST_F(HandleQueryTest, BadQueryPointsAtThePosition) {
  HttpResponse r = Get({{"q", "fizz OR (buzz"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_FALSE(r.stream);
  EXPECT_EQ(
      r.body,
      "{\"error\":\"error at 1:14: expected ')' to close the '(' at 1:9\",\"position\":14}\n");
  r = Get({{"q", "a \"b"}});
  EXPECT_EQ(r.body,
            "{\"error\":\"error at 1:3: unterminated quoted string (missing closing '\\\"')\","
            "\"position\":3}\n");
}

TEST_F(HandleQueryTest, BadParameters) {
  for (auto params : std::vector<std::map<std::string, std::string>>{
           {{"from", "soon"}},
           {{"to", "x"}},
           {{"since", "-5m"}},
           {{"limit", "-1"}},
           {{"limit", "ten"}},
           {{"from", "2026-01-01T00:00:00Z"}, {"since", "1h"}}}) {
    HttpResponse r = Get(params);
    EXPECT_EQ(r.status, 400) << params.begin()->first;
    EXPECT_EQ(r.body.rfind("{\"error\":", 0), 0u) << r.body;
    EXPECT_EQ(r.body.find("position"), std::string::npos) << r.body;
  }
}

// The real file system with a fixed clock.
class FixedClockEnv : public storage::EnvWrapper {
 public:
  explicit FixedClockEnv(int64_t now) : EnvWrapper(storage::Env::Default()), now_(now) {}
  int64_t NowNanos() override { return now_; }

 private:
  int64_t now_;
};

TEST_F(HandleQueryTest, SinceUsesTheStoreClock) {
  FixedClockEnv env(*ParseRfc3339("2026-01-01T00:50:00Z"));
  storage::StoreOptions ro;  // the fixture's store holds the directory; read beside it
  ro.read_only = true;
  auto store = storage::Store::Open(&env, dir_.path(), ro);
  ASSERT_TRUE(store.ok());
  HttpRequest req;
  req.params = {{"since", "10s"}, {"count", "1"}};
  // 00:49:50 .. 00:49:59 are i = 2990 .. 2999.
  EXPECT_EQ(HandleQuery(store->get(), req).body, "{\"count\":10}\n");
  req.params = {{"since", "10s"}, {"to", "2026-01-01T00:49:55Z"}, {"count", "1"}};
  EXPECT_EQ(HandleQuery(store->get(), req).body, "{\"count\":5}\n");
}

}  // namespace
}  // namespace lode::query
