// HTTP handlers of the query API, as functions over the transport-neutral request/response of
// common/http_types.h; the server (ingest/) routes to them and `lode serve` mounts them.
#pragma once

#include "common/http_types.h"
#include "storage/store.h"

namespace lode::query {

// GET /api/v1/query?q=QUERY&from=T&to=T&since=D&limit=N&count=1&tenant=NAME
//
// Streams the matching records newest first as NDJSON (`application/x-ndjson`, the same lines as
// `lode query`), in chunks of about 64 KiB produced on demand, so a large result never sits in
// memory. `limit` defaults to 100 (0: no limit). `from`/`to` are RFC 3339 or epoch numbers,
// `since` a duration (`15m`); see docs/QUERY.md. The tenant is `tenant`, else the
// `X-Scope-OrgID` header, else "default". With `count=1` (or `true`) the body is `{"count":N}`.
//
// Errors: 400 with `{"error":"error at 1:5: ...","position":5}` for a bad query (position is the
// 1-based character offset in q), 400 `{"error":...}` for other bad parameters, 500 when the
// store cannot be listed. Segments that cannot be read are skipped.
//
// `store` must outlive the returned response's stream. Thread-safe: handlers share nothing.
HttpResponse HandleQuery(storage::Store* store, const HttpRequest& req);

}  // namespace lode::query
