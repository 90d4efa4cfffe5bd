#include "ingest/http_server.h"

#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include "common/strings.h"
#include "ingest/internal/http_session.h"

namespace lode::ingest {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using internal::HttpSession;
using internal::ServerState;

// After an accept failure that is not about one connection (e.g. out of file descriptors), wait
// this long before accepting again instead of spinning.
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);

std::string FormatEndpoint(const asio::ip::address& addr, uint16_t port) {
  if (addr.is_v6()) return StrCat("[", addr.to_string(), "]:", port);
  return StrCat(addr.to_string(), ":", port);
}

std::string FormatHostPort(std::string_view host, uint16_t port) {
  if (host.find(':') != std::string_view::npos) return StrCat("[", host, "]:", port);
  return StrCat(host, ":", port);
}

bool NoSessions(ServerState* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu) { return s->sessions.empty(); }

}  // namespace

struct HttpServer::Impl {
  explicit Impl(HttpServerOptions opts)
      : options(std::move(opts)),
        state(std::make_shared<ServerState>()),
        ioc(options.io_threads),
        acceptor(asio::make_strand(ioc)),
        retry_timer(acceptor.get_executor()) {}

  void Accept() {
    acceptor.async_accept(asio::make_strand(ioc),
                          [this](boost::system::error_code ec, tcp::socket socket) {
                            OnAccept(ec, std::move(socket));
                          });
  }

  void OnAccept(boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (ec == asio::error::connection_aborted) return Accept();
    if (ec) {
      state->log(StrCat("http: accept failed: ", ec.message()));
      retry_timer.expires_after(kAcceptRetryDelay);
      retry_timer.async_wait([this](boost::system::error_code ec) {
        if (!ec && acceptor.is_open()) Accept();
      });
      return;
    }
    if (state->stopping.load()) {
      socket.close(ec);
      return;
    }
    socket.set_option(tcp::no_delay(true), ec);  // small responses should not wait for Nagle
    std::make_shared<HttpSession>(std::move(socket), state)->Start();
    Accept();
  }

  void RunIo() {
    for (;;) {
      try {
        ioc.run();
        return;
      } catch (const std::exception& e) {
        state->log(StrCat("http: unexpected exception: ", e.what()));
      } catch (...) {
        state->log("http: unexpected exception");
      }
    }
  }

  const HttpServerOptions options;
  const std::shared_ptr<ServerState> state;
  // Declared before everything that refers to it, so it is destroyed last.
  asio::io_context ioc;
  tcp::acceptor acceptor;  // used on its own strand once started
  asio::steady_timer retry_timer;
  std::optional<asio::thread_pool> workers;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> io_threads;
  tcp::endpoint endpoint;
  bool started = false;
  bool shut_down = false;
};

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Listen(HttpServerOptions options) {
  if (options.io_threads < 1 || options.io_threads > 256) {
    return absl::InvalidArgumentError("the number of HTTP threads must be between 1 and 256");
  }
  if (options.worker_threads < 1 || options.worker_threads > 256) {
    return absl::InvalidArgumentError("the number of worker threads must be between 1 and 256");
  }
  if (options.max_body_bytes == 0) {
    return absl::InvalidArgumentError("the request body limit must be positive");
  }
  if (!options.log) {
    options.log = [](std::string_view msg) {
      std::fprintf(stderr, "lode: %.*s\n", static_cast<int>(msg.size()), msg.data());
    };
  }
  const std::string display = FormatHostPort(options.host, options.port);
  try {
    auto impl = std::make_unique<Impl>(std::move(options));
    const HttpServerOptions& opts = impl->options;
    ServerState& st = *impl->state;
    st.max_body_bytes = opts.max_body_bytes;
    st.read_timeout = opts.read_timeout;
    st.write_timeout = opts.write_timeout;
    st.log = opts.log;

    boost::system::error_code ec;
    tcp::endpoint endpoint;
    asio::ip::address addr = asio::ip::make_address(opts.host, ec);
    if (!ec) {
      endpoint = tcp::endpoint(addr, opts.port);
    } else {
      tcp::resolver resolver(impl->ioc);
      auto results = resolver.resolve(opts.host, std::to_string(opts.port),
                                      tcp::resolver::passive | tcp::resolver::numeric_service, ec);
      if (ec || results.empty()) {
        return absl::InvalidArgumentError(
            StrCat("cannot listen on ", display, ": ", ec ? ec.message() : "host not found"));
      }
      endpoint = results.begin()->endpoint();
    }
    tcp::acceptor& acc = impl->acceptor;
    auto fail = [&](boost::system::error_code e) {
      return absl::UnavailableError(StrCat("cannot listen on ", display, ": ", e.message()));
    };
    if (acc.open(endpoint.protocol(), ec)) return fail(ec);
    // Lets a restarted server bind while old connections sit in TIME_WAIT; on Linux it does not
    // let two servers listen on one port.
    if (acc.set_option(asio::socket_base::reuse_address(true), ec)) return fail(ec);
    if (acc.bind(endpoint, ec)) return fail(ec);
    if (acc.listen(asio::socket_base::max_listen_connections, ec)) return fail(ec);
    impl->endpoint = acc.local_endpoint(ec);
    if (ec) return fail(ec);
    return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
  } catch (const std::exception& e) {
    return absl::InternalError(StrCat("cannot listen on ", display, ": ", e.what()));
  }
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  try {
    Shutdown();
  } catch (...) {
    // Only thread joins can throw here, and only on misuse; a destructor must not throw.
  }
}

void HttpServer::Route(std::string_view method, std::string_view path, HttpHandler handler) {
  impl_->state->router.Add(method, path, std::move(handler));
}

absl::Status HttpServer::Start() {
  Impl& m = *impl_;
  if (m.started || m.shut_down) return absl::FailedPreconditionError("server already started");
  m.started = true;
  try {
    m.workers.emplace(static_cast<size_t>(m.options.worker_threads));
    m.state->workers = &*m.workers;
    m.work.emplace(m.ioc.get_executor());
    asio::post(m.acceptor.get_executor(), [&m] { m.Accept(); });
    for (int i = 0; i < m.options.io_threads; ++i) {
      m.io_threads.emplace_back([&m] { m.RunIo(); });
    }
  } catch (const std::exception& e) {
    Shutdown();
    return absl::InternalError(StrCat("starting the HTTP server: ", e.what()));
  }
  return absl::OkStatus();
}

void HttpServer::Shutdown() {
  Impl& m = *impl_;
  if (m.shut_down) return;
  m.shut_down = true;
  m.state->stopping.store(true);
  if (!m.started) {
    boost::system::error_code ec;
    m.acceptor.close(ec);
    return;
  }
  asio::post(m.acceptor.get_executor(), [&m] {
    boost::system::error_code ec;
    m.acceptor.close(ec);
    m.retry_timer.cancel();
  });
  // Copy first: a session may be destroyed while we hold the last reference, and its destructor
  // takes the mutex.
  std::vector<std::weak_ptr<HttpSession>> sessions;
  {
    absl::MutexLock lock(&m.state->mu);
    for (const auto& [id, weak] : m.state->sessions) sessions.push_back(weak);
  }
  for (const auto& weak : sessions) {
    if (auto s = weak.lock()) s->CloseIfIdle();
  }
  ServerState* st = m.state.get();
  if (!st->mu.LockWhenWithTimeout(absl::Condition(NoSessions, st),
                                  absl::FromChrono(m.options.shutdown_grace))) {
    m.state->log("http: shutdown grace period over; dropping the remaining connections");
  }
  st->mu.Unlock();
  m.work.reset();
  m.ioc.stop();
  for (std::thread& t : m.io_threads) t.join();
  m.io_threads.clear();
  // The close posted above may not have run before the stop (handlers left in a stopped
  // io_context never run), so close here too: with no I/O thread left this is safe, and nothing
  // listens once Shutdown returns.
  boost::system::error_code ec;
  m.acceptor.close(ec);
  // Handlers still running finish here; what they post to the stopped io_context is destroyed
  // with it.
  if (m.workers) m.workers->join();
}

uint16_t HttpServer::port() const { return impl_->endpoint.port(); }

std::string HttpServer::address() const {
  return FormatEndpoint(impl_->endpoint.address(), impl_->endpoint.port());
}

}  // namespace lode::ingest
