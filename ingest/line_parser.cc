#include "ingest/line_parser.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include <simdjson.h>

#include "common/strings.h"
#include "common/time_util.h"
#include "common/utf8.h"

namespace lode::ingest {
using ::lode::StrCat;
namespace {

namespace od = simdjson::ondemand;

// Keys that carry the timestamp and the message, in priority order (the first present wins).
constexpr std::array<std::string_view, 5> kTimeKeys = {"_time", "@timestamp", "timestamp", "time",
                                                       "ts"};
constexpr std::array<std::string_view, 4> kMsgKeys = {"_msg", "message", "msg", "log"};
// Objects nested deeper than this are stored as their JSON text.
constexpr int kMaxDepth = 32;

template <size_t N>
int KeyIndex(const std::array<std::string_view, N>& keys, std::string_view k) {
  for (size_t i = 0; i < N; ++i) {
    if (keys[i] == k) return static_cast<int>(i);
  }
  return -1;
}

// The JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool IsJsonNumber(std::string_view s) {
  size_t i = 0;
  auto digits = [&] {
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > start;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (i < s.size() && s[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

std::string_view TrimSpace(std::string_view s) {
  size_t b = 0;
  while (b < s.size() && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r')) ++b;
  size_t e = s.size();
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) --e;
  return s.substr(b, e - b);
}

// Explains why `line` is not one JSON object, for the error message: a scan that tracks strings
// and nesting finds unterminated strings, unbalanced brackets and content after the object.
// Returns "" when the scan sees nothing wrong (simdjson's message is used then).
std::string DiagnoseJson(std::string_view line) {
  int depth = 0;
  size_t i = 0;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  for (; i < line.size(); ++i) {
    char c = line[i];
    if (c == '"') {
      size_t start = i;
      for (++i; i < line.size() && line[i] != '"'; ++i) {
        if (line[i] == '\\') ++i;
      }
      if (i >= line.size()) return StrCat("unterminated string starting at column ", start + 1);
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth < 0) return StrCat("unbalanced '", std::string(1, c), "' at column ", i + 1);
      if (depth == 0) {
        size_t j = i + 1;
        while (j < line.size() && (line[j] == ' ' || line[j] == '\t')) ++j;
        if (j < line.size()) return StrCat("unexpected content after the object at column ", j + 1);
        return "";
      }
    }
  }
  if (depth > 0) return "line ended before the object was closed (missing '}' or ']')";
  return "";
}

}  // namespace

absl::StatusOr<InputFormat> ParseInputFormat(std::string_view name) {
  if (name == "auto") return InputFormat::kAuto;
  if (name == "ndjson" || name == "json" || name == "jsonl") return InputFormat::kNdjson;
  if (name == "text" || name == "plain") return InputFormat::kText;
  return absl::InvalidArgumentError(
      StrCat("unknown input format '", name, "' (expected auto, ndjson or text)"));
}

struct LineParser::Impl {
  od::parser parser;
  std::string padded;  // copy of a line that lacks readable padding after it, or was repaired
  std::string key;     // dotted key being built while flattening

  // A time or message candidate seen at the top level: its raw value, kept until the end of
  // the line decides which one is used.
  struct Candidate {
    bool present = false;
    bool is_number = false;
    std::string_view text;  // string value, or the number's raw token
  };
  std::array<Candidate, kTimeKeys.size()> time_c;
  std::array<Candidate, kMsgKeys.size()> msg_c;

  // Adds value `v` under `key` (flattening objects). Returns a simdjson error or SUCCESS.
  simdjson::error_code AddValue(od::value v, int depth, RecordBatch* out) {
    od::json_type t;
    if (auto e = v.type().get(t)) return e;
    switch (t) {
      case od::json_type::string: {
        std::string_view s;
        if (auto e = v.get_string().get(s)) return e;
        out->AddString(key, s);
        return simdjson::SUCCESS;
      }
      case od::json_type::number:
        return AddNumber(v, out);
      case od::json_type::boolean: {
        bool b;
        if (auto e = v.get_bool().get(b)) return e;
        out->AddBool(key, b);
        return simdjson::SUCCESS;
      }
      case od::json_type::null:
        // JSON null carries no value: the field is absent.
        return v.is_null().error();
      case od::json_type::array: {
        od::array arr;
        if (auto e = v.get_array().get(arr)) return e;
        std::string_view raw;
        if (auto e = arr.raw_json().get(raw)) return e;
        out->AddString(key, raw);
        return simdjson::SUCCESS;
      }
      case od::json_type::object: {
        od::object obj;
        if (auto e = v.get_object().get(obj)) return e;
        if (depth >= kMaxDepth) {
          std::string_view raw;
          if (auto e = obj.raw_json().get(raw)) return e;
          out->AddString(key, raw);
          return simdjson::SUCCESS;
        }
        const size_t base = key.size();
        bool any = false;
        for (auto field : obj) {
          std::string_view k;
          if (auto e = field.unescaped_key().get(k)) return e;
          key.resize(base);
          key.push_back('.');
          key.append(k);
          od::value child;
          if (auto e = field.value().get(child)) return e;
          if (auto e = AddValue(child, depth + 1, out)) return e;
          any = true;
        }
        key.resize(base);
        if (!any) out->AddString(key, "{}");
        return simdjson::SUCCESS;
      }
    }
    return simdjson::INCORRECT_TYPE;
  }

  simdjson::error_code AddNumber(od::value v, RecordBatch* out) {
    const std::string_view raw = TrimSpace(v.raw_json_token());
    od::number n;
    if (auto e = v.get_number().get(n)) {
      // Valid JSON beyond int64 and double (huge integers, 1e400): keep the value as a double
      // when it is finite, else as its text; never reject the record for it. Anything that is
      // not a JSON number (0x1F, 1.5.5, -) is an error.
      if (!IsJsonNumber(raw)) return e;
      double d = std::strtod(std::string(raw).c_str(), nullptr);
      if (std::isfinite(d)) {
        out->AddDouble(key, d);
      } else {
        out->AddString(key, raw);
      }
      return simdjson::SUCCESS;
    }
    if (n.is_int64()) {
      out->AddInt(key, n.get_int64());
    } else {
      // Unsigned integers above INT64_MAX and floating-point numbers are stored as double.
      out->AddDouble(key, n.as_double());
    }
    return simdjson::SUCCESS;
  }

  // Records a scalar candidate value. Returns false when `v` is not a scalar of a usable kind
  // (then the key is an ordinary field).
  static bool Capture(od::value v, bool allow_number, Candidate* c) {
    od::json_type t;
    if (v.type().get(t)) return false;
    if (t == od::json_type::string) {
      if (v.get_string().get(c->text)) return false;
      c->present = true;
      c->is_number = false;
      return true;
    }
    if (t == od::json_type::number && allow_number) {
      c->text = TrimSpace(v.raw_json_token());
      // Not a JSON number (0x10): let the ordinary field path reject the line.
      if (!IsJsonNumber(c->text)) return false;
      c->is_number = true;
      c->present = true;
      return true;
    }
    return false;
  }

  // Parses one JSON line into a row of `out`. On failure the row is rolled back and `reason`
  // says why.
  bool ParseJson(std::string_view line, size_t readable, int64_t now_ns, RecordBatch* out,
                 std::string* reason) {
    for (auto& c : time_c) c = Candidate();
    for (auto& c : msg_c) c = Candidate();
    od::document doc;
    bool have_doc = false;  // a document that failed to start has no position to ask for
    auto fail = [&](simdjson::error_code e, std::string_view where) {
      out->AbortRow();
      std::string why = DiagnoseJson(line);
      if (!why.empty()) {
        *reason = StrCat("invalid JSON", where, ": ", why);
        return false;
      }
      const char* at = nullptr;
      if (have_doc && !doc.current_location().get(at) && at >= line.data() &&
          at <= line.data() + line.size()) {
        *reason = StrCat("invalid JSON at column ", static_cast<size_t>(at - line.data()) + 1,
                         where, ": ", simdjson::error_message(e));
      } else {
        *reason = StrCat("invalid JSON", where, ": ", simdjson::error_message(e));
      }
      return false;
    };
    if (auto e = parser.iterate(line.data(), line.size(), readable).get(doc)) return fail(e, "");
    have_doc = true;
    od::object obj;
    if (auto e = doc.get_object().get(obj)) {
      if (e != simdjson::INCORRECT_TYPE) return fail(e, "");
      out->AbortRow();
      *reason = "not a JSON object";
      return false;
    }
    out->BeginRow();
    for (auto field : obj) {
      std::string_view k;
      if (auto e = field.unescaped_key().get(k)) return fail(e, " (in a key)");
      od::value v;
      if (auto e = field.value().get(v)) return fail(e, "");
      // A repeated key: the last occurrence wins, as for ordinary fields.
      int ti = KeyIndex(kTimeKeys, k);
      if (ti >= 0 && Capture(v, true, &time_c[ti])) continue;
      int mi = KeyIndex(kMsgKeys, k);
      if (mi >= 0 && Capture(v, false, &msg_c[mi])) continue;
      // `_time` and `_msg` name the record's own timestamp and message on output; a value under
      // those keys that is not a usable timestamp or message is kept as `_time_raw`/`_msg_raw`.
      if (k == "_time") {
        key.assign("_time_raw");
      } else if (k == "_msg") {
        key.assign("_msg_raw");
      } else {
        key.assign(k);
      }
      if (auto e = AddValue(v, 1, out)) {
        return fail(e, StrCat(" at field '", SanitizeUtf8(key), "'"));
      }
    }
    // Anything after the object's closing brace is an error, not a second record.
    if (!doc.current_location().error()) {
      out->AbortRow();
      std::string why = DiagnoseJson(line);
      *reason = StrCat("invalid JSON: ", why.empty() ? "unexpected content after the object" : why);
      return false;
    }
    // Timestamp: the first present time key; when it does not parse, ingest time is used and the
    // original value stays a field under its key.
    int64_t ts = now_ns;
    for (size_t i = 0; i < time_c.size(); ++i) {
      Candidate& c = time_c[i];
      if (!c.present) continue;
      std::optional<int64_t> parsed;
      // Numbers go through their text so that decimal epochs keep their sub-second digits
      // exactly; exponent forms (1.7e9) go through double.
      parsed = ParseTimestamp(TrimSpace(c.text));
      if (!parsed && c.is_number)
        parsed = EpochToNanos(std::strtod(std::string(c.text).c_str(), nullptr));
      if (parsed) {
        ts = *parsed;
        c.present = false;
      }
      break;
    }
    for (size_t i = 0; i < time_c.size(); ++i) {
      const Candidate& c = time_c[i];
      if (!c.present) continue;
      // `_time` must not shadow the record's own `_time` on output.
      std::string_view name = i == 0 ? std::string_view("_time_raw") : kTimeKeys[i];
      if (!c.is_number) {
        out->AddString(name, c.text);
        continue;
      }
      int64_t iv;
      auto [p, ec] = std::from_chars(c.text.data(), c.text.data() + c.text.size(), iv);
      if (ec == std::errc() && p == c.text.data() + c.text.size()) {
        out->AddInt(name, iv);
      } else {
        out->AddDouble(name, std::strtod(std::string(c.text).c_str(), nullptr));
      }
    }
    std::string_view msg;
    bool have_msg = false;
    for (size_t i = 0; i < msg_c.size(); ++i) {
      const Candidate& c = msg_c[i];
      if (!c.present) continue;
      if (!have_msg) {
        msg = c.text;
        // Docker's json-file and many shippers end `log` with the line's newline: drop one.
        if (msg.ends_with("\r\n")) {
          msg.remove_suffix(2);
        } else if (msg.ends_with('\n')) {
          msg.remove_suffix(1);
        }
        have_msg = true;
      } else {
        out->AddString(kMsgKeys[i], c.text);
      }
    }
    out->EndRow(ts, msg);
    return true;
  }
};

LineParser::LineParser(InputFormat format) : impl_(std::make_unique<Impl>()), format_(format) {}
LineParser::~LineParser() = default;

uint64_t LineParser::Parse(std::string_view data, uint64_t first_line, int64_t now_ns,
                           RecordBatch* out) {
  uint64_t line_no = first_line;
  size_t pos = 0;
  std::string reason;
  uint64_t count = 0;
  while (pos < data.size()) {
    const char* nl =
        static_cast<const char*>(std::memchr(data.data() + pos, '\n', data.size() - pos));
    size_t end = nl ? static_cast<size_t>(nl - data.data()) : data.size();
    std::string_view line = data.substr(pos, end - pos);
    const size_t line_start = pos;
    pos = nl ? end + 1 : data.size();
    ++count;
    const uint64_t this_line = line_no++;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t first = 0;
    while (first < line.size() && (line[first] == ' ' || line[first] == '\t')) ++first;
    if (first == line.size()) continue;  // blank
    ++stats_.lines;

    bool json =
        format_ == InputFormat::kNdjson || (format_ == InputFormat::kAuto && line[first] == '{');
    const bool valid_utf8 = simdjson::validate_utf8(line.data(), line.size());
    if (!json) {
      if (valid_utf8) {
        out->BeginRow();
        out->EndRow(now_ns, line);
      } else {
        impl_->padded = SanitizeUtf8(line);
        out->BeginRow();
        out->EndRow(now_ns, impl_->padded);
      }
      ++stats_.accepted;
      continue;
    }
    // simdjson reads up to SIMDJSON_PADDING bytes past the end of the document: parse in place
    // when the rest of the buffer provides them, otherwise (or after UTF-8 repair) from a copy.
    std::string_view doc = line;
    size_t readable = data.size() - line_start;
    if (!valid_utf8) {
      impl_->padded.clear();
      AppendSanitizedUtf8(line, &impl_->padded);
      doc = impl_->padded;
      impl_->padded.resize(doc.size() + simdjson::SIMDJSON_PADDING);
      doc = std::string_view(impl_->padded.data(), doc.size());
      readable = impl_->padded.size();
    } else if (readable < line.size() + simdjson::SIMDJSON_PADDING) {
      impl_->padded.assign(line);
      impl_->padded.resize(line.size() + simdjson::SIMDJSON_PADDING);
      doc = std::string_view(impl_->padded.data(), line.size());
      readable = impl_->padded.size();
    }
    if (impl_->ParseJson(doc, readable, now_ns, out, &reason)) {
      ++stats_.accepted;
    } else {
      if (format_ == InputFormat::kAuto) {
        reason +=
            " (the line starts with '{', so it was read as JSON; --format text stores such "
            "lines as plain text)";
      }
      ++stats_.rejected;
      if (stats_.errors.size() < ParseStats::kMaxKeptErrors) {
        stats_.errors.push_back({this_line, reason});
      }
    }
  }
  return count;
}

}  // namespace lode::ingest
