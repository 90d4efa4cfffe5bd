#include "ingest/ingest_handlers.h"

#include <array>
#include <memory>
#include <string>
#include <string_view>

#include "common/record_batch.h"
#include "common/strings.h"
#include "ingest/internal/http_router.h"
#include "ingest/internal/json_util.h"

namespace lode::ingest {
namespace {

using internal::AppendJsonString;
using internal::JsonErrorResponse;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// One parser per thread and format: the simdjson parser inside keeps its buffers between
// requests.
LineParser& ThreadParser(InputFormat format) {
  thread_local std::array<std::unique_ptr<LineParser>, 3> parsers;
  auto& p = parsers[static_cast<size_t>(format)];
  if (p == nullptr) p = std::make_unique<LineParser>(format);
  p->ResetStats();
  return *p;
}

std::string SummaryJson(const ParseStats& stats) {
  std::string out =
      StrCat("{\"stored\":", stats.accepted, ",\"rejected\":", stats.rejected, ",\"errors\":[");
  for (size_t i = 0; i < stats.errors.size(); ++i) {
    StrAppend(&out, i == 0 ? "" : ",", "{\"line\":", stats.errors[i].line, ",\"error\":");
    AppendJsonString(stats.errors[i].reason, &out);
    out.push_back('}');
  }
  out.append("]}");
  return out;
}

}  // namespace

HttpResponse HandleIngest(storage::Store* store, InputFormat format, const HttpRequest& request) {
  if (auto it = request.headers.find("content-encoding"); it != request.headers.end()) {
    std::string_view enc = Trim(it->second);
    if (!enc.empty() && !EqualsIgnoreCase(enc, "identity")) {
      return JsonErrorResponse(415,
                               StrCat("Content-Encoding '", enc,
                                      "' is not supported; send the body uncompressed (identity)"));
    }
  }
  std::string tenant(storage::kDefaultTenant);
  if (auto it = request.params.find("tenant"); it != request.params.end()) {
    tenant = it->second;
  } else if (auto h = request.headers.find("x-scope-orgid"); h != request.headers.end()) {
    tenant = std::string(Trim(h->second));
  }
  if (absl::Status s = storage::ValidateTenant(tenant); !s.ok()) {
    return JsonErrorResponse(400, StatusMessage(s));
  }

  LineParser& parser = ThreadParser(format);
  RecordBatch batch;
  parser.Parse(request.body, 1, store->env()->NowNanos(), &batch);
  const ParseStats& stats = parser.stats();
  if (!batch.empty()) {
    auto written = store->Write(std::move(batch), tenant);
    if (!written.ok()) {
      const int status = absl::IsResourceExhausted(written.status()) ? 507 : 503;
      return JsonErrorResponse(status, StrCat("storing the records failed, none acknowledged: ",
                                              StatusMessage(written.status())));
    }
  }
  HttpResponse response;
  response.status = stats.lines > 0 && stats.accepted == 0 ? 400 : 200;
  response.body = SummaryJson(stats);
  return response;
}

}  // namespace lode::ingest
