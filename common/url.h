// Decoding of request targets: percent-decoding of the path and of query-string parameters.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace lode {

// Percent-decodes `in` into `out` (replacing its contents). With `plus_is_space`, '+' decodes to
// ' ' (application/x-www-form-urlencoded, used for query strings; not for paths). Returns false
// when a '%' is not followed by two hex digits.
bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out);

// Parses `a=1&b=x+y&c` into `out`: names and values percent-decoded with '+' as space, a name
// without '=' gets an empty value, empty pieces are skipped, and for a repeated name the first
// occurrence wins. Returns false on a malformed percent-escape (`out` is then partly filled).
bool ParseQueryString(std::string_view query, std::map<std::string, std::string>* out);

}  // namespace lode
