// A minimal blocking HTTP/1.1 client over one loopback connection, for the HTTP server tests.
// Built on Beast's synchronous error_code API; a receive timeout on the socket turns a hung
// server into a failed read instead of a hung test.
#pragma once

#include <cctype>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <sys/socket.h>
#include <sys/time.h>

namespace lode::testing {

struct HttpReply {
  bool ok = false;    // a whole response was read
  std::string error;  // why not, when !ok
  int status = 0;
  std::string body;                            // de-chunked
  std::map<std::string, std::string> headers;  // lower-cased names
  bool chunked = false;
  bool keep_alive = false;
};

class HttpTestClient {
 public:
  explicit HttpTestClient(uint16_t port) {
    namespace asio = boost::asio;
    boost::system::error_code ec;
    socket_.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
    connected_ = !ec;
    if (connected_) {
      timeval tv{30, 0};
      ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    }
  }

  bool connected() const { return connected_; }

  // Sends one request and reads its response.
  HttpReply Request(std::string_view method, std::string_view target, std::string body = "",
                    const std::map<std::string, std::string>& headers = {}) {
    if (!SendRequest(method, target, std::move(body), headers)) {
      HttpReply r;
      r.error = "write failed";
      return r;
    }
    return ReadReply();
  }

  bool SendRequest(std::string_view method, std::string_view target, std::string body,
                   const std::map<std::string, std::string>& headers = {}) {
    namespace http = boost::beast::http;
    http::request<http::string_body> req;
    req.method_string(method);
    req.target(target);
    req.version(11);
    req.set(http::field::host, "127.0.0.1");
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = std::move(body);
    if (headers.count("Transfer-Encoding") == 0) req.prepare_payload();
    boost::system::error_code ec;
    http::write(socket_, req, ec);
    return !ec;
  }

  bool SendRaw(std::string_view bytes) {
    boost::system::error_code ec;
    boost::asio::write(socket_, boost::asio::buffer(bytes.data(), bytes.size()), ec);
    return !ec;
  }

  HttpReply ReadReply() {
    namespace http = boost::beast::http;
    HttpReply r;
    http::response_parser<http::string_body> parser;
    parser.body_limit(1ull << 30);
    boost::system::error_code ec;
    http::read(socket_, buffer_, parser, ec);
    if (ec) {
      r.error = ec.message();
      return r;
    }
    r.ok = true;
    r.chunked = parser.chunked();
    auto& res = parser.get();
    r.status = static_cast<int>(res.result_int());
    r.keep_alive = res.keep_alive();
    r.body = std::move(res.body());
    for (const auto& f : res) {
      std::string name(f.name_string().data(), f.name_string().size());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers[name] = std::string(f.value().data(), f.value().size());
    }
    return r;
  }

  // True when the server has closed the connection (a read returns end of file, with nothing
  // unread before it).
  bool ReadsEof() {
    if (buffer_.size() > 0) return false;
    char c;
    boost::system::error_code ec;
    socket_.read_some(boost::asio::buffer(&c, 1), ec);
    return ec == boost::asio::error::eof;
  }

 private:
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::socket socket_{ioc_};
  boost::beast::flat_buffer buffer_;
  bool connected_ = false;
};

}  // namespace lode::testing
