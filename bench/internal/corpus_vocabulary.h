// The word lists and message templates behind CorpusGenerator (bench/corpus_generator.h).
//
// Rules every entry here keeps, because the peer queries depend on them: no '"' or '\' in
// anything that lands in `message`; the phrases `connection refused` and `timeout after` appear
// only in message templates, in lower case; no optional field reuses a key of the fixed part
// (`status`, `path`, `level`, `message`, ...), since the raw-text peers find fields by key.
// Stack frames are written pre-escaped for JSON (`\\n`, `\\t`, `\\"`).
#pragma once

#include <array>
#include <string_view>

namespace lode::bench::internal {

enum class Level : uint8_t { kInfo = 0, kWarn = 1, kError = 2, kDebug = 3 };
inline constexpr std::array<std::string_view, 4> kLevelNames = {"info", "warn", "error", "debug"};

enum class Lang : uint8_t { kJava, kPython, kGo };

// Listed by traffic rank: the generator draws them with Zipf-like weights in this order.
struct ServiceSpec {
  std::string_view name;
  Lang lang;
  int replicas;
};
inline constexpr std::array<ServiceSpec, 14> kServices = {{
    {"gateway", Lang::kGo, 6},
    {"catalog", Lang::kJava, 4},
    {"search", Lang::kPython, 5},
    {"cart", Lang::kJava, 4},
    {"auth", Lang::kGo, 3},
    {"checkout", Lang::kJava, 4},
    {"users", Lang::kPython, 3},
    {"recommendations", Lang::kPython, 3},
    {"inventory", Lang::kGo, 3},
    {"orders", Lang::kJava, 3},
    {"pricing", Lang::kGo, 2},
    {"payments", Lang::kJava, 3},
    {"notifications", Lang::kGo, 2},
    {"shipping", Lang::kPython, 2},
}};

// An HTTP endpoint of a service. '#' in the path stands for a random digit; endpoints of one
// service are listed by traffic rank.
struct EndpointSpec {
  int service;
  std::string_view method;
  std::string_view path;
  double median_ms;
};
inline constexpr std::array<EndpointSpec, 38> kEndpoints = {{
    {0, "GET", "/healthz", 1.2},
    {0, "POST", "/api/v1/graphql", 48},
    {0, "GET", "/api/v1/home", 35},
    {0, "GET", "/static/app.#######.js", 3},
    {1, "GET", "/api/v1/products/######", 18},
    {1, "GET", "/api/v1/categories/###", 22},
    {1, "GET", "/api/v1/products/######/reviews", 40},
    {2, "GET", "/api/v1/search?page=#", 65},
    {2, "GET", "/api/v1/search/suggest", 12},
    {3, "GET", "/api/v1/cart/#######", 9},
    {3, "POST", "/api/v1/cart/#######/items", 21},
    {3, "DELETE", "/api/v1/cart/#######/items/######", 15},
    {4, "POST", "/api/v1/token/refresh", 14},
    {4, "POST", "/api/v1/login", 85},
    {4, "POST", "/api/v1/logout", 6},
    {5, "GET", "/api/v1/checkout/#######/status", 11},
    {5, "POST", "/api/v1/checkout", 240},
    {5, "PUT", "/api/v1/checkout/#######/address", 30},
    {6, "GET", "/api/v1/users/######", 10},
    {6, "PATCH", "/api/v1/users/######/preferences", 25},
    {7, "GET", "/api/v1/recommendations/######", 55},
    {7, "GET", "/api/v1/recommendations/trending", 31},
    {8, "GET", "/api/v1/stock/######", 7},
    {8, "POST", "/api/v1/stock/reserve", 33},
    {9, "GET", "/api/v1/orders/########", 16},
    {9, "GET", "/api/v1/orders?page=#", 42},
    {9, "POST", "/api/v1/orders", 95},
    {10, "GET", "/api/v1/prices/######", 5},
    {10, "POST", "/api/v1/quotes", 28},
    {11, "POST", "/api/v1/payments", 320},
    {11, "GET", "/api/v1/payments/########", 14},
    {11, "POST", "/api/v1/refunds", 210},
    {12, "POST", "/api/v1/notify/push", 35},
    {12, "POST", "/api/v1/notify/email", 60},
    {13, "GET", "/api/v1/shipments/#########/tracking", 45},
    {13, "POST", "/api/v1/shipments", 110},
    {13, "GET", "/api/v1/carriers", 9},
    {13, "POST", "/api/v1/labels", 140},
}};

// What a template adds after the message besides the common optional fields.
enum class Extra : uint8_t { kNone, kRetry, kDb, kError };

// A message template. `{name}` is a variable (see CorpusGenerator::Impl::WriteVar).
struct TemplateSpec {
  Level level;
  double weight;
  std::string_view text;
  Extra extra;
  std::string_view error_kind;  // for Extra::kError
};
inline constexpr std::array<TemplateSpec, 35> kTemplates = {{
    // info
    {Level::kInfo, 30, "{method} {path} completed with status {status} in {lat}ms", Extra::kNone,
     ""},
    {Level::kInfo, 8, "user {user} signed in from {ip}", Extra::kNone, ""},
    {Level::kInfo, 6, "order {ord} created with {n10} items, total {amt} {cur}", Extra::kNone, ""},
    {Level::kInfo, 5, "payment authorized for order {ord}: {amt} {cur} by {card}", Extra::kNone,
     ""},
    {Level::kInfo, 5, "cache hit ratio {ratio} for prefix {ckey}", Extra::kNone, ""},
    {Level::kInfo, 6, "published {n100} events to topic {topic} partition {n10}", Extra::kNone, ""},
    {Level::kInfo, 2, "scheduled job {job} finished in {ms}ms, {n1000} rows affected", Extra::kNone,
     ""},
    {Level::kInfo, 5, "session {hex24} refreshed for user {user}, expires in {n100}m", Extra::kNone,
     ""},
    {Level::kInfo, 5, "cart {cart} updated: added {sku} qty {n10}", Extra::kNone, ""},
    {Level::kInfo, 2, "shipment {ship} label printed by carrier {carrier}", Extra::kNone, ""},
    {Level::kInfo, 5, "search for {word} returned {n1000} hits in {lat}ms", Extra::kNone, ""},
    {Level::kInfo, 1, "config reloaded from /etc/{self}/config.yaml, revision {n1000}",
     Extra::kNone, ""},
    {Level::kInfo, 4, "health check passed: db {n10}ms, cache {n10}ms, queue depth {n100}",
     Extra::kNone, ""},
    // warn
    {Level::kWarn, 4, "slow query on table {table}: {ms}ms, {n10000} rows scanned", Extra::kDb, ""},
    {Level::kWarn, 4, "retrying call to {other}: attempt {attempt} of 5, backoff {backoff}ms",
     Extra::kRetry, ""},
    {Level::kWarn, 3, "rate limit near for client {client}: {n1000} of 1000 requests per minute",
     Extra::kNone, ""},
    {Level::kWarn, 2, "deprecated api version v1 called by client {client}", Extra::kNone, ""},
    {Level::kWarn, 2, "heap usage at {pct} percent on {host}", Extra::kNone, ""},
    {Level::kWarn, 3, "upstream {other} answered slowly in {ms}ms for {path}", Extra::kNone, ""},
    {Level::kWarn, 2, "giving up on {other} health probe: timeout after {n10} retries",
     Extra::kNone, ""},
    {Level::kWarn, 2, "cache miss storm on prefix {ckey}: {n1000} misses in 10s", Extra::kNone, ""},
    // error
    {Level::kError, 5, "call to {other} failed: connection refused ({ip}:{port})", Extra::kError,
     "ConnectError"},
    {Level::kError, 4, "database query on {table} failed: timeout after {tmo}ms", Extra::kError,
     "QueryTimeout"},
    {Level::kError, 5, "{method} {path} failed with status {status}: upstream {other} unavailable",
     Extra::kError, "UpstreamUnavailable"},
    {Level::kError, 2, "payment for order {ord} declined by issuer with code {n100}", Extra::kError,
     "CardDeclined"},
    {Level::kError, 3, "unhandled exception in worker {n10}: {exc}", Extra::kError,
     "UnhandledException"},
    {Level::kError, 2, "kafka produce to {topic} failed: timeout after {tmo}ms", Extra::kError,
     "ProduceTimeout"},
    {Level::kError, 3, "dial tcp {ip}:{port}: connection refused", Extra::kError, "ConnectError"},
    {Level::kError, 2, "grpc {other}.{rpc} failed: deadline exceeded after {tmo}ms", Extra::kError,
     "DeadlineExceeded"},
    {Level::kError, 1, "could not acquire lock {lock} within {ms}ms", Extra::kError,
     "LockContention"},
    // debug
    {Level::kDebug, 4, "cache lookup key={ckey}{n10000} hit={bool}", Extra::kNone, ""},
    {Level::kDebug, 3, "feature flag {flag} evaluated to {bool} for user {user}", Extra::kNone, ""},
    {Level::kDebug, 3, "sql: select id, total from {table} where user_id = $1 took {n10}ms",
     Extra::kNone, ""},
    {Level::kDebug, 3, "outgoing request {method} http://{other}.internal:{port}{path}",
     Extra::kNone, ""},
    {Level::kDebug, 2, "span {hex16} closed after {lat}ms", Extra::kNone, ""},
}};
// Replaces the message of the 5 needle lines.
inline constexpr std::string_view kNeedleTemplate =
    "audit marker needle-7f3a9c seen in batch {n1000} on {host}";

inline constexpr std::array<std::string_view, 5> kCurrencies = {"EUR", "USD", "GBP", "EUR", "USD"};
inline constexpr std::array<std::string_view, 5> kCards = {"visa", "mastercard", "amex", "paypal",
                                                           "apple-pay"};
inline constexpr std::array<std::string_view, 6> kCachePrefixes = {
    "cart:", "product:", "session:", "price:", "user:", "stock:"};
inline constexpr std::array<std::string_view, 5> kTopics = {
    "orders.v1", "payments.events", "inventory.changes", "user.activity", "notifications.outbox"};
inline constexpr std::array<std::string_view, 6> kJobs = {"cleanup-sessions", "reindex-catalog",
                                                          "expire-carts",     "sync-prices",
                                                          "rotate-keys",      "compact-events"};
inline constexpr std::array<std::string_view, 6> kCarriers = {"dhl",  "ups",        "fedex",
                                                              "usps", "royal-mail", "dpd"};
inline constexpr std::array<std::string_view, 10> kSearchWords = {
    "running shoes", "laptop",    "usb-c cable", "coffee grinder", "winter jacket",
    "headphones",    "desk lamp", "yoga mat",    "phone case",     "espresso beans"};
inline constexpr std::array<std::string_view, 8> kTables = {
    "orders", "order_items", "carts", "users", "payments", "stock_levels", "prices", "sessions"};
inline constexpr std::array<std::string_view, 6> kClients = {
    "ios-3.2.1", "android-3.1.9", "web-2024.03.1", "partner-acme", "cli-0.9.4", "ios-3.1.0"};
inline constexpr std::array<std::string_view, 6> kExceptions = {
    "NullPointerException in CartService.apply",
    "IllegalStateException: cart version mismatch",
    "IndexError: list index out of range",
    "KeyError: missing sku in price map",
    "nil pointer dereference in handler",
    "ArithmeticException: division by zero in TaxCalculator"};
inline constexpr std::array<std::string_view, 5> kRpcs = {"Reserve", "GetQuote", "Authorize",
                                                          "Lookup", "Publish"};
inline constexpr std::array<std::string_view, 4> kLocks = {
    "order-seq", "cart-merge", "price-cache-refresh", "inventory-reserve"};
inline constexpr std::array<std::string_view, 5> kFlags = {
    "new-checkout", "fast-search", "dark-mode", "one-click-pay", "smart-reco"};
inline constexpr std::array<int, 7> kPorts = {5432, 6379, 8080, 8443, 9092, 3306, 9200};
inline constexpr std::array<int, 6> kTimeouts = {1000, 2000, 3000, 5000, 10000, 30000};
inline constexpr std::array<std::string_view, 4> kRegions = {"eu-west-1", "us-east-1", "us-west-2",
                                                             "ap-southeast-2"};
inline constexpr std::array<std::string_view, 6> kTags = {"canary",   "beta",      "mobile",
                                                          "internal", "load-test", "eu-only"};
inline constexpr std::array<std::string_view, 4> kClientNames = {"ios", "android", "web",
                                                                 "partner"};
inline constexpr std::array<std::string_view, 4> kClientVersions = {"3.2.1", "3.1.9", "2024.03.1",
                                                                    "1.0.0"};

// Status codes by level, with weights.
struct StatusWeight {
  int status;
  double weight;
};
inline constexpr std::array<StatusWeight, 5> kInfoStatus = {
    {{200, 80}, {201, 8}, {204, 5}, {304, 5}, {302, 2}}};
inline constexpr std::array<StatusWeight, 7> kWarnStatus = {
    {{404, 30}, {429, 20}, {400, 15}, {401, 10}, {409, 10}, {200, 10}, {403, 5}}};
inline constexpr std::array<StatusWeight, 4> kErrorStatus = {
    {{500, 40}, {503, 30}, {502, 20}, {504, 10}}};
inline constexpr std::array<StatusWeight, 2> kDebugStatus = {{{200, 95}, {304, 5}}};

// Stack-trace building blocks, already JSON-escaped.
inline constexpr std::array<std::string_view, 5> kJavaHeads = {
    "java.lang.IllegalStateException: cart version mismatch",
    "java.lang.NullPointerException: Cannot invoke method on null reference",
    "java.util.concurrent.ExecutionException: upstream call failed",
    "org.springframework.dao.DataAccessResourceFailureException: could not get JDBC connection",
    "java.lang.ArithmeticException: division by zero"};
// Frames are listed in call order as each language prints them (Java and Go innermost first,
// Python outermost first); a trace is a contiguous run of them. '%' is a random hex digit.
inline constexpr std::array<std::string_view, 10> kJavaFrames = {
    "com.acme.{self}.repo.OrderRepository.save(OrderRepository.java:88)",
    "org.springframework.jdbc.core.JdbcTemplate.execute(JdbcTemplate.java:381)",
    "com.acme.{self}.service.CartService.apply(CartService.java:214)",
    "com.acme.{self}.service.OrderService.place(OrderService.java:157)",
    "com.acme.common.retry.RetryingExecutor.call(RetryingExecutor.java:64)",
    "com.acme.{self}.web.RequestHandler.handle(RequestHandler.java:102)",
    "org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:897)",
    "io.netty.channel.AbstractChannelHandlerContext.invokeChannelRead("
    "AbstractChannelHandlerContext.java:444)",
    "java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1136)",
    "java.base/java.lang.Thread.run(Thread.java:833)"};
inline constexpr std::array<std::string_view, 3> kJavaCauses = {
    "java.io.IOException: Broken pipe", "java.net.SocketException: Connection reset",
    "java.sql.SQLTransientConnectionException: pool exhausted"};
inline constexpr std::array<std::string_view, 8> kPythonFrames = {
    "  File \\\"/app/{self}/tasks.py\\\", line 211, in run\\n    await handler(message)",
    "  File \\\"/app/{self}/handlers.py\\\", line 88, in handle\\n    result = "
    "self.service.process(request)",
    "  File \\\"/app/{self}/service.py\\\", line 47, in process\\n    items = "
    "self.repo.load(request.user_id)",
    "  File \\\"/app/{self}/ranking.py\\\", line 19, in score\\n    return weights[idx] * "
    "features[idx]",
    "  File \\\"/app/{self}/cache.py\\\", line 63, in get\\n    return self._store[key]",
    "  File \\\"/app/{self}/repo.py\\\", line 132, in load\\n    rows = cursor.fetchall()",
    "  File \\\"/usr/lib/python3.11/site-packages/aiohttp/client.py\\\", line 562, in _request\\n  "
    "  conn = await self._connector.connect(req)",
    "  File \\\"/usr/lib/python3.11/site-packages/psycopg/cursor.py\\\", line 851, in fetchall\\n  "
    "  self._check_result_for_fetch()"};
inline constexpr std::array<std::string_view, 4> kPythonTails = {
    "IndexError: list index out of range", "KeyError: 'sku-104233'",
    "psycopg.OperationalError: server closed the connection unexpectedly",
    "ValueError: invalid literal for int() with base 10: 'abc'"};
inline constexpr std::array<std::string_view, 3> kGoHeads = {
    "panic: runtime error: invalid memory address or nil pointer dereference\\n[signal SIGSEGV: "
    "segmentation violation code=0x1 addr=0x18 pc=0x6b2f1a]",
    "panic: runtime error: index out of range [5] with length 5",
    "panic: assignment to entry in nil map"};
inline constexpr std::array<std::string_view, 7> kGoFrames = {
    "github.com/acme/{self}/internal/store.(*Client).Get(0xc000%%%%%%, {0xa8%%%%, "
    "0xc00%%%%})\\n\\t/src/internal/store/client.go:77 +0x8b",
    "github.com/acme/{self}/internal/handler.(*Server).Handle(0xc000%%%%%%, {0x7f%%, "
    "0xc000%%%%%%})\\n\\t/src/internal/handler/server.go:142 +0x1f4",
    "github.com/acme/{self}/internal/queue.(*Worker).loop(0xc000%%%%%%)\\n\\t/src/internal/queue/"
    "worker.go:318 +0x12c",
    "net/http.HandlerFunc.ServeHTTP(0xc000%%%%%%, {0xa8%%%%, 0xc000%%%%%%}, "
    "0xc000%%%%%%)\\n\\t/usr/local/go/src/net/http/server.go:2136 +0x2f",
    "net/http.serverHandler.ServeHTTP({0xc000%%%%%%}, {0xa8%%%%, 0xc000%%%%%%}, "
    "0xc000%%%%%%)\\n\\t/usr/local/go/src/net/http/server.go:2938 +0x8e",
    "net/http.(*conn).serve(0xc000%%%%%%, {0xa8%%%%, "
    "0xc000%%%%%%})\\n\\t/usr/local/go/src/net/http/server.go:2009 +0x5cb",
    "created by net/http.(*Server).Serve in goroutine "
    "1\\n\\t/usr/local/go/src/net/http/server.go:3086 +0x4ba"};

}  // namespace lode::bench::internal
