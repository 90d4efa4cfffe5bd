#include "query/http_handlers.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string_view>

#include "common/json_writer.h"
#include "common/strings.h"
#include "common/url.h"
#include "query/filter.h"
#include "query/internal/http_params.h"
#include "query/parser.h"
#include "query/query_cursor.h"
#include "query/result_formatter.h"
#include "query/time_window.h"

namespace lode::query {
namespace {

using internal::JsonError;
using internal::Param;

constexpr size_t kChunkBytes = 64 << 10;

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
  internal::SearchParams p;
  if (auto error = internal::ResolveSearchParams(request, {"limit", "count"},
                                                 store->env()->NowNanos(), &p)) {
    return *error;
  }
  const HttpRequest& req = p.request;
  SearchOptions options;
  options.tenant = p.tenant;
  options.from = p.from;
  options.to = p.to;
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
  const std::string_view text = p.text;
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
