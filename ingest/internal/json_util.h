// Small JSON-writing helpers for the HTTP server and the ingest handlers: enough to build
// response bodies by hand without a JSON library on the write path.
#pragma once

#include <string>
#include <string_view>

namespace lode::ingest::internal {

// Appends `s` to `out` as a quoted JSON string. Control characters, '"' and '\\' are escaped;
// invalid UTF-8 is replaced with U+FFFD so the output is always valid JSON.
void AppendJsonString(std::string_view s, std::string* out);

// `{"error":"<message>"}`, the body of every error response.
std::string JsonError(std::string_view message);

}  // namespace lode::ingest::internal
