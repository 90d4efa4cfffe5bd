// Writing JSON text by hand (query results, HTTP bodies): string escaping and numbers that
// round-trip.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace lode {

// Appends `s` (valid UTF-8) as a JSON string literal with its quotes: `"` and `\` are escaped,
// \n \r \t \b \f use their short escapes, other control characters (< 0x20) become \u00XX;
// every other byte is copied as is.
void AppendJsonString(std::string_view s, std::string* out);

// Appends a double as the shortest JSON number that reads back to the same value, with ".0"
// added when it would otherwise look like an integer (so it stays a double when re-ingested).
// NaN and infinities, which JSON cannot express, become null.
void AppendJsonDouble(double d, std::string* out);

void AppendJsonInt(int64_t v, std::string* out);

}  // namespace lode
