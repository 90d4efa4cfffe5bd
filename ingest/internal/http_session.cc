#include "ingest/internal/http_session.h"

#include <algorithm>
#include <exception>
#include <utility>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "common/strings.h"
#include "common/url.h"

namespace lode::ingest::internal {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// Long URLs carry queries; 64 KiB leaves room without letting headers grow without bound.
constexpr uint32_t kHeaderLimit = 64 << 10;
// A streamed response is sent in chunks of about this size...
constexpr size_t kChunkTarget = 64 << 10;
// ...or whatever the producer made within this time, so that a slow query still shows progress.
constexpr auto kChunkMaxDelay = std::chrono::milliseconds(50);
// How long a connection that is being closed after an error keeps reading what the client
// still sends.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr char kServerName[] = "lode";

std::string_view View(beast::string_view s) { return std::string_view(s.data(), s.size()); }

bool IsHttpParseError(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_version).category();
}

}  // namespace

bool ToHttpRequest(http::request<http::string_body>&& msg, HttpRequest* out, std::string* error) {
  out->method = std::string(View(msg.method_string()));
  const std::string_view target = View(msg.target());
  const size_t q = target.find('?');
  if (!PercentDecode(target.substr(0, q), /*plus_is_space=*/false, &out->path)) {
    *error = "malformed percent-encoding in the request path";
    return false;
  }
  if (q != std::string_view::npos && !ParseQueryString(target.substr(q + 1), &out->params)) {
    *error = "malformed percent-encoding in the query string";
    return false;
  }
  for (const auto& field : msg) {
    std::string name(View(field.name_string()));
    std::transform(name.begin(), name.end(), name.begin(), [](char c) {
      return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    });
    auto [it, inserted] = out->headers.emplace(std::move(name), std::string(View(field.value())));
    if (!inserted) StrAppend(&it->second, ", ", View(field.value()));
  }
  out->body = std::move(msg.body());
  return true;
}

HttpSession::HttpSession(asio::ip::tcp::socket socket, std::shared_ptr<ServerState> state)
    : stream_(std::move(socket)), strand_(stream_.get_executor()), state_(std::move(state)) {}

HttpSession::~HttpSession() {
  absl::MutexLock lock(&state_->mu);
  state_->sessions.erase(id_);
}

void HttpSession::Start() {
  {
    absl::MutexLock lock(&state_->mu);
    id_ = state_->next_session_id++;
    state_->sessions.emplace(id_, weak_from_this());
  }
  asio::dispatch(strand_, [self = shared_from_this()] { self->ReadHeader(); });
}

void HttpSession::CloseIfIdle() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->phase_ == Phase::kReading && self->parser_.has_value() &&
        !self->parser_->got_some() && self->buffer_.size() == 0) {
      self->Close();
    }
  });
}

void HttpSession::ReadHeader() {
  if (state_->stopping.load()) return Close();
  phase_ = Phase::kReading;
  parser_.emplace();
  parser_->header_limit(kHeaderLimit);
  parser_->body_limit(state_->max_body_bytes);
  stream_.expires_after(state_->read_timeout);
  http::async_read_header(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&HttpSession::OnHeader, shared_from_this()));
}

void HttpSession::OnHeader(beast::error_code ec, size_t) {
  if (ec) return OnReadError(ec);
  if (parser_->is_done()) return Dispatch();
  // A client that sent `Expect: 100-continue` waits for this before sending the body.
  if (beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
    auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                   parser_->get().version());
    cont->set(http::field::server, kServerName);
    stream_.expires_after(state_->write_timeout);
    http::async_write(stream_, *cont,
                      [self = shared_from_this(), cont](beast::error_code ec, size_t) {
                        if (ec) return self->Close();
                        self->ReadBody();
                      });
    return;
  }
  ReadBody();
}

void HttpSession::ReadBody() {
  stream_.expires_after(state_->read_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&HttpSession::OnBody, shared_from_this()));
}

void HttpSession::OnBody(beast::error_code ec, size_t) {
  if (ec) return OnReadError(ec);
  Dispatch();
}

void HttpSession::OnReadError(beast::error_code ec) {
  if (ec == http::error::body_limit) {
    return SendErrorAndClose(
        413, StrCat("request body is larger than the limit of ", state_->max_body_bytes, " bytes"));
  }
  if (ec == http::error::header_limit) {
    return SendErrorAndClose(431, "request header is too large");
  }
  // end_of_stream is the client closing between requests; partial_message a client gone
  // mid-request: nobody to answer.
  if (IsHttpParseError(ec) && ec != http::error::end_of_stream &&
      ec != http::error::partial_message) {
    return SendErrorAndClose(400, StrCat("malformed HTTP request: ", ec.message()));
  }
  Close();  // timeout, reset, shutdown
}

void HttpSession::Dispatch() {
  phase_ = Phase::kHandling;
  stream_.expires_never();
  Request msg = parser_->release();
  parser_.reset();
  version_ = msg.version();
  keep_alive_ = msg.keep_alive();
  HttpRequest request;
  std::string error;
  if (!ToHttpRequest(std::move(msg), &request, &error)) {
    return OnResponse(JsonErrorResponse(400, error));
  }
  asio::post(*state_->workers, [self = shared_from_this(), request = std::move(request)] {
    HttpResponse response = self->state_->router.Dispatch(request);
    asio::post(self->strand_, [self, response = std::move(response)]() mutable {
      self->OnResponse(std::move(response));
    });
  });
}

void HttpSession::OnResponse(HttpResponse response) {
  phase_ = Phase::kWriting;
  if (state_->stopping.load()) keep_alive_ = false;
  if (response.status < 100 || response.status > 599) response.status = 500;
  if (response.stream) return StartStream(std::move(response));
  full_ = std::make_unique<http::response<http::string_body>>();
  full_->version(version_);
  full_->result(static_cast<unsigned>(response.status));
  full_->set(http::field::server, kServerName);
  full_->set(http::field::content_type, response.content_type);
  for (const auto& [name, value] : response.headers) full_->set(name, value);
  full_->body() = std::move(response.body);
  full_->keep_alive(keep_alive_);
  full_->prepare_payload();
  stream_.expires_after(state_->write_timeout);
  http::async_write(stream_, *full_,
                    beast::bind_front_handler(&HttpSession::OnWritten, shared_from_this()));
}

void HttpSession::OnWritten(beast::error_code ec, size_t) {
  full_.reset();
  if (ec) return Close();
  if (linger_after_write_) return Linger();
  EndRequest();
}

void HttpSession::EndRequest() {
  if (!keep_alive_) return Close();
  ReadHeader();
}

void HttpSession::StartStream(HttpResponse response) {
  producer_ = std::move(response.stream);
  head_ = std::make_unique<http::response<http::empty_body>>();
  head_->version(version_);
  head_->result(static_cast<unsigned>(response.status));
  head_->set(http::field::server, kServerName);
  head_->set(http::field::content_type, response.content_type);
  for (const auto& [name, value] : response.headers) head_->set(name, value);
  head_->keep_alive(keep_alive_);
  head_->chunked(true);
  head_serializer_ = std::make_unique<http::response_serializer<http::empty_body>>(*head_);
  stream_.expires_after(state_->write_timeout);
  http::async_write_header(stream_, *head_serializer_,
                           [self = shared_from_this()](beast::error_code ec, size_t) {
                             if (ec) return self->Close();
                             self->PullChunk();
                           });
}

void HttpSession::PullChunk() {
  stream_.expires_never();
  asio::post(*state_->workers, [self = shared_from_this()] {
    std::string chunk;
    bool more = true;
    bool failed = false;
    const auto start = std::chrono::steady_clock::now();
    try {
      while (more && chunk.size() < kChunkTarget &&
             std::chrono::steady_clock::now() - start < kChunkMaxDelay) {
        more = self->producer_(&chunk);
      }
    } catch (const std::exception& e) {
      failed = true;
      self->state_->log(StrCat("http: streamed response failed: ", e.what()));
    } catch (...) {
      failed = true;
      self->state_->log("http: streamed response failed");
    }
    asio::post(self->strand_, [self, chunk = std::move(chunk), more, failed]() mutable {
      self->OnChunk(std::move(chunk), more, failed);
    });
  });
}

void HttpSession::OnChunk(std::string chunk, bool more, bool failed) {
  // A failed stream ends without the last chunk, so the client sees an incomplete response
  // instead of a short one that looks whole.
  if (failed) return Close();
  if (chunk.empty()) {
    if (more) return PullChunk();
    return FinishStream();
  }
  chunk_ = std::move(chunk);
  stream_.expires_after(state_->write_timeout);
  // An empty chunk would mean end-of-body; chunk_ is not empty here.
  asio::async_write(stream_, http::make_chunk(asio::buffer(chunk_)),
                    [self = shared_from_this(), more](beast::error_code ec, size_t) {
                      if (ec) return self->Close();
                      if (more) return self->PullChunk();
                      self->FinishStream();
                    });
}

void HttpSession::FinishStream() {
  stream_.expires_after(state_->write_timeout);
  asio::async_write(stream_, http::make_chunk_last(),
                    [self = shared_from_this()](beast::error_code ec, size_t) {
                      self->producer_ = nullptr;
                      self->head_serializer_.reset();
                      self->head_.reset();
                      self->chunk_.clear();
                      if (ec) return self->Close();
                      self->EndRequest();
                    });
}

void HttpSession::SendErrorAndClose(int status, std::string_view message) {
  keep_alive_ = false;
  linger_after_write_ = true;
  if (parser_.has_value()) version_ = parser_->get().version();
  if (version_ != 10 && version_ != 11) version_ = 11;
  OnResponse(JsonErrorResponse(status, message));
}

void HttpSession::Linger() {
  phase_ = Phase::kLingering;
  beast::error_code ec;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  if (ec) return Close();
  drain_.resize(64 << 10);
  stream_.expires_after(kLingerTime);
  struct Drain {
    std::shared_ptr<HttpSession> self;
    void operator()(beast::error_code ec, size_t) {
      if (ec) return self->Close();
      auto& s = *self;
      s.stream_.async_read_some(asio::buffer(s.drain_), std::move(*this));
    }
  };
  stream_.async_read_some(asio::buffer(drain_), Drain{shared_from_this()});
}

void HttpSession::Close() {
  phase_ = Phase::kClosed;
  beast::error_code ec;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  stream_.close();
}

}  // namespace lode::ingest::internal
