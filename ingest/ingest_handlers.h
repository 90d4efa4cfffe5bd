// HTTP ingest endpoints: `POST /ingest/ndjson` and `POST /ingest/text`.
//
// The request body is newline-delimited: one JSON object per line (ndjson) or one message per
// line (text). Accepted lines are written with Store::Write, which returns only after the segment
// files are fsynced and renamed into place, so a 2xx answer means the records are durable and
// already visible to queries. Rejected lines are reported, not stored; the others are.
//
// Responses (JSON):
//   200 {"stored":N,"rejected":M,"errors":[{"line":L,"error":"..."}]}  (first 100 errors)
//   400 the same shape when every non-empty line was rejected; {"error":...} for a bad tenant
//   415 {"error":...} for a Content-Encoding other than identity
//   507 {"error":...} when the disk is full, 503 for other storage failures (nothing stored
//       from this request is acknowledged)
// The tenant comes from the `tenant` query parameter, else the `X-Scope-OrgID` header, else
// "default".
#pragma once

#include "common/http_types.h"
#include "ingest/line_parser.h"
#include "storage/store.h"

namespace lode::ingest {

// Handles one ingest request whose body is in `format` (kNdjson or kText; kAuto decides per
// line). Thread-safe; `store` must outlive the call.
HttpResponse HandleIngest(storage::Store* store, InputFormat format, const HttpRequest& request);

}  // namespace lode::ingest
