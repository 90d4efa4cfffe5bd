#include "query/delete_handler.h"

#include <algorithm>
#include <optional>

#include "common/json_writer.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "common/url.h"
#include "query/filter.h"
#include "query/internal/http_params.h"
#include "query/parser.h"
#include "query/query_cursor.h"
#include "query/selection.h"
#include "query/time_window.h"

namespace lode::query {
namespace {

using internal::Flag;
using internal::JsonError;
using internal::Param;

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
    ASSIGN_OR_RETURN(auto cursor, QueryCursor::Open(store, *q->filter, so));
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
  internal::SearchParams p;
  if (auto error = internal::ResolveSearchParams(request, {"all", "dry_run"},
                                                 store->env()->NowNanos(), &p)) {
    return *error;
  }
  const HttpRequest& req = p.request;
  DeleteRequest dr;
  dr.tenant = p.tenant;
  dr.from = p.from;
  dr.to = p.to;
  auto all = Flag(req, "all");
  auto dry = Flag(req, "dry_run");
  if (!all || !dry) return JsonError(400, "all and dry_run take 1, true, 0 or false");
  dr.all = *all;
  dr.dry_run = *dry;
  dr.text = std::string(p.text);

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
