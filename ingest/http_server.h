// HttpServer: the HTTP/1.1 listener of `lode serve` (Boost.Beast over Asio).
//
// It accepts connections on one address, reads requests with keep-alive, a body-size limit and a
// read timeout, and answers them through a table of `lode::HttpHandler`s keyed by method and
// exact path. Handlers run on a small worker pool, never on the network threads, because they
// block (an ingest request fsyncs segment files; a query scans them). A response whose `stream`
// is set is sent with chunked transfer encoding, one pull of the stream callback at a time on a
// worker, so a long query neither blocks the network threads nor buffers its whole result.
//
// Errors produced by the server itself (unknown path 404, wrong method 405, body too large 413,
// malformed request 400, header too large 431) have the JSON body `{"error":"..."}`.
//
// Thread-safety: Route() must be called before Start(); Start() and Shutdown() from one thread.
// Handlers are called concurrently from the worker threads and must be thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "common/http_types.h"

namespace lode::ingest {

struct HttpServerOptions {
  // An IP address (v4 or v6, no brackets) or a host name resolved once at Listen().
  std::string host = "127.0.0.1";
  // 0 picks a free ephemeral port; port() tells which.
  uint16_t port = 9428;
  // Threads running network I/O.
  int io_threads = 2;
  // Threads running handlers (and pulling streamed responses).
  int worker_threads = 4;
  // Larger request bodies are refused with 413 before they are read.
  size_t max_body_bytes = size_t{64} << 20;
  // Limit on reading one request (header and body), and on an idle keep-alive connection.
  std::chrono::milliseconds read_timeout = std::chrono::seconds(30);
  // Limit on writing one response part to a client that does not read.
  std::chrono::milliseconds write_timeout = std::chrono::seconds(30);
  // How long Shutdown() waits for in-flight requests before dropping them.
  std::chrono::milliseconds shutdown_grace = std::chrono::seconds(30);
  // Where the server reports problems that have no client to tell (accept failures, a failed
  // stream). Called from any server thread, so it must be thread-safe. Defaults to stderr.
  std::function<void(std::string_view)> log;
};

class HttpServer {
 public:
  // Binds and listens on options.host:options.port (no thread is started yet). UnavailableError
  // "cannot listen on HOST:PORT: <reason>" when the address cannot be bound (e.g. in use);
  // InvalidArgumentError for an unusable option.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Listen(HttpServerOptions options);

  // Shuts down (see Shutdown()) if still running.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Serves `handler` for requests with exactly this method (e.g. "POST") and path (e.g.
  // "/ingest/ndjson"). Only before Start().
  void Route(std::string_view method, std::string_view path, HttpHandler handler);

  // Starts the threads and begins accepting. Returns an error when threads cannot be created.
  absl::Status Start();

  // Stops accepting, closes idle connections, lets in-flight requests finish (responses to them
  // say `Connection: close`), waits up to `shutdown_grace` for them, then stops all threads.
  // Blocks until done. Idempotent.
  void Shutdown();

  // The bound port (the real one when options.port was 0).
  uint16_t port() const;
  // The bound address as `127.0.0.1:9428` or `[::1]:9428`.
  std::string address() const;

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lode::ingest
