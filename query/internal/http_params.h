// What the query and delete endpoints share: form bodies, parameter checks, the query text,
// tenant and time window, and JSON error bodies.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "common/http_types.h"

namespace lode::query::internal {

// `{"error":"..."[,"position":N]}` with `status`.
HttpResponse JsonError(int status, std::string_view message,
                       std::optional<int> position = std::nullopt);

// A parameter, with an empty value treated as absent (as HTML forms send unused fields).
std::optional<std::string_view> Param(const HttpRequest& req, const std::string& name);

// "1"/"true" -> true, "0"/"false"/absent -> false, anything else nullopt.
std::optional<bool> Flag(const HttpRequest& req, const std::string& name);

// The parameters of a search request, resolved.
struct SearchParams {
  HttpRequest request;    // with a POST form body merged into params
  std::string_view text;  // the query (q or query), in request.params
  std::string tenant;
  int64_t from = 0;
  int64_t to = 0;
};

// Merges a POST form body into the parameters, rejects unknown ones (names starting with '_'
// are let through), and resolves q/query, tenant (param or X-Scope-OrgID) and the time window
// [from, to) / since against `now`. On a bad request returns the error response to send.
std::optional<HttpResponse> ResolveSearchParams(const HttpRequest& request,
                                                std::initializer_list<std::string_view> extra,
                                                int64_t now, SearchParams* out);

}  // namespace lode::query::internal
