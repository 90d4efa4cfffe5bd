#include "query/internal/http_params.h"

#include <vector>

#include "common/json_writer.h"
#include "common/strings.h"
#include "common/url.h"
#include "query/time_window.h"
#include "storage/store.h"

namespace lode::query::internal {

HttpResponse JsonError(int status, std::string_view message, std::optional<int> position) {
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

std::optional<bool> Flag(const HttpRequest& req, const std::string& name) {
  auto v = Param(req, name);
  if (!v) return false;
  if (*v == "1" || *v == "true") return true;
  if (*v == "0" || *v == "false") return false;
  return std::nullopt;
}

std::optional<HttpResponse> ResolveSearchParams(const HttpRequest& request,
                                                std::initializer_list<std::string_view> extra,
                                                int64_t now, SearchParams* out) {
  out->request.method = request.method;
  out->request.path = request.path;
  out->request.headers = request.headers;
  out->request.params = request.params;
  // POST takes the same parameters as an HTML form body (long queries do not fit in a URL).
  if (request.method == "POST" && !request.body.empty()) {
    auto ct = request.headers.find("content-type");
    if (ct != request.headers.end() &&
        !ct->second.starts_with("application/x-www-form-urlencoded")) {
      return JsonError(415,
                       "POST a form body (application/x-www-form-urlencoded), e.g. "
                       "curl --data-urlencode 'q=...'");
    }
    if (!ParseQueryString(request.body, &out->request.params)) {
      return JsonError(400, "malformed form body: a '%' not followed by two hex digits");
    }
  }
  const HttpRequest& req = out->request;
  // A misspelled parameter must not silently widen a search (or a delete).
  std::vector<std::string_view> known = {"q", "query", "from", "to", "since", "tenant"};
  known.insert(known.end(), extra.begin(), extra.end());
  for (const auto& [name, value] : req.params) {
    if (name.starts_with("_")) continue;
    bool ok = false;
    for (std::string_view k : known) ok = ok || k == name;
    if (!ok) {
      std::string list;
      for (std::string_view k : known) {
        if (k != "query") StrAppend(&list, list.empty() ? "" : ", ", k);
      }
      return JsonError(400, StrCat("unknown parameter '", name, "' (expected ", list, ")"));
    }
  }
  if (Param(req, "q") && Param(req, "query")) {
    return JsonError(400, "give the query as q or as query, not both");
  }
  // `query` is accepted as a synonym of `q` (the name Loki and VictoriaLogs use).
  out->text = Param(req, "q").value_or(Param(req, "query").value_or(""));
  out->tenant = std::string(storage::kDefaultTenant);
  if (auto t = Param(req, "tenant")) {
    out->tenant = std::string(*t);
  } else if (auto h = req.headers.find("x-scope-orgid");
             h != req.headers.end() && !h->second.empty()) {
    out->tenant = h->second;
  }
  if (absl::Status s = storage::ValidateTenant(out->tenant); !s.ok()) {
    return JsonError(400, StatusMessage(s));
  }
  auto window = ResolveTimeWindow(Param(req, "from"), Param(req, "to"), Param(req, "since"), now);
  if (!window.ok()) return JsonError(400, StatusMessage(window.status()));
  out->from = window->from;
  out->to = window->to;
  return std::nullopt;
}

}  // namespace lode::query::internal
