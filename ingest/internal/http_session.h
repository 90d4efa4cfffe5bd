// One HTTP/1.1 connection of HttpServer: reads requests (keep-alive, pipelining), hands each to
// the router on the worker pool, and writes the response back, streamed with chunked encoding
// when the handler asked for it.
//
// Every member is touched only on the connection's strand, except that a streamed response's
// producer is called on a worker while the strand waits for it (one pull at a time). The session
// keeps itself alive through the shared_ptrs held by its pending operations.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "common/http_types.h"
#include "ingest/internal/http_router.h"

namespace lode::ingest::internal {

class HttpSession;

// What the server shares with its sessions. Held by shared_ptr so that it outlives every session,
// whichever is destroyed last.
struct ServerState {
  HttpRouter router;
  size_t max_body_bytes = 0;
  std::chrono::milliseconds read_timeout{0};
  std::chrono::milliseconds write_timeout{0};
  std::function<void(std::string_view)> log;
  // Set by HttpServer::Start() before the first connection is accepted; not owned.
  boost::asio::thread_pool* workers = nullptr;
  // Once set, connections finish their current request and close.
  std::atomic<bool> stopping{false};

  absl::Mutex mu;
  // Live sessions, so that shutdown can close the idle ones and wait for the rest.
  absl::flat_hash_map<uint64_t, std::weak_ptr<HttpSession>> sessions ABSL_GUARDED_BY(mu);
  uint64_t next_session_id ABSL_GUARDED_BY(mu) = 0;
};

// Turns a parsed Beast request into the transport-neutral HttpRequest: the path and the query
// parameters percent-decoded ('+' as space in the query), header names lower-cased (repeated
// headers joined with ", "). The body is moved out of `msg`. On a malformed percent-escape returns
// false with a message in `error`.
bool ToHttpRequest(boost::beast::http::request<boost::beast::http::string_body>&& msg,
                   HttpRequest* out, std::string* error);

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(boost::asio::ip::tcp::socket socket, std::shared_ptr<ServerState> state);
  ~HttpSession();
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  // Registers with the server state and starts reading. Call once, on a session owned by a
  // shared_ptr.
  void Start();

  // Closes the connection now if it is waiting for a new request; otherwise it closes after the
  // response in progress (because ServerState::stopping is set). Thread-safe.
  void CloseIfIdle();

 private:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  enum class Phase { kReading, kHandling, kWriting, kLingering, kClosed };

  void ReadHeader();
  void OnHeader(boost::beast::error_code ec, size_t bytes);
  void ReadBody();
  void OnBody(boost::beast::error_code ec, size_t bytes);
  void OnReadError(boost::beast::error_code ec);
  void Dispatch();
  void OnResponse(HttpResponse response);
  void OnWritten(boost::beast::error_code ec, size_t bytes);
  void StartStream(HttpResponse response);
  void PullChunk();
  void OnChunk(std::string chunk, bool more, bool failed);
  void FinishStream();
  // Sends an error response and closes, reading (and dropping) what the client still sends for
  // a while, so that the client sees the response rather than a connection reset.
  void SendErrorAndClose(int status, std::string_view message);
  void Linger();
  void EndRequest();
  void Close();

  boost::beast::tcp_stream stream_;
  // The connection's strand (the socket was accepted onto one).
  boost::asio::any_io_executor strand_;
  std::shared_ptr<ServerState> state_;
  uint64_t id_ = UINT64_MAX;
  Phase phase_ = Phase::kReading;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool close_after_write_ = false;
  bool linger_after_write_ = false;

  // The response being written (one of the two, by kind).
  std::unique_ptr<boost::beast::http::response<boost::beast::http::empty_body>> head_;
  std::unique_ptr<boost::beast::http::response_serializer<boost::beast::http::empty_body>>
      head_serializer_;
  std::unique_ptr<boost::beast::http::response<boost::beast::http::string_body>> full_;
  std::function<bool(std::string*)> producer_;
  std::string chunk_;
  std::string drain_;
};

}  // namespace lode::ingest::internal
