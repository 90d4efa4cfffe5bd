#include "bench/corpus_generator.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <vector>

#include "bench/internal/corpus_vocabulary.h"
#include "bench/internal/random.h"
#include "common/time_util.h"

namespace lode::bench {
namespace {

using internal::Cdf;
using internal::Extra;
using internal::InverseNormal;
using internal::Lang;
using internal::Level;
using internal::Rng;

// Standard normal quantiles at (i + 0.5) / kNormalTable, for cheap log-normal draws.
constexpr int kNormalTable = 4096;

constexpr char kHexDigits[] = "0123456789abcdef";

// Template variables, resolved once when templates are compiled.
enum class Var : uint8_t {
  kMethod,
  kPath,
  kStatus,
  kLat,
  kUser,
  kIp,
  kPort,
  kOrder,
  kAmount,
  kCurrency,
  kCard,
  kRatio,
  kCacheKey,
  kTopic,
  kJob,
  kMs,
  kTimeout,
  kN10,
  kN100,
  kN1000,
  kN10000,
  kHex16,
  kHex24,
  kCart,
  kSku,
  kShip,
  kCarrier,
  kWord,
  kSelf,
  kOther,
  kTable,
  kAttempt,
  kBackoff,
  kClient,
  kPct,
  kHost,
  kException,
  kRpc,
  kLock,
  kFlag,
  kBool,
};
struct VarName {
  std::string_view name;
  Var var;
};
constexpr VarName kVarNames[] = {
    {"method", Var::kMethod}, {"path", Var::kPath},       {"status", Var::kStatus},
    {"lat", Var::kLat},       {"user", Var::kUser},       {"ip", Var::kIp},
    {"port", Var::kPort},     {"ord", Var::kOrder},       {"amt", Var::kAmount},
    {"cur", Var::kCurrency},  {"card", Var::kCard},       {"ratio", Var::kRatio},
    {"ckey", Var::kCacheKey}, {"topic", Var::kTopic},     {"job", Var::kJob},
    {"ms", Var::kMs},         {"tmo", Var::kTimeout},     {"n10", Var::kN10},
    {"n100", Var::kN100},     {"n1000", Var::kN1000},     {"n10000", Var::kN10000},
    {"hex16", Var::kHex16},   {"hex24", Var::kHex24},     {"cart", Var::kCart},
    {"sku", Var::kSku},       {"ship", Var::kShip},       {"carrier", Var::kCarrier},
    {"word", Var::kWord},     {"self", Var::kSelf},       {"other", Var::kOther},
    {"table", Var::kTable},   {"attempt", Var::kAttempt}, {"backoff", Var::kBackoff},
    {"client", Var::kClient}, {"pct", Var::kPct},         {"host", Var::kHost},
    {"exc", Var::kException}, {"rpc", Var::kRpc},         {"lock", Var::kLock},
    {"flag", Var::kFlag},     {"bool", Var::kBool},
};

// A template split into literal pieces, each followed by a variable (or none at the end).
struct Piece {
  std::string_view literal;
  bool has_var = false;
  Var var = Var::kN10;
};
std::vector<Piece> CompileTemplate(std::string_view text) {
  std::vector<Piece> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t open = text.find('{', pos);
    if (open == std::string_view::npos) {
      out.push_back({text.substr(pos), false, Var::kN10});
      break;
    }
    size_t close = text.find('}', open);
    std::string_view name = text.substr(open + 1, close - open - 1);
    Piece p{text.substr(pos, open - pos), false, Var::kN10};
    for (const VarName& v : kVarNames) {
      if (v.name == name) {
        p.has_var = true;
        p.var = v.var;
      }
    }
    // An unknown name is a bug in the vocabulary; keep it visible in the output.
    if (!p.has_var) p.literal = text.substr(pos, close + 1 - pos);
    out.push_back(p);
    pos = close + 1;
  }
  return out;
}

struct Host {
  std::string name;  // k8s-style pod name
  std::string node;
  int region = 0;
};

}  // namespace

struct CorpusGenerator::Impl {
  explicit Impl(const CorpusOptions& o) : options(o), rng(o.seed) {
    services = Cdf::Zipf(internal::kServices.size(), 0.9);
    users = Cdf::Zipf(kUsers, 1.05);
    other_services = Cdf::Zipf(internal::kServices.size(), 0.6);
    for (size_t s = 0; s < internal::kServices.size(); ++s) {
      Cdf c;
      std::vector<int> idx;
      int rank = 0;
      for (size_t e = 0; e < internal::kEndpoints.size(); ++e) {
        if (internal::kEndpoints[e].service != static_cast<int>(s)) continue;
        c.Add(1.0 / (1 + rank++));
        idx.push_back(static_cast<int>(e));
      }
      endpoints.push_back(std::move(c));
      endpoint_index.push_back(std::move(idx));
      // Pod names: <service>-<replica set hash>-<5 chars>, stable for a seed.
      std::string rs;
      for (int i = 0; i < 6; ++i) rs.push_back("bcdfghjklmnpqrstvwxz2456789"[rng.Below(27)]);
      std::vector<Host> hs;
      for (int r = 0; r < internal::kServices[s].replicas; ++r) {
        Host h;
        h.name = std::string(internal::kServices[s].name) + "-" + rs + "-";
        for (int i = 0; i < 5; ++i) h.name.push_back("bcdfghjklmnpqrstvwxz2456789"[rng.Below(27)]);
        h.node = "ip-10-0-" + std::to_string(rng.Below(64)) + "-" +
                 std::to_string(1 + rng.Below(254)) + ".ec2.internal";
        h.region = static_cast<int>(rng.Below(internal::kRegions.size()));
        hs.push_back(std::move(h));
      }
      hosts.push_back(std::move(hs));
    }
    for (int l = 0; l < 4; ++l) {
      Cdf c;
      std::vector<int> idx;
      for (size_t t = 0; t < internal::kTemplates.size(); ++t) {
        if (static_cast<int>(internal::kTemplates[t].level) != l) continue;
        c.Add(internal::kTemplates[t].weight);
        idx.push_back(static_cast<int>(t));
      }
      templates_by_level[l] = std::move(c);
      template_index[l] = std::move(idx);
    }
    for (const auto& t : internal::kTemplates) compiled.push_back(CompileTemplate(t.text));
    needle_template = CompileTemplate(internal::kNeedleTemplate);
    for (const auto& s : internal::kInfoStatus) status_cdf[0].Add(s.weight);
    for (const auto& s : internal::kWarnStatus) status_cdf[1].Add(s.weight);
    for (const auto& s : internal::kErrorStatus) status_cdf[2].Add(s.weight);
    for (const auto& s : internal::kDebugStatus) status_cdf[3].Add(s.weight);
    for (int i = 0; i < kNormalTable; ++i) normal[i] = InverseNormal((i + 0.5) / kNormalTable);
    for (auto& t : traces) NewTrace(t);
    for (int k = 0; k < 5; ++k) needles[k] = NeedleLine(o.lines, k);
    mean_step_ns = o.lines > 0 ? static_cast<double>(o.span_ns) / static_cast<double>(o.lines) : 0;
    // The first line sits at the start; later ones advance by exponential gaps.
    SetSecond(o.start_ns / kNanosPerSecond);
  }

  static constexpr size_t kUsers = 200'000;
  static constexpr size_t kMaxLine = 16 << 10;  // well above the longest line we produce

  CorpusOptions options;
  Rng rng;
  Cdf services, users, other_services;
  std::vector<Cdf> endpoints;
  std::vector<std::vector<int>> endpoint_index;
  std::vector<std::vector<Host>> hosts;
  std::array<Cdf, 4> templates_by_level;
  std::array<std::vector<int>, 4> template_index;
  std::vector<std::vector<Piece>> compiled;
  std::vector<Piece> needle_template;
  std::array<Cdf, 4> status_cdf;
  std::array<double, kNormalTable> normal;
  std::array<std::array<uint64_t, 2>, 32> traces;  // traces in flight, shared by several lines
  std::array<uint64_t, 5> needles;

  uint64_t line = 0;
  double offset_ns = 0;  // time since options.start_ns
  double mean_step_ns = 0;
  int64_t cached_second = -1;
  char second_prefix[32];  // "YYYY-MM-DDTHH:MM:SS."
  int burst_service = -1;
  uint64_t burst_left = 0;

  // The line being written and its context for template variables.
  char buf[kMaxLine];
  char* p = buf;
  int service = 0;
  const Host* host = nullptr;
  const internal::EndpointSpec* endpoint = nullptr;
  char path[64];
  size_t path_len = 0;
  int status = 200;
  double latency_ms = 0;
  uint32_t user = 0;
  int other = 0;
  int attempt = 1;
  int backoff_ms = 0;
  int table = 0;
  int ms = 0;

  double Normal() { return normal[rng.Below(kNormalTable)]; }
  void NewTrace(std::array<uint64_t, 2>& t) { t = {rng.Next(), rng.Next()}; }

  void SetSecond(int64_t sec) {
    cached_second = sec;
    int64_t days = sec >= 0 ? sec / 86400 : (sec - 86399) / 86400;
    int64_t rem = sec - days * 86400;
    int64_t y;
    unsigned m, d;
    CivilFromDays(days, &y, &m, &d);
    std::snprintf(second_prefix, sizeof(second_prefix), "%04lld-%02u-%02uT%02d:%02d:%02d.",
                  static_cast<long long>(y), m, d, static_cast<int>(rem / 3600),
                  static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60));
  }

  // --- output helpers (no bounds checks: kMaxLine is far above any line) ---
  void Put(std::string_view s) {
    std::memcpy(p, s.data(), s.size());
    p += s.size();
  }
  void PutChar(char c) { *p++ = c; }
  void PutUint(uint64_t v) {
    char tmp[24];
    char* e = tmp + sizeof(tmp);
    char* b = e;
    do {
      *--b = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    Put(std::string_view(b, static_cast<size_t>(e - b)));
  }
  void PutPadded(uint64_t v, int width) {
    char* e = p + width;
    for (char* q = e; q > p;) {
      *--q = static_cast<char>('0' + v % 10);
      v /= 10;
    }
    p = e;
  }
  // A fixed two-decimal rendering, so the value always reads back as a JSON float.
  void PutFixed2(double v) {
    uint64_t hundredths = static_cast<uint64_t>(std::llround(v * 100));
    PutUint(hundredths / 100);
    PutChar('.');
    PutPadded(hundredths % 100, 2);
  }
  void PutHex(uint64_t v, int digits) {
    for (int i = digits - 1; i >= 0; --i) *p++ = kHexDigits[(v >> (4 * i)) & 15];
  }
  // Copies `s`, replacing each '#' with a random decimal digit, each '%' with a random hex digit,
  // and `{self}` with the service name.
  void PutPattern(std::string_view s) {
    for (size_t i = 0; i < s.size(); ++i) {
      char c = s[i];
      if (c == '#') {
        // The first digit of a run is never 0, as in line numbers and ids.
        const bool first = i == 0 || s[i - 1] != '#';
        *p++ = static_cast<char>(first ? '1' + rng.Below(9) : '0' + rng.Below(10));
      } else if (c == '%') {
        *p++ = kHexDigits[rng.Below(16)];
      } else if (c == '{' && s.substr(i, 6) == "{self}") {
        Put(internal::kServices[service].name);
        i += 5;
      } else {
        *p++ = c;
      }
    }
  }
  template <size_t N>
  std::string_view PickOf(const std::array<std::string_view, N>& a) {
    return a[rng.Below(N)];
  }
  void PutIp() {
    Put("10.");
    PutUint(rng.Below(4));
    PutChar('.');
    PutUint(rng.Below(256));
    PutChar('.');
    PutUint(1 + rng.Below(254));
  }
  void PutUser() {
    Put("u-");
    PutPadded(user, 6);
  }

  void WriteVar(Var v) {
    switch (v) {
      case Var::kMethod:
        Put(endpoint->method);
        break;
      case Var::kPath:
        Put(std::string_view(path, path_len));
        break;
      case Var::kStatus:
        PutUint(static_cast<uint64_t>(status));
        break;
      case Var::kLat:
        PutUint(static_cast<uint64_t>(latency_ms));
        break;
      case Var::kUser:
        PutUser();
        break;
      case Var::kIp:
        PutIp();
        break;
      case Var::kPort:
        PutUint(static_cast<uint64_t>(internal::kPorts[rng.Below(internal::kPorts.size())]));
        break;
      case Var::kOrder:
        Put("ord-");
        PutPadded(rng.Below(100'000'000), 8);
        break;
      case Var::kAmount:
        PutFixed2(std::exp(3.6 + 0.9 * Normal()));
        break;
      case Var::kCurrency:
        Put(PickOf(internal::kCurrencies));
        break;
      case Var::kCard:
        Put(PickOf(internal::kCards));
        break;
      case Var::kRatio:
        Put("0.");
        PutPadded(50 + rng.Below(50), 2);
        break;
      case Var::kCacheKey:
        Put(PickOf(internal::kCachePrefixes));
        break;
      case Var::kTopic:
        Put(PickOf(internal::kTopics));
        break;
      case Var::kJob:
        Put(PickOf(internal::kJobs));
        break;
      case Var::kMs:
        PutUint(static_cast<uint64_t>(ms));
        break;
      case Var::kTimeout:
        PutUint(static_cast<uint64_t>(internal::kTimeouts[rng.Below(internal::kTimeouts.size())]));
        break;
      case Var::kN10:
        PutUint(1 + rng.Below(10));
        break;
      case Var::kN100:
        PutUint(1 + rng.Below(100));
        break;
      case Var::kN1000:
        PutUint(1 + rng.Below(1000));
        break;
      case Var::kN10000:
        PutUint(1 + rng.Below(10000));
        break;
      case Var::kHex16:
        PutHex(rng.Next(), 16);
        break;
      case Var::kHex24:
        PutHex(rng.Next(), 16);
        PutHex(rng.Next(), 8);
        break;
      case Var::kCart:
        Put("c-");
        PutPadded(rng.Below(10'000'000), 7);
        break;
      case Var::kSku:
        Put("sku-");
        PutPadded(rng.Below(1'000'000), 6);
        break;
      case Var::kShip:
        Put("shp-");
        PutPadded(rng.Below(1'000'000'000), 9);
        break;
      case Var::kCarrier:
        Put(PickOf(internal::kCarriers));
        break;
      case Var::kWord:
        Put(PickOf(internal::kSearchWords));
        break;
      case Var::kSelf:
        Put(internal::kServices[service].name);
        break;
      case Var::kOther:
        Put(internal::kServices[other].name);
        break;
      case Var::kTable:
        Put(internal::kTables[table]);
        break;
      case Var::kAttempt:
        PutUint(static_cast<uint64_t>(attempt));
        break;
      case Var::kBackoff:
        PutUint(static_cast<uint64_t>(backoff_ms));
        break;
      case Var::kClient:
        Put(PickOf(internal::kClients));
        break;
      case Var::kPct:
        PutUint(80 + rng.Below(20));
        break;
      case Var::kHost:
        Put(host->name);
        break;
      case Var::kException:
        Put(PickOf(internal::kExceptions));
        break;
      case Var::kRpc:
        Put(PickOf(internal::kRpcs));
        break;
      case Var::kLock:
        Put(PickOf(internal::kLocks));
        break;
      case Var::kFlag:
        Put(PickOf(internal::kFlags));
        break;
      case Var::kBool:
        Put(rng.Chance(0.5) ? "true" : "false");
        break;
    }
  }

  void WriteTemplate(const std::vector<Piece>& pieces) {
    for (const Piece& piece : pieces) {
      Put(piece.literal);
      if (piece.has_var) WriteVar(piece.var);
    }
  }

  // A trace is a contiguous run of the language's frames, so traces repeat like real ones do.
  void WriteStack() {
    const Lang lang = internal::kServices[service].lang;
    switch (lang) {
      case Lang::kJava: {
        const auto& f = internal::kJavaFrames;
        Put(PickOf(internal::kJavaHeads));
        for (size_t i = rng.Below(f.size() - 3); i < f.size(); ++i) {
          Put("\\n\\tat ");
          PutPattern(f[i]);
        }
        if (rng.Chance(0.4)) {
          Put("\\nCaused by: ");
          Put(PickOf(internal::kJavaCauses));
          Put("\\n\\tat ");
          PutPattern(f[rng.Below(3)]);
          Put("\\n\\t... ");
          PutUint(5 + rng.Below(20));
          Put(" more");
        }
        break;
      }
      case Lang::kPython: {
        const auto& f = internal::kPythonFrames;
        Put("Traceback (most recent call last):");
        for (size_t i = 0, n = 3 + rng.Below(f.size() - 2); i < n; ++i) {
          Put("\\n");
          PutPattern(f[i]);
        }
        Put("\\n");
        Put(PickOf(internal::kPythonTails));
        break;
      }
      case Lang::kGo: {
        Put(PickOf(internal::kGoHeads));
        Put("\\n\\ngoroutine ");
        PutUint(1 + rng.Below(5000));
        Put(" [running]:");
        const auto& f = internal::kGoFrames;
        for (size_t i = rng.Below(3); i < f.size(); ++i) {
          Put("\\n");
          PutPattern(f[i]);
        }
        break;
      }
    }
  }

  // Writes one whole line into buf.
  void WriteLine() {
    p = buf;
    // Time: exponential gaps whose mean spreads the corpus over the configured span.
    if (line > 0) offset_ns += -std::log1p(-rng.Uniform()) * mean_step_ns;
    const int64_t t_ns = options.start_ns + static_cast<int64_t>(offset_ns);
    const int64_t sec = t_ns / kNanosPerSecond;
    if (sec != cached_second) SetSecond(sec);

    // Error bursts: one service at a time fails often for a while and logs more.
    if (burst_left > 0) {
      --burst_left;
    } else if (rng.Chance(1.0 / 20000)) {
      burst_service = static_cast<int>(services.Pick(rng));
      burst_left = 300 + rng.Below(2700);
    }
    const bool in_burst = burst_left > 0;
    service = in_burst && rng.Chance(0.25) ? burst_service : static_cast<int>(services.Pick(rng));

    Level level;
    if (in_burst && service == burst_service && rng.Chance(0.35)) {
      level = Level::kError;
    } else {
      double u = rng.Uniform();
      level = u < 0.80    ? Level::kInfo
              : u < 0.89  ? Level::kDebug
              : u < 0.965 ? Level::kWarn
                          : Level::kError;
    }
    const bool needle = line == needles[0] || line == needles[1] || line == needles[2] ||
                        line == needles[3] || line == needles[4];
    if (needle) level = Level::kWarn;
    const int li = static_cast<int>(level);

    const auto& hs = hosts[service];
    host = &hs[rng.Below(hs.size())];
    endpoint = &internal::kEndpoints[endpoint_index[service][endpoints[service].Pick(rng)]];
    {
      char* save = p;
      p = path;
      PutPattern(endpoint->path);
      path_len = static_cast<size_t>(p - path);
      p = save;
    }
    switch (level) {
      case Level::kInfo:
        status = internal::kInfoStatus[status_cdf[0].Pick(rng)].status;
        break;
      case Level::kWarn:
        status = internal::kWarnStatus[status_cdf[1].Pick(rng)].status;
        break;
      case Level::kError:
        status = internal::kErrorStatus[status_cdf[2].Pick(rng)].status;
        break;
      case Level::kDebug:
        status = internal::kDebugStatus[status_cdf[3].Pick(rng)].status;
        break;
    }
    double slow = level == Level::kError ? 4.0 : level == Level::kWarn ? 2.0 : 1.0;
    latency_ms = std::min(60000.0, endpoint->median_ms * slow * std::exp(0.9 * Normal()));
    user = static_cast<uint32_t>(users.Pick(rng));
    other = static_cast<int>(other_services.Pick(rng));
    if (other == service) other = (other + 1) % static_cast<int>(internal::kServices.size());
    attempt = 1 + static_cast<int>(rng.Below(4));
    backoff_ms = (100 << attempt) + static_cast<int>(rng.Below(100));
    table = static_cast<int>(rng.Below(internal::kTables.size()));
    ms = static_cast<int>(std::min(120000.0, 600 * std::exp(0.8 * Normal())));

    // Fixed part, in the contract's key order.
    Put("{\"timestamp\":\"");
    Put(second_prefix);
    PutPadded(static_cast<uint64_t>(t_ns / 1'000'000 % 1000), 3);
    Put("Z\",\"level\":\"");
    Put(internal::kLevelNames[li]);
    Put("\",\"service\":\"");
    Put(internal::kServices[service].name);
    Put("\",\"host\":\"");
    Put(host->name);
    Put("\",\"trace_id\":\"");
    auto& trace = traces[rng.Below(traces.size())];
    if (!rng.Chance(0.35)) NewTrace(trace);  // else: another line of a trace in flight
    PutHex(trace[0], 16);
    PutHex(trace[1], 16);
    Put("\",\"user_id\":\"");
    PutUser();
    Put("\",\"http\":{\"method\":\"");
    Put(endpoint->method);
    Put("\",\"path\":\"");
    Put(std::string_view(path, path_len));
    Put("\",\"status\":");
    PutUint(static_cast<uint64_t>(status));
    Put(",\"latency_ms\":");
    PutFixed2(latency_ms);
    Put(",\"bytes\":");
    PutUint(status == 204 || status == 304
                ? 0
                : static_cast<uint64_t>(1800 * std::exp(1.1 * Normal())));
    Put("},\"message\":\"");
    const internal::TemplateSpec* spec = nullptr;
    if (needle) {
      WriteTemplate(needle_template);
    } else {
      int t = template_index[li][templates_by_level[li].Pick(rng)];
      spec = &internal::kTemplates[t];
      WriteTemplate(compiled[t]);
    }
    PutChar('"');

    // Optional fields.
    if (rng.Chance(0.35)) {
      Put(",\"span_id\":\"");
      PutHex(rng.Next(), 16);
      PutChar('"');
    }
    if (rng.Chance(0.20)) {
      Put(",\"k8s\":{\"namespace\":\"prod\",\"pod\":\"");
      Put(host->name);
      Put("\",\"node\":\"");
      Put(host->node);
      Put("\"}");
    }
    if (rng.Chance(0.40)) {
      Put(",\"region\":\"");
      Put(internal::kRegions[host->region]);
      PutChar('"');
    }
    if (rng.Chance(0.10)) {
      int c = static_cast<int>(rng.Below(internal::kClientNames.size()));
      Put(",\"client\":{\"name\":\"");
      Put(internal::kClientNames[c]);
      Put("\",\"version\":\"");
      Put(internal::kClientVersions[c]);
      Put("\"}");
    }
    if (rng.Chance(0.06)) {
      Put(",\"tags\":[");
      const int n = 1 + static_cast<int>(rng.Below(3));
      for (int i = 0; i < n; ++i) {
        if (i > 0) PutChar(',');
        PutChar('"');
        Put(PickOf(internal::kTags));
        PutChar('"');
      }
      PutChar(']');
    }
    if ((level == Level::kInfo || level == Level::kDebug) && rng.Chance(0.10)) {
      Put(rng.Chance(0.8) ? ",\"cache_hit\":true" : ",\"cache_hit\":false");
    }
    const Extra extra = spec != nullptr ? spec->extra : Extra::kNone;
    if (extra == Extra::kRetry) {
      Put(",\"retry\":{\"attempt\":");
      PutUint(static_cast<uint64_t>(attempt));
      Put(",\"backoff_ms\":");
      PutUint(static_cast<uint64_t>(backoff_ms));
      PutChar('}');
    } else if (extra == Extra::kDb) {
      Put(",\"db\":{\"table\":\"");
      Put(internal::kTables[table]);
      Put("\",\"statement_ms\":");
      PutUint(static_cast<uint64_t>(ms));
      Put(",\"rows\":");
      PutUint(1 + rng.Below(50000));
      PutChar('}');
    } else if (extra == Extra::kError) {
      Put(",\"error\":{\"kind\":\"");
      Put(spec->error_kind);
      Put("\",\"code\":\"E");
      PutPadded(1000 + rng.Below(9000), 4);
      Put("\",\"retryable\":");
      Put(status == 503 || status == 504 ? "true" : "false");
      // Unhandled exceptions always carry their trace, other errors now and then (~1% of all
      // lines in the end).
      if (spec->error_kind == "UnhandledException" || rng.Chance(0.17)) {
        Put(",\"stack\":\"");
        WriteStack();
        PutChar('"');
      }
      PutChar('}');
    }
    Put("}\n");
    ++line;
  }
};

CorpusGenerator::CorpusGenerator(const CorpusOptions& options)
    : impl_(std::make_unique<Impl>(options)) {}
CorpusGenerator::~CorpusGenerator() = default;

size_t CorpusGenerator::Fill(std::string* out, size_t min_bytes) {
  size_t n = 0;
  while (out->size() < min_bytes && impl_->line < impl_->options.lines) {
    impl_->WriteLine();
    out->append(impl_->buf, static_cast<size_t>(impl_->p - impl_->buf));
    ++n;
  }
  return n;
}

bool CorpusGenerator::done() const { return impl_->line >= impl_->options.lines; }
uint64_t CorpusGenerator::lines_generated() const { return impl_->line; }

uint64_t CorpusGenerator::NeedleLine(uint64_t lines, int k) {
  return static_cast<uint64_t>(static_cast<__uint128_t>(lines) * (2 * k + 1) / 10);
}

}  // namespace lode::bench
