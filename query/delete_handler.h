// Deleting records by query: `lode delete` and `POST /api/v1/delete` both come here. The query
// is compiled once and handed to Store::Delete as the row predicate, so a delete removes exactly
// the records the same query finds (storage knows nothing of queries).
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include "absl/status/statusor.h"

#include "common/http_types.h"
#include "query/query_error.h"
#include "storage/store.h"

namespace lode::query {

struct DeleteRequest {
  std::string text;  // the query
  std::string tenant = std::string(storage::kDefaultTenant);
  int64_t from = std::numeric_limits<int64_t>::min();  // inclusive
  int64_t to = std::numeric_limits<int64_t>::max();    // exclusive
  // Required for a query that matches every record (empty or `*`): a guard against deleting a
  // tenant's data by leaving the query out.
  bool all = false;
  bool dry_run = false;  // count the matches, change nothing (works on a read-only store)
};

struct DeleteOutcome {
  uint64_t records = 0;               // deleted, or matching for a dry run
  storage::RewriteResult rewrite;     // what the store did (zero for a dry run)
  std::vector<std::string> warnings;  // dry run: segments or blocks that could not be read
};

// Runs `req` on `store`. InvalidArgument for a bad query (with `error` filled in when given) or
// a match-everything query without `all`; otherwise Store::Delete's errors (DataLoss when a
// segment to rewrite is corrupt: it is quarantined and the delete can be run again).
absl::StatusOr<DeleteOutcome> RunDelete(storage::Store* store, const DeleteRequest& req,
                                        QueryError* error = nullptr);

// POST /api/v1/delete?q=QUERY&from=T&to=T&since=D&tenant=NAME&all=1&dry_run=1 (parameters also
// as a form body). The tenant is `tenant`, else the `X-Scope-OrgID` header, else "default".
// 200 `{"deleted":N,"segments_rewritten":R,"segments_removed":S}`, or with dry_run
// `{"dry_run":true,"matched":N}`. 400 `{"error":...}` for a bad query or parameter (with
// "position" for a query error) or a match-everything query without all=1; 507 when the disk is
// full; 500 for other storage errors.
HttpResponse HandleDelete(storage::Store* store, const HttpRequest& req);

}  // namespace lode::query
