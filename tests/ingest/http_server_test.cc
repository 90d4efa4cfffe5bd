#include "ingest/http_server.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include <gtest/gtest.h>
#include <unistd.h>

#include "common/time_util.h"
#include "ingest/ingest_handlers.h"
#include "ingest/line_parser.h"
#include "storage/env.h"
#include "storage/store.h"
#include "tests/ingest/http_test_client.h"

namespace lode::ingest {
namespace {

using ::lode::testing::HttpReply;
using ::lode::testing::HttpTestClient;

// Rows of `tenant` as "time|message" (plus "|field=value" for `field` when given), newest first
// as the store orders segments, and oldest first inside a segment; tests sort when they compare.
std::vector<std::string> StoredRows(storage::Store* store, std::string_view tenant,
                                    std::string_view field = "") {
  std::vector<std::string> rows;
  auto snap = store->Snapshot(tenant, INT64_MIN, INT64_MAX);
  EXPECT_TRUE(snap.ok()) << snap.status();
  if (!snap.ok()) return rows;
  RecordBatch b;
  for (const auto& seg : (*snap)->sources) {
    for (size_t i = 0; i < seg->num_blocks(); ++i) {
      EXPECT_TRUE(seg->ReadBlock(i, &b).ok());
      for (uint32_t r = 0; r < b.num_rows(); ++r) {
        std::string row = StrCat(b.time(r), "|", b.message(r));
        if (!field.empty()) {
          const Column* c = b.FindColumn(field, FieldType::kString);
          int64_t k = c == nullptr ? -1 : c->Find(r);
          if (k >= 0) StrAppend(&row, "|", field, "=", c->strings.Get(k));
        }
        rows.push_back(std::move(row));
      }
    }
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

int64_t T(std::string_view rfc3339) { return *ParseRfc3339(rfc3339); }

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           StrCat("lode_http_test_", ::getpid(), "_",
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    auto store = storage::Store::Open(storage::Env::Default(), dir_.string());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Starts a server on an ephemeral loopback port with the ingest routes, /health, and whatever
  // `extra` adds.
  void StartServer(HttpServerOptions options = {},
                   const std::function<void(HttpServer*)>& extra = nullptr) {
    options.host = "127.0.0.1";
    options.port = 0;
    options.log = [this](std::string_view msg) {
      absl::MutexLock l(&log_mu_);
      log_.emplace_back(msg);
    };
    auto server = HttpServer::Listen(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    storage::Store* st = store_.get();
    server_->Route("POST", "/ingest/ndjson", [st](const HttpRequest& r) {
      return HandleIngest(st, InputFormat::kNdjson, r);
    });
    server_->Route("POST", "/ingest/text",
                   [st](const HttpRequest& r) { return HandleIngest(st, InputFormat::kText, r); });
    server_->Route("GET", "/health", [](const HttpRequest&) {
      HttpResponse r;
      r.body = R"({"status":"ok"})";
      return r;
    });
    if (extra) extra(server_.get());
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_NE(server_->port(), 0);
  }

  std::filesystem::path dir_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<HttpServer> server_;
  absl::Mutex log_mu_;
  std::vector<std::string> log_;
};

TEST_F(HttpServerTest, HealthOnEphemeralPort) {
  StartServer();
  EXPECT_EQ(server_->address(), StrCat("127.0.0.1:", server_->port()));
  HttpTestClient c(server_->port());
  ASSERT_TRUE(c.connected());
  HttpReply r = c.Request("GET", "/health");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"ok"})");
  EXPECT_EQ(r.headers["content-type"], "application/json");
}

TEST_F(HttpServerTest, PostNdjsonStoresRecordsBeforeAnswering) {
  StartServer();
  HttpTestClient c(server_->port());
  HttpReply r = c.Request("POST", "/ingest/ndjson",
                          "{\"_time\":\"2026-01-02T03:04:05Z\",\"_msg\":\"first\",\"app\":\"a\"}\n"
                          "\n"
                          "{\"_time\":\"2026-01-02T03:04:06Z\",\"_msg\":\"second\",\"app\":\"b\"}");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"stored":2,"rejected":0,"errors":[]})");
  // The answer came after Store::Write returned: the records are on disk now.
  EXPECT_EQ(StoredRows(store_.get(), "default", "app"),
            (std::vector<std::string>{StrCat(T("2026-01-02T03:04:05Z"), "|first|app=a"),
                                      StrCat(T("2026-01-02T03:04:06Z"), "|second|app=b")}));
}

TEST_F(HttpServerTest, MalformedLinesAreReportedAndTheRestStored) {
  StartServer();
  HttpTestClient c(server_->port());
  HttpReply r = c.Request("POST", "/ingest/ndjson",
                          "{\"_time\":\"2026-01-02T00:00:00Z\",\"_msg\":\"ok1\"}\n"
                          "{\"_msg\":\"unterminated\n"
                          "[1,2]\n"
                          "{\"_time\":\"2026-01-02T00:00:01Z\",\"_msg\":\"ok2\"}\n");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.starts_with(R"({"stored":2,"rejected":2,"errors":[{"line":2,"error":")"))
      << r.body;
  EXPECT_NE(r.body.find(R"({"line":3,"error":"not a JSON object"})"), std::string::npos) << r.body;
  EXPECT_EQ(StoredRows(store_.get(), "default"),
            (std::vector<std::string>{StrCat(T("2026-01-02T00:00:00Z"), "|ok1"),
                                      StrCat(T("2026-01-02T00:00:01Z"), "|ok2")}));
}

TEST_F(HttpServerTest, AllLinesRejectedIs400AndStoresNothing) {
  StartServer();
  HttpTestClient c(server_->port());
  HttpReply r = c.Request("POST", "/ingest/ndjson", "not json\n{broken\n");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(r.body.starts_with(R"({"stored":0,"rejected":2,"errors":[{"line":1,)")) << r.body;
  EXPECT_TRUE(StoredRows(store_.get(), "default").empty());
}

TEST_F(HttpServerTest, EmptyBodyStoresNothing) {
  StartServer();
  HttpTestClient c(server_->port());
  for (const char* path : {"/ingest/ndjson", "/ingest/text"}) {
    HttpReply r = c.Request("POST", path, "");
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.body, R"({"stored":0,"rejected":0,"errors":[]})") << path;
  }
  EXPECT_TRUE(StoredRows(store_.get(), "default").empty());
}

TEST_F(HttpServerTest, TextLinesAreMessagesStampedWithIngestTime) {
  StartServer();
  HttpTestClient c(server_->port());
  const int64_t before = storage::Env::Default()->NowNanos();
  HttpReply r = c.Request("POST", "/ingest/text",
                          "Jan  1 00:00:00 host sshd[1]: one\r\n{\"not\":\"parsed\"}\n\nthree\n");
  const int64_t after = storage::Env::Default()->NowNanos();
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"stored":3,"rejected":0,"errors":[]})");
  auto snap = store_->Snapshot("default", INT64_MIN, INT64_MAX);
  ASSERT_TRUE(snap.ok());
  ASSERT_EQ((*snap)->sources.size(), 1u);
  RecordBatch b;
  ASSERT_TRUE((*snap)->sources[0]->ReadBlock(0, &b).ok());
  ASSERT_EQ(b.num_rows(), 3u);
  std::vector<std::string> msgs;
  for (uint32_t i = 0; i < 3; ++i) {
    msgs.emplace_back(b.message(i));
    EXPECT_GE(b.time(i), before);
    EXPECT_LE(b.time(i), after);
  }
  std::sort(msgs.begin(), msgs.end());
  EXPECT_EQ(msgs, (std::vector<std::string>{"Jan  1 00:00:00 host sshd[1]: one", "three",
                                            "{\"not\":\"parsed\"}"}));
}

TEST_F(HttpServerTest, TenantFromParameterOrHeader) {
  StartServer();
  HttpTestClient c(server_->port());
  HttpReply r = c.Request("POST", "/ingest/text?tenant=acme", "for acme\n");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  r = c.Request("POST", "/ingest/text", "for beta\n", {{"X-Scope-OrgID", "beta"}});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  // The parameter wins over the header.
  r = c.Request("POST", "/ingest/text?tenant=acme", "also acme\n", {{"X-Scope-OrgID", "beta"}});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  r = c.Request("POST", "/ingest/text?tenant=..%2Fetc", "x\n");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(r.body.starts_with(R"({"error":"invalid tenant '../etc')")) << r.body;

  auto messages = [&](std::string_view tenant) {
    std::vector<std::string> out;
    for (const std::string& row : StoredRows(store_.get(), tenant)) {
      out.push_back(row.substr(row.find('|') + 1));
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_EQ(messages("acme"), (std::vector<std::string>{"also acme", "for acme"}));
  EXPECT_EQ(messages("beta"), (std::vector<std::string>{"for beta"}));
  EXPECT_TRUE(messages("default").empty());
}

TEST_F(HttpServerTest, CompressedBodyIs415) {
  StartServer();
  HttpTestClient c(server_->port());
  HttpReply r = c.Request("POST", "/ingest/ndjson", "\x1f\x8b", {{"Content-Encoding", "gzip"}});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 415);
  EXPECT_NE(r.body.find("Content-Encoding 'gzip' is not supported"), std::string::npos) << r.body;
  r = c.Request("POST", "/ingest/text", "plain\n", {{"Content-Encoding", "identity"}});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
}

TEST_F(HttpServerTest, UnknownPathAndWrongMethodAreJsonErrors) {
  StartServer();
  HttpTestClient c(server_->port());
  HttpReply r = c.Request("GET", "/nope");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, R"({"error":"no such endpoint: /nope"})");
  EXPECT_EQ(r.headers["content-type"], "application/json");
  r = c.Request("GET", "/ingest/ndjson");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.body, R"j({"error":"method GET not allowed on /ingest/ndjson (use POST)"})j");
  r = c.Request("DELETE", "/health");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 405);
  // The connection survives error answers.
  r = c.Request("GET", "/health");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
}

TEST_F(HttpServerTest, OversizedBodyIs413AndNotStored) {
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  StartServer(options);
  std::string body;
  while (body.size() <= 4096) body += "a line of text that is long enough\n";
  {
    HttpTestClient c(server_->port());
    HttpReply r = c.Request("POST", "/ingest/text", body);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(r.body, R"({"error":"request body is larger than the limit of 1024 bytes"})");
    EXPECT_FALSE(r.keep_alive);
    EXPECT_TRUE(c.ReadsEof());
  }
  {
    // Without a Content-Length the limit is found while reading the chunks.
    HttpTestClient c(server_->port());
    std::string raw = "POST /ingest/text HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 8; ++i) StrAppend(&raw, "200\r\n", std::string(0x200, 'x'), "\r\n");
    raw += "0\r\n\r\n";
    ASSERT_TRUE(c.SendRaw(raw));
    HttpReply r = c.ReadReply();
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.status, 413);
  }
  {
    // A body exactly at the limit is fine.
    HttpTestClient c(server_->port());
    HttpReply r = c.Request("POST", "/ingest/text", std::string(1023, 'y') + "\n");
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, R"({"stored":1,"rejected":0,"errors":[]})");
  }
  EXPECT_EQ(StoredRows(store_.get(), "default").size(), 1u);
}

TEST_F(HttpServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  StartServer();
  HttpTestClient c(server_->port());
  for (int i = 0; i < 20; ++i) {
    HttpReply r = c.Request("POST", "/ingest/ndjson",
                            StrCat("{\"_time\":", 1700000000 + i, ",\"_msg\":\"m", i, "\"}\n"));
    ASSERT_TRUE(r.ok) << "request " << i << ": " << r.error;
    EXPECT_EQ(r.status, 200);
    EXPECT_TRUE(r.keep_alive);
  }
  HttpReply r = c.Request("GET", "/health");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(StoredRows(store_.get(), "default").size(), 20u);
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  StartServer();
  HttpTestClient c(server_->port());
  ASSERT_TRUE(
      c.SendRaw("POST /ingest/text HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nfirst\n"
                "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
                "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
  HttpReply a = c.ReadReply();
  HttpReply b = c.ReadReply();
  HttpReply h = c.ReadReply();
  ASSERT_TRUE(a.ok && b.ok && h.ok);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, R"({"stored":1,"rejected":0,"errors":[]})");
  EXPECT_EQ(b.status, 404);
  EXPECT_EQ(h.status, 200);
}

TEST_F(HttpServerTest, ExpectContinueGetsInterimResponse) {
  StartServer();
  HttpTestClient c(server_->port());
  ASSERT_TRUE(
      c.SendRaw("POST /ingest/text HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nExpect: "
                "100-continue\r\n\r\n"));
  HttpReply cont = c.ReadReply();
  ASSERT_TRUE(cont.ok) << cont.error;
  EXPECT_EQ(cont.status, 100);
  ASSERT_TRUE(c.SendRaw("hello\n"));
  HttpReply r = c.ReadReply();
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"stored":1,"rejected":0,"errors":[]})");
}

TEST_F(HttpServerTest, QueryStringAndHeadersAreDecoded) {
  StartServer({}, [](HttpServer* s) {
    s->Route("GET", "/echo dir/x", [](const HttpRequest& r) {
      HttpResponse resp;
      resp.content_type = "text/plain";
      for (const auto& [k, v] : r.params) StrAppend(&resp.body, "p:", k, "=", v, "\n");
      for (const auto& [k, v] : r.headers) {
        if (k.starts_with("x-")) StrAppend(&resp.body, "h:", k, "=", v, "\n");
      }
      return resp;
    });
  });
  HttpTestClient c(server_->port());
  HttpReply r = c.Request("GET",
                          "/echo%20dir/x?q=error+AND+%22disk%20full%22&from=&limit=10&flag"
                          "&q=ignored&%C3%A9=%E2%82%AC",
                          "", {{"X-Scope-OrgID", "acme"}});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body,
            "p:flag=\n"
            "p:from=\n"
            "p:limit=10\n"
            "p:q=error AND \"disk full\"\n"
            "p:\xC3\xA9=\xE2\x82\xAC\n"
            "h:x-scope-orgid=acme\n");
  r = c.Request("GET", "/echo%20dir/x?q=100%");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"error":"malformed percent-encoding in the query string"})");
}

TEST_F(HttpServerTest, MalformedRequestIs400) {
  StartServer();
  HttpTestClient c(server_->port());
  ASSERT_TRUE(c.SendRaw("THIS IS NOT HTTP\r\n\r\n"));
  HttpReply r = c.ReadReply();
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(r.body.starts_with(R"({"error":"malformed HTTP request: )")) << r.body;
  EXPECT_TRUE(c.ReadsEof());
}

TEST_F(HttpServerTest, HandlerExceptionIs500) {
  StartServer({}, [](HttpServer* s) {
    s->Route("GET", "/throw",
             [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("boom"); });
  });
  HttpTestClient c(server_->port());
  HttpReply r = c.Request("GET", "/throw");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, R"({"error":"internal error: boom"})");
}

TEST_F(HttpServerTest, StreamedResponseIsChunkedAndComplete) {
  constexpr int kLines = 20000;
  StartServer({}, [](HttpServer* s) {
    s->Route("GET", "/stream", [](const HttpRequest&) {
      HttpResponse resp;
      resp.content_type = "application/x-ndjson";
      auto next = std::make_shared<int>(0);
      resp.stream = [next](std::string* chunk) {
        StrAppend(chunk, "{\"n\":", *next, "}\n");
        return ++*next < kLines;
      };
      return resp;
    });
    s->Route("GET", "/empty-stream", [](const HttpRequest&) {
      HttpResponse resp;
      resp.stream = [](std::string*) { return false; };
      return resp;
    });
  });
  std::string want;
  for (int i = 0; i < kLines; ++i) StrAppend(&want, "{\"n\":", i, "}\n");
  HttpTestClient c(server_->port());
  HttpReply r = c.Request("GET", "/stream");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.chunked);
  EXPECT_EQ(r.headers["content-type"], "application/x-ndjson");
  EXPECT_EQ(r.body, want);
  r = c.Request("GET", "/empty-stream");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  // Keep-alive continues after streamed responses.
  r = c.Request("GET", "/health");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
}

TEST_F(HttpServerTest, FailingStreamEndsWithoutLastChunk) {
  StartServer({}, [](HttpServer* s) {
    s->Route("GET", "/fail", [](const HttpRequest&) {
      HttpResponse resp;
      auto calls = std::make_shared<int>(0);
      resp.stream = [calls](std::string* chunk) -> bool {
        if (++*calls > 3) throw std::runtime_error("scan failed");
        chunk->append("partial\n");
        return true;
      };
      return resp;
    });
  });
  HttpTestClient c(server_->port());
  HttpReply r = c.Request("GET", "/fail");
  EXPECT_FALSE(r.ok);  // the client must not mistake a truncated result for a whole one
  absl::MutexLock l(&log_mu_);
  ASSERT_EQ(log_.size(), 1u);
  EXPECT_EQ(log_[0], "http: streamed response failed: scan failed");
}

TEST_F(HttpServerTest, ShutdownFinishesInFlightRequestAndClosesIdleOnes) {
  absl::Notification entered, release;
  StartServer({}, [&](HttpServer* s) {
    s->Route("POST", "/slow", [&](const HttpRequest& r) {
      entered.Notify();
      release.WaitForNotification();
      HttpResponse resp;
      resp.body = StrCat("{\"echo\":\"", r.body, "\"}");
      return resp;
    });
  });
  const uint16_t port = server_->port();
  HttpTestClient idle(port);
  ASSERT_EQ(idle.Request("GET", "/health").status, 200);

  HttpReply slow_reply;
  std::thread slow([&] {
    HttpTestClient c(port);
    slow_reply = c.Request("POST", "/slow", "abc");
  });
  entered.WaitForNotification();
  std::thread stopper([&] { server_->Shutdown(); });
  // The idle connection is closed by the shutdown, which is therefore under way...
  EXPECT_TRUE(idle.ReadsEof());
  // ...while the request in flight is still answered, with the connection closing after it.
  release.Notify();
  slow.join();
  stopper.join();
  ASSERT_TRUE(slow_reply.ok) << slow_reply.error;
  EXPECT_EQ(slow_reply.status, 200);
  EXPECT_EQ(slow_reply.body, R"({"echo":"abc"})");
  EXPECT_FALSE(slow_reply.keep_alive);
  // Nothing listens any more.
  HttpTestClient late(port);
  EXPECT_FALSE(late.connected());
}

TEST_F(HttpServerTest, ListenOnBusyPortFailsClearly) {
  StartServer();
  HttpServerOptions options;
  options.host = "127.0.0.1";
  options.port = server_->port();
  auto second = HttpServer::Listen(options);
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(absl::IsUnavailable(second.status()));
  EXPECT_EQ(second.status().message(),
            StrCat("cannot listen on 127.0.0.1:", server_->port(), ": Address already in use"));
}

TEST_F(HttpServerTest, ShutdownWithoutStartAndTwice) {
  HttpServerOptions options;
  options.port = 0;
  auto server = HttpServer::Listen(options);
  ASSERT_TRUE(server.ok());
  (*server)->Shutdown();
  (*server)->Shutdown();
  EXPECT_FALSE((*server)->Start().ok());
}

}  // namespace
}  // namespace lode::ingest
