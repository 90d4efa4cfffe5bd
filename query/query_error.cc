#include "query/query_error.h"

#include <algorithm>

#include "common/strings.h"

namespace lode::query {
namespace {

bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

int CountChars(std::string_view s) {
  int n = 0;
  for (char c : s) n += IsContinuationByte(c) ? 0 : 1;
  return n;
}

}  // namespace

QueryError QueryError::At(std::string_view query, size_t offset, std::string message) {
  QueryError e;
  e.offset = std::min(offset, query.size());
  e.message = std::move(message);
  std::string_view before = query.substr(0, e.offset);
  size_t line_start = before.rfind('\n');
  line_start = line_start == std::string_view::npos ? 0 : line_start + 1;
  e.line = 1 + static_cast<int>(std::count(before.begin(), before.end(), '\n'));
  e.column = 1 + CountChars(before.substr(line_start));
  e.position = 1 + CountChars(before);
  return e;
}

std::string QueryError::ToString() const {
  return StrCat("error at ", line, ":", column, ": ", message);
}

std::string QueryError::Display(std::string_view query) const {
  std::string out = ToString();
  out.push_back('\n');
  size_t off = std::min(offset, query.size());
  size_t begin = query.substr(0, off).rfind('\n');
  begin = begin == std::string_view::npos ? 0 : begin + 1;
  size_t end = query.find('\n', off);
  if (end == std::string_view::npos) end = query.size();
  std::string_view line_text = query.substr(begin, end - begin);
  if (!line_text.empty() && line_text.back() == '\r') line_text.remove_suffix(1);
  out.append(line_text);
  out.push_back('\n');
  for (char c : query.substr(begin, off - begin)) {
    if (IsContinuationByte(c)) continue;
    out.push_back(c == '\t' ? '\t' : ' ');
  }
  out.append("^\n");
  return out;
}

absl::Status QueryError::ToStatus() const { return absl::InvalidArgumentError(ToString()); }

}  // namespace lode::query
