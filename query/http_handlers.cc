#include "query/http_handlers.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string_view>

#include "common/json_writer.h"
#include "common/strings.h"
#include "common/url.h"
#include "query/filter.h"
#include "query/parser.h"
#include "query/query_cursor.h"
#include "query/result_formatter.h"
#include "query/time_window.h"

namespace lode::query {
namespace {

constexpr size_t kChunkBytes = 64 << 10;

HttpResponse JsonError(int status, std::string_view message,
                       std::optional<int> position = std::nullopt) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = "{\"error\":";
  AppendJsonString(message, &r.body);
  if (position) StrAppend(&r.body, ",\"position\":", *position);
  r.body.append("}\n");
  return r;
}

// A parameter, with an empty value treated as absent (as HTML forms send unused fields).
std::optional<std::string_view> Param(const HttpRequest& req, const std::string& name) {
  auto it = req.params.find(name);
  if (it == req.params.end() || it->second.empty()) return std::nullopt;
  return std::string_view(it->second);
}

// The state of one streamed response, owned by its stream callback.
struct StreamState {
  std::unique_ptr<QueryCursor> cursor;
  RecordBatch batch;
  ResultFormatter formatter{OutputFormat::kNdjson};
  uint32_t next_row = 0;
  bool done = false;

  bool Fill(std::string* chunk) {
    if (done) return false;
    const size_t start = chunk->size();
    while (chunk->size() - start < kChunkBytes) {
      if (next_row >= batch.num_rows()) {
        if (!cursor->Next(&batch)) {
          done = true;
          break;
        }
        formatter.SetBatch(&batch);
        next_row = 0;
        continue;
      }
      formatter.AppendRow(next_row++, chunk);
    }
    return chunk->size() > start;
  }
};

}  // namespace

HttpResponse HandleQuery(storage::Store* store, const HttpRequest& request) {
  // POST takes the same parameters as an HTML form body (long queries do not fit in a URL).
  HttpRequest form;
  const HttpRequest* with_params = &request;
  if (request.method == "POST" && !request.body.empty()) {
    auto ct = request.headers.find("content-type");
    if (ct != request.headers.end() &&
        !ct->second.starts_with("application/x-www-form-urlencoded")) {
      return JsonError(415,
                       "POST a form body (application/x-www-form-urlencoded), e.g. "
                       "curl --data-urlencode 'q=...'");
    }
    form.params = request.params;
    if (!ParseQueryString(request.body, &form.params)) {
      return JsonError(400, "malformed form body: a '%' not followed by two hex digits");
    }
    form.headers = request.headers;
    with_params = &form;
  }
  const HttpRequest& req = *with_params;
  // A misspelled parameter must not silently widen the search. Names starting with '_' are
  // left to clients (cache busters).
  static constexpr std::string_view kKnown[] = {"q",     "query", "from",  "to",
                                                "since", "limit", "count", "tenant"};
  for (const auto& [name, value] : req.params) {
    if (name.starts_with("_")) continue;
    if (std::find(std::begin(kKnown), std::end(kKnown), name) == std::end(kKnown)) {
      return JsonError(400, StrCat("unknown parameter '", name,
                                   "' (expected q, from, to, since, limit, count, tenant)"));
    }
  }
  if (Param(req, "q") && Param(req, "query")) {
    return JsonError(400, "give the query as q or as query, not both");
  }
  SearchOptions options;
  if (auto t = Param(req, "tenant")) {
    options.tenant = std::string(*t);
  } else if (auto h = req.headers.find("x-scope-orgid");
             h != req.headers.end() && !h->second.empty()) {
    options.tenant = h->second;
  }
  if (absl::Status s = storage::ValidateTenant(options.tenant); !s.ok()) {
    return JsonError(400, StatusMessage(s));
  }
  auto window = ResolveTimeWindow(Param(req, "from"), Param(req, "to"), Param(req, "since"),
                                  store->env()->NowNanos());
  if (!window.ok()) return JsonError(400, StatusMessage(window.status()));
  options.from = window->from;
  options.to = window->to;
  if (auto l = Param(req, "limit")) {
    auto limit = ParseLimit(*l);
    if (!limit.ok()) return JsonError(400, StatusMessage(limit.status()));
    options.limit = *limit;
  }
  bool count = false;
  if (auto c = Param(req, "count")) {
    if (*c == "1" || *c == "true") {
      count = true;
    } else if (*c != "0" && *c != "false") {
      return JsonError(400, StrCat("invalid count '", *c, "': expected 1, true, 0 or false"));
    }
  }
  // `query` is accepted as a synonym of `q` (the name Loki and VictoriaLogs use).
  const std::string_view text = Param(req, "q").value_or(Param(req, "query").value_or(""));
  QueryError qe;
  absl::StatusOr<Query> q = ParseQuery(text, &qe);
  if (!q.ok()) return JsonError(400, qe.ToString(), qe.position);
  auto cursor = QueryCursor::Open(store, Filter::Compile(*q->filter), options);
  if (!cursor.ok()) return JsonError(500, StatusMessage(cursor.status()));

  HttpResponse resp;
  if (count) {
    const uint64_t n = (*cursor)->Count();
    resp.content_type = "application/json";
    resp.body = StrCat("{\"count\":", n);
    if (!(*cursor)->warnings().empty()) {
      resp.body.append(",\"warnings\":[");
      for (size_t i = 0; i < (*cursor)->warnings().size(); ++i) {
        if (i > 0) resp.body.push_back(',');
        AppendJsonString((*cursor)->warnings()[i], &resp.body);
      }
      resp.body.push_back(']');
    }
    resp.body.append("}\n");
    return resp;
  }
  // Segments that could not be opened are known now; say so in a header, since the body is
  // pure NDJSON.
  if (!(*cursor)->warnings().empty()) {
    resp.headers.emplace_back("X-Lode-Warnings", StrCat((*cursor)->warnings().size(),
                                                        " segment(s) skipped: see the server log"));
  }
  auto state = std::make_shared<StreamState>();
  state->cursor = std::move(*cursor);
  resp.content_type = "application/x-ndjson";
  resp.stream = [state](std::string* chunk) { return state->Fill(chunk); };
  return resp;
}

}  // namespace lode::query
