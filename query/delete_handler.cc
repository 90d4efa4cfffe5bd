#include "query/delete_handler.h"

#include <algorithm>
#include <optional>

#include "common/json_writer.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "common/url.h"
#include "query/filter.h"
#include "query/parser.h"
#include "query/query_cursor.h"
#include "query/selection.h"
#include "query/time_window.h"

namespace lode::query {
namespace {

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

std::optional<std::string_view> Param(const HttpRequest& req, const std::string& name) {
  auto it = req.params.find(name);
  if (it == req.params.end() || it->second.empty()) return std::nullopt;
  return std::string_view(it->second);
}

// "1"/"true" -> true, "0"/"false"/absent -> false, else nullopt.
std::optional<bool> Flag(const HttpRequest& req, const std::string& name) {
  auto v = Param(req, name);
  if (!v) return false;
  if (*v == "1" || *v == "true") return true;
  if (*v == "0" || *v == "false") return false;
  return std::nullopt;
}

}  // namespace

absl::StatusOr<DeleteOutcome> RunDelete(storage::Store* store, const DeleteRequest& req,
                                        QueryError* error) {
  RETURN_IF_ERROR(storage::ValidateTenant(req.tenant));
  QueryError qe;
  absl::StatusOr<Query> q = ParseQuery(req.text, &qe);
  if (!q.ok()) {
    if (error != nullptr) *error = qe;
    return q.status();
  }
  auto filter = std::make_shared<Filter>(Filter::Compile(*q->filter));
  if (filter->matches_all() && !req.all) {
    return absl::InvalidArgumentError(
        "refusing to delete every record: the query matches everything; pass --all (all=1) "
        "to mean it");
  }
  DeleteOutcome out;
  if (req.dry_run) {
    SearchOptions so;
    so.tenant = req.tenant;
    so.from = req.from;
    so.to = req.to;
    so.limit = 0;
    ASSIGN_OR_RETURN(auto cursor, QueryCursor::Open(store, std::move(*filter), so));
    out.records = cursor->Count();
    out.warnings = cursor->warnings();
    return out;
  }
  auto scratch = std::make_shared<FilterScratch>();
  Selection sel;
  ASSIGN_OR_RETURN(
      out.rewrite,
      store->Delete(req.tenant, req.from, req.to,
                    [&](const RecordBatch& block, std::vector<uint32_t>* rows) {
                      sel.Reset(block.num_rows(), true);
                      filter->Evaluate(block, &sel, scratch.get());
                      sel.ForEach([&](size_t r) { rows->push_back(static_cast<uint32_t>(r)); });
                      return absl::OkStatus();
                    }));
  out.records = out.rewrite.records_removed;
  return out;
}

HttpResponse HandleDelete(storage::Store* store, const HttpRequest& request) {
  HttpRequest form;
  const HttpRequest* with_params = &request;
  if (!request.body.empty()) {
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
  static constexpr std::string_view kKnown[] = {"q",     "query",  "from", "to",
                                                "since", "tenant", "all",  "dry_run"};
  for (const auto& [name, value] : req.params) {
    if (name.starts_with("_")) continue;
    if (std::find(std::begin(kKnown), std::end(kKnown), name) == std::end(kKnown)) {
      return JsonError(400, StrCat("unknown parameter '", name,
                                   "' (expected q, from, to, since, tenant, all, dry_run)"));
    }
  }
  if (Param(req, "q") && Param(req, "query")) {
    return JsonError(400, "give the query as q or as query, not both");
  }
  DeleteRequest dr;
  if (auto t = Param(req, "tenant")) {
    dr.tenant = std::string(*t);
  } else if (auto h = req.headers.find("x-scope-orgid");
             h != req.headers.end() && !h->second.empty()) {
    dr.tenant = h->second;
  }
  if (absl::Status s = storage::ValidateTenant(dr.tenant); !s.ok()) {
    return JsonError(400, StatusMessage(s));
  }
  auto window = ResolveTimeWindow(Param(req, "from"), Param(req, "to"), Param(req, "since"),
                                  store->env()->NowNanos());
  if (!window.ok()) return JsonError(400, StatusMessage(window.status()));
  dr.from = window->from;
  dr.to = window->to;
  auto all = Flag(req, "all");
  auto dry = Flag(req, "dry_run");
  if (!all || !dry) return JsonError(400, "all and dry_run take 1, true, 0 or false");
  dr.all = *all;
  dr.dry_run = *dry;
  dr.text = std::string(Param(req, "q").value_or(Param(req, "query").value_or("")));

  QueryError qe;
  qe.offset = SIZE_MAX;
  auto out = RunDelete(store, dr, &qe);
  if (!out.ok()) {
    if (qe.offset != SIZE_MAX) return JsonError(400, qe.ToString(), qe.position);
    const absl::Status& s = out.status();
    if (absl::IsInvalidArgument(s)) return JsonError(400, StatusMessage(s));
    if (absl::IsResourceExhausted(s)) return JsonError(507, StatusMessage(s));
    return JsonError(500, StatusMessage(s));
  }
  HttpResponse resp;
  resp.content_type = "application/json";
  if (dr.dry_run) {
    resp.body = StrCat("{\"dry_run\":true,\"matched\":", out->records, "}\n");
  } else {
    resp.body = StrCat("{\"deleted\":", out->records,
                       ",\"segments_rewritten\":", out->rewrite.segments_rewritten,
                       ",\"segments_removed\":", out->rewrite.segments_removed, "}\n");
  }
  return resp;
}

}  // namespace lode::query
