#include <string>

#include "gtest/gtest.h"

#include "common/time_util.h"
#include "query/delete_handler.h"
#include "query/query_runner.h"
#include "storage/mem_env.h"
#include "storage/store.h"

namespace lode::query {
namespace {

const int64_t kT0 = *ParseRfc3339("2026-11-26T00:00:00Z");

class DeleteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::StoreOptions o;
    o.background = false;
    o.segment.block_rows = 64;
    auto s = storage::Store::Open(&env_, "/data", o);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    // 600 records over two days: level error every 10th, user ann every 3rd. The first 400 in
    // segments, the rest in the memtable.
    for (int part = 0; part < 2; ++part) {
      RecordBatch b;
      const int first = part == 0 ? 0 : 400, last = part == 0 ? 400 : 600;
      for (int i = first; i < last; ++i) {
        b.BeginRow();
        b.AddString("level", i % 10 == 0 ? "error" : "info");
        if (i % 3 == 0) b.AddString("user", "ann");
        b.AddInt("i", i);
        b.EndRow(kT0 + int64_t{i} * 300 * kNanosPerSecond, "request " + std::to_string(i));
      }
      ASSERT_TRUE(store_->Write(b).ok());
      if (part == 0) {
        ASSERT_TRUE(store_->Flush().ok());
      }
    }
  }

  uint64_t Count(const std::string& q, std::string tenant = "default") {
    QueryRequest req;
    req.text = q;
    req.count = true;
    req.search.tenant = tenant;
    std::string out, err;
    EXPECT_EQ(RunQuery(
                  store_.get(), req, [&](std::string_view s) { out.append(s); },
                  [&](std::string_view s) { err.append(s); }),
              kQueryOk)
        << err;
    return std::stoull(out);
  }

  HttpResponse Post(std::map<std::string, std::string> params) {
    HttpRequest req;
    req.method = "POST";
    req.path = "/api/v1/delete";
    req.params = std::move(params);
    return HandleDelete(store_.get(), req);
  }

  storage::MemEnv env_;
  std::unique_ptr<storage::Store> store_;
};

TEST_F(DeleteTest, RemovesExactlyWhatTheQueryFindsInSegmentsAndMemtable) {
  const uint64_t errors = Count("level:error");
  const uint64_t ann_errors = Count("level:error user:ann");
  ASSERT_EQ(errors, 60u);
  ASSERT_EQ(ann_errors, 20u);
  DeleteRequest dry;
  dry.text = "level:error user:ann";
  dry.dry_run = true;
  auto d = RunDelete(store_.get(), dry);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->records, 20u);
  EXPECT_EQ(Count("level:error user:ann"), 20u);  // a dry run changes nothing

  DeleteRequest req = dry;
  req.dry_run = false;
  auto r = RunDelete(store_.get(), req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->records, 20u);
  EXPECT_GT(r->rewrite.segments_rewritten, 0u);
  EXPECT_EQ(Count("level:error user:ann"), 0u);
  EXPECT_EQ(Count("level:error"), 40u);
  EXPECT_EQ(Count(""), 580u);
  EXPECT_EQ(store_->Stats().counters.deleted_records, 20u);
  EXPECT_EQ(store_->Stats().memtable_records, 0u);  // flushed first
}

TEST_F(DeleteTest, TheTimeWindowBoundsTheDelete) {
  DeleteRequest req;
  req.text = "user:ann";
  req.from = kT0 + 100 * 300 * kNanosPerSecond;  // ids [100, 200)
  req.to = kT0 + 200 * 300 * kNanosPerSecond;
  auto r = RunDelete(store_.get(), req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->records, 33u);  // multiples of 3 in [100, 200)
  EXPECT_EQ(Count("user:ann"), 200u - 33u);
  EXPECT_EQ(Count("i:>=99 i:<=99"), 1u);    // ann, just before the window
  EXPECT_EQ(Count("i:>=201 i:<=201"), 1u);  // ann, just after
}

TEST_F(DeleteTest, MatchEverythingNeedsAll) {
  DeleteRequest req;
  req.text = "";
  auto r = RunDelete(store_.get(), req);
  EXPECT_TRUE(absl::IsInvalidArgument(r.status())) << r.status();
  req.text = "*";
  EXPECT_FALSE(RunDelete(store_.get(), req).ok());
  EXPECT_EQ(Count(""), 600u);
  req.all = true;
  req.from = kT0 + 24 * 3600 * kNanosPerSecond;  // the second day only
  r = RunDelete(store_.get(), req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->records, 312u);  // ids 288..599
  EXPECT_EQ(Count(""), 288u);
  EXPECT_GT(r->rewrite.segments_removed, 0u);
}

TEST_F(DeleteTest, BadQueryPointsAtTheError) {
  DeleteRequest req;
  req.text = "level:(";
  QueryError qe;
  auto r = RunDelete(store_.get(), req, &qe);
  EXPECT_TRUE(absl::IsInvalidArgument(r.status()));
  EXPECT_GT(qe.position, 1);
}

TEST_F(DeleteTest, HttpEndpoint) {
  HttpResponse r = Post({{"q", "level:error"}, {"dry_run", "1"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"dry_run\":true,\"matched\":60}\n");
  r = Post({{"q", "level:error"}});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("{\"deleted\":60,"), std::string::npos) << r.body;
  EXPECT_EQ(Count("level:error"), 0u);
  r = Post({{"q", ""}});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("--all"), std::string::npos) << r.body;
  r = Post({{"q", "level:("}});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("\"position\""), std::string::npos) << r.body;
  r = Post({{"q", "x"}, {"bogus", "1"}});
  EXPECT_EQ(r.status, 400);
  r = Post({{"q", "x"}, {"all", "maybe"}});
  EXPECT_EQ(r.status, 400);
  r = Post({{"q", "x"}, {"tenant", "../x"}});
  EXPECT_EQ(r.status, 400);
  // Form body.
  HttpRequest form;
  form.method = "POST";
  form.path = "/api/v1/delete";
  form.headers["content-type"] = "application/x-www-form-urlencoded";
  form.body = "q=user%3Aann&dry_run=true";
  r = HandleDelete(store_.get(), form);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"dry_run\":true,\"matched\":180}\n");  // 200 ann minus 20 errors gone
}

}  // namespace
}  // namespace lode::query
