#include "ingest/internal/json_util.h"

#include "common/json_writer.h"
#include "common/utf8.h"

namespace lode::ingest::internal {

void AppendJsonString(std::string_view s, std::string* out) {
  if (IsValidUtf8(s)) {
    lode::AppendJsonString(s, out);
  } else {
    lode::AppendJsonString(SanitizeUtf8(s), out);
  }
}

std::string JsonError(std::string_view message) {
  std::string out = "{\"error\":";
  AppendJsonString(message, &out);
  out.push_back('}');
  return out;
}

}  // namespace lode::ingest::internal
