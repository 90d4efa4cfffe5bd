// UTF-8 validation and repair. lode never rejects a record for bad UTF-8: invalid sequences are
// replaced with U+FFFD so that every stored string is valid UTF-8.
#pragma once

#include <string>
#include <string_view>

namespace lode {

bool IsValidUtf8(std::string_view s);
// Appends `s` to `out` with each maximal invalid subsequence replaced by U+FFFD (EF BF BD).
void AppendSanitizedUtf8(std::string_view s, std::string* out);
std::string SanitizeUtf8(std::string_view s);

}  // namespace lode
