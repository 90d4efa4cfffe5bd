// A transport-neutral HTTP request/response, so that query/ and alerting/ can expose handlers
// without depending on the server (which lives in ingest/).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace lode {

struct HttpRequest {
  std::string method;                          // "GET", "POST", ...
  std::string path;                            // decoded path without the query string
  std::map<std::string, std::string> params;   // decoded query-string parameters
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  // Extra response headers (e.g. Allow on a 405), sent as given.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // When set, the body is streamed: the server calls `stream` until it returns false, sending
  // whatever it appended to `chunk` each time (chunked transfer encoding). `body` is ignored.
  std::function<bool(std::string* chunk)> stream;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

}  // namespace lode
