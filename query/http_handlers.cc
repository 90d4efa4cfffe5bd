#include "query/http_handlers.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string_view>

#include "common/json_writer.h"
#include "common/strings.h"
#include "common/url.h"
#include "query/internal/http_params.h"
#include "query/query_runner.h"
#include "query/time_window.h"

namespace lode::query {
namespace {

using internal::JsonError;
using internal::Param;

constexpr size_t kChunkBytes = 64 << 10;
constexpr absl::Duration kDefaultTimeout = absl::Seconds(30);

// `{"error":"..."[,"explain":"..."]}` for a query that stopped early: 504 for a timeout, 422 for
// a memory budget overrun, 500 otherwise.
HttpResponse StopError(const QueryRun& run, bool explain) {
  const absl::StatusCode code = run.status().code();
  HttpResponse r;
  r.status = code == absl::StatusCode::kDeadlineExceeded    ? 504
             : code == absl::StatusCode::kResourceExhausted ? 422
                                                            : 500;
  r.body = "{\"error\":";
  AppendJsonString(run.StopMessage("the timeout parameter"), &r.body);
  if (explain) {
    r.body.append(",\"explain\":");
    AppendJsonString(run.Explain(), &r.body);
  }
  r.body.append("}\n");
  return r;
}

// The state of one streamed response, owned by its stream callback.
struct StreamState {
  std::unique_ptr<QueryRun> run;
  bool explain = false;
  bool done = false;

  bool Fill(std::string* chunk) {
    if (done) return false;
    const size_t start = chunk->size();
    if (run->Fill(chunk, kChunkBytes)) return true;
    done = true;
    // The records are out; what follows are lines without `_time` (docs/HTTP.md).
    if (!run->status().ok()) {
      chunk->append("{\"error\":");
      AppendJsonString(run->StopMessage("the timeout parameter"), chunk);
      chunk->append("}\n");
    }
    if (explain) {
      chunk->append("{\"explain\":");
      AppendJsonString(run->Explain(), chunk);
      chunk->append("}\n");
    }
    // The last call appends nothing and returns false.
    return chunk->size() > start;
  }
};

}  // namespace

HttpResponse HandleQuery(storage::Store* store, const HttpRequest& request) {
  internal::SearchParams p;
  if (auto error = internal::ResolveSearchParams(request, {"limit", "count", "timeout", "explain"},
                                                 store->env()->NowNanos(), &p)) {
    return *error;
  }
  const HttpRequest& req = p.request;
  QueryRequest qr;
  qr.text = std::string(p.text);
  qr.search.tenant = p.tenant;
  qr.search.from = p.from;
  qr.search.to = p.to;
  qr.format = OutputFormat::kNdjson;
  if (auto l = Param(req, "limit")) {
    auto limit = ParseLimit(*l);
    if (!limit.ok()) return JsonError(400, StatusMessage(limit.status()));
    qr.search.limit = *limit;
  }
  const std::optional<bool> count = internal::Flag(req, "count");
  if (!count) {
    return JsonError(
        400, StrCat("invalid count '", *Param(req, "count"), "': expected 1, true, 0 or false"));
  }
  const std::optional<bool> explain = internal::Flag(req, "explain");
  if (!explain) {
    return JsonError(400, StrCat("invalid explain '", *Param(req, "explain"),
                                 "': expected 1, true, 0 or false"));
  }
  qr.count = *count;
  qr.explain = *explain;
  qr.timeout = kDefaultTimeout;
  if (auto t = Param(req, "timeout")) {
    auto timeout = ParseQueryTimeout(*t);
    if (!timeout.ok()) return JsonError(400, StatusMessage(timeout.status()));
    qr.timeout = *timeout;
  }
  std::optional<QueryError> qe;
  auto started = QueryRun::Start(store, qr, &qe);
  if (!started.ok()) {
    if (qe) return JsonError(400, qe->ToString(), qe->position);
    return JsonError(500, StatusMessage(started.status()));
  }
  std::unique_ptr<QueryRun> run = std::move(*started);

  HttpResponse resp;
  if (qr.count) {
    const uint64_t n = run->Count();
    if (!run->status().ok()) return StopError(*run, qr.explain);
    resp.content_type = "application/json";
    resp.body = StrCat("{\"count\":", n);
    if (!run->warnings().empty()) {
      resp.body.append(",\"warnings\":[");
      for (size_t i = 0; i < run->warnings().size(); ++i) {
        if (i > 0) resp.body.push_back(',');
        AppendJsonString(run->warnings()[i], &resp.body);
      }
      resp.body.push_back(']');
    }
    if (qr.explain) {
      resp.body.append(",\"explain\":");
      AppendJsonString(run->Explain(), &resp.body);
    }
    resp.body.append("}\n");
    return resp;
  }
  // Run until the first records are final, so that a query failing before any output (a
  // timeout, a sort over its budget) still gets an error status instead of a cut-off 200.
  run->Prime();
  if (!run->status().ok()) return StopError(*run, qr.explain);
  // Segments that could not be opened are known now; say so in a header, since the body is
  // pure NDJSON.
  if (!run->warnings().empty()) {
    resp.headers.emplace_back("X-Lode-Warnings", StrCat(run->warnings().size(),
                                                        " segment(s) skipped: see the server log"));
  }
  auto state = std::make_shared<StreamState>();
  state->run = std::move(run);
  state->explain = qr.explain;
  resp.content_type = "application/x-ndjson";
  resp.stream = [state](std::string* chunk) { return state->Fill(chunk); };
  return resp;
}

}  // namespace lode::query
