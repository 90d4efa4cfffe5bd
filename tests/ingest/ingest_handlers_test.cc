#include "ingest/ingest_handlers.h"

#include <gtest/gtest.h>

#include "storage/fault_injection_env.h"
#include "storage/mem_env.h"
#include "storage/store.h"

namespace lode::ingest {
namespace {

uint64_t StoredRecords(storage::Store* store) {
  auto snap = store->Snapshot(storage::kDefaultTenant, INT64_MIN, INT64_MAX);
  EXPECT_TRUE(snap.ok());
  uint64_t n = 0;
  for (const auto& src : (*snap)->sources) n += src->meta().num_records;
  return n;
}

// A full disk: the request is answered 507 with nothing of it kept, what was stored before is
// intact, and ingest works again once there is space.
TEST(IngestHandlerTest, DiskFullAnswers507AndRecovers) {
  storage::MemEnv mem;
  storage::FaultInjectionEnv env(&mem);
  storage::StoreOptions o;
  o.background = false;
  auto store = storage::Store::Open(&env, "/data", o);
  ASSERT_TRUE(store.ok()) << store.status();
  HttpRequest req;
  req.method = "POST";
  req.body = "{\"_time\":1,\"msg\":\"first\"}\n{\"_time\":2,\"msg\":\"second\"}\n";
  EXPECT_EQ(HandleIngest(store->get(), InputFormat::kNdjson, req).status, 200);

  env.SetNoSpace(true);
  req.body = "{\"_time\":3,\"msg\":\"no room\"}\n";
  HttpResponse full = HandleIngest(store->get(), InputFormat::kNdjson, req);
  EXPECT_EQ(full.status, 507) << full.body;
  EXPECT_NE(full.body.find("none acknowledged"), std::string::npos) << full.body;
  EXPECT_FALSE((*store)->Flush().ok());
  EXPECT_EQ(StoredRecords(store->get()), 2u);

  env.SetNoSpace(false);
  req.body = "{\"_time\":4,\"msg\":\"room again\"}\n";
  EXPECT_EQ(HandleIngest(store->get(), InputFormat::kNdjson, req).status, 200);
  EXPECT_TRUE((*store)->Flush().ok());
  EXPECT_EQ(StoredRecords(store->get()), 3u);
  store->reset();
  auto reopened = storage::Store::Open(&env, "/data", o);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ(StoredRecords(reopened->get()), 3u);
}

}  // namespace
}  // namespace lode::ingest
