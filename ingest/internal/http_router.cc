#include "ingest/internal/http_router.h"

#include <exception>

#include "common/strings.h"
#include "ingest/internal/json_util.h"

namespace lode::ingest::internal {

HttpResponse JsonErrorResponse(int status, std::string_view message) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = JsonError(message);
  return r;
}

void HttpRouter::Add(std::string_view method, std::string_view path, HttpHandler handler) {
  routes_[std::string(path)][std::string(method)] = std::move(handler);
}

HttpResponse HttpRouter::Dispatch(const HttpRequest& request) const {
  auto path_it = routes_.find(request.path);
  if (path_it == routes_.end()) {
    return JsonErrorResponse(404, StrCat("no such endpoint: ", request.path));
  }
  auto it = path_it->second.find(request.method);
  if (it == path_it->second.end()) {
    std::string allowed;
    for (const auto& [method, unused] : path_it->second) {
      StrAppend(&allowed, allowed.empty() ? "" : ", ", method);
    }
    HttpResponse r = JsonErrorResponse(405, StrCat("method ", request.method, " not allowed on ",
                                                   request.path, " (use ", allowed, ")"));
    r.headers.emplace_back("Allow", allowed);
    return r;
  }
  try {
    return it->second(request);
  } catch (const std::exception& e) {
    return JsonErrorResponse(500, StrCat("internal error: ", e.what()));
  } catch (...) {
    return JsonErrorResponse(500, "internal error");
  }
}

}  // namespace lode::ingest::internal
