// Maps (method, exact path) to an HttpHandler and turns misses into JSON 404/405 responses.
//
// Routes are added before the server starts; after that the router is only read, from any
// thread, without locking.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "common/http_types.h"

namespace lode::ingest::internal {

class HttpRouter {
 public:
  // Registers `handler` for `method` (e.g. "GET") on `path` (e.g. "/health"), replacing an
  // earlier registration of the same pair.
  void Add(std::string_view method, std::string_view path, HttpHandler handler);

  // Runs the handler for `request`, or answers 404 (unknown path) / 405 (known path, other
  // method; the `Allow` methods are named in the message). An exception from a handler becomes
  // a 500 response; none escapes.
  HttpResponse Dispatch(const HttpRequest& request) const;

 private:
  // path -> method -> handler
  std::map<std::string, std::map<std::string, HttpHandler>, std::less<>> routes_;
};

// A response with `status` and body `{"error":"<message>"}`.
HttpResponse JsonErrorResponse(int status, std::string_view message);

}  // namespace lode::ingest::internal
