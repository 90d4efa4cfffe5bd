#include "query/result_formatter.h"

#include "common/json_writer.h"
#include "common/strings.h"
#include "common/time_util.h"

namespace lode::query {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Appends `s` for a terminal: C0 controls, DEL and the C1 controls (U+0080..U+009F) are shown
// as escapes. With `quote`, also escapes '"' and '\' (the text is inside quotes).
void AppendDisplay(std::string_view s, bool quote, std::string* out) {
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) < 0xA0) {
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      const char esc[6] = {'\\', 'u', '0', '0', kHex[c1 >> 4], kHex[c1 & 15]};
      out->append(esc, sizeof(esc));
      ++i;
      continue;
    }
    if (c >= 0x20 && c != 0x7F) {
      if (quote && (c == '"' || c == '\\')) out->push_back('\\');
      out->push_back(static_cast<char>(c));
      continue;
    }
    switch (c) {
      case '\n':
        out->append("\\n");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\r':
        out->append("\\r");
        break;
      default: {
        const char esc[4] = {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
        out->append(esc, sizeof(esc));
      }
    }
  }
}

bool NeedsQuotes(std::string_view s) {
  if (s.empty()) return true;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == '"' || c == '=' || c == '\\' || c == 0x7F) return true;
  }
  return false;
}

// An int64, double or bool value as JSON (the same text in NDJSON and in the table).
void AppendNonString(const Column& c, uint32_t i, std::string* out) {
  switch (c.type) {
    case FieldType::kInt64:
      AppendJsonInt(c.ints[i], out);
      break;
    case FieldType::kDouble:
      AppendJsonDouble(c.doubles[i], out);
      break;
    case FieldType::kBool:
      out->append(c.ints[i] != 0 ? "true" : "false");
      break;
    case FieldType::kString:
      break;
  }
}

void AppendJsonValue(const Column& c, uint32_t i, std::string* out) {
  if (c.type == FieldType::kString) {
    AppendJsonString(c.strings.Get(i), out);
  } else {
    AppendNonString(c, i, out);
  }
}

// `name=value`, the value quoted when it holds spaces, quotes, '=' or nothing.
void AppendTableField(const Column& c, uint32_t i, std::string* out) {
  AppendDisplay(c.name, false, out);
  out->push_back('=');
  if (c.type != FieldType::kString) return AppendNonString(c, i, out);
  std::string_view v = c.strings.Get(i);
  if (NeedsQuotes(v)) {
    out->push_back('"');
    AppendDisplay(v, true, out);
    out->push_back('"');
  } else {
    AppendDisplay(v, false, out);
  }
}

void AppendTableTime(int64_t ns, std::string* out) {
  // Milliseconds are enough to read; NDJSON keeps the nanoseconds.
  std::string ts = FormatRfc3339Nanos(ns);
  if (ts.size() == 30) ts.replace(23, 7, "Z");
  out->append(ts);
}

}  // namespace

absl::StatusOr<OutputFormat> ParseOutputFormat(std::string_view name) {
  if (name == "ndjson" || name == "json" || name == "jsonl") return OutputFormat::kNdjson;
  if (name == "table") return OutputFormat::kTable;
  return absl::InvalidArgumentError(
      StrCat("unknown output format '", name, "' (expected ndjson or table)"));
}

void ResultFormatter::SetBatch(const RecordBatch* batch) {
  batch_ = batch;
  if (fields_) {
    field_columns_.assign(fields_->size(), {});
    const std::vector<Column>& cols = batch->columns();
    for (size_t f = 0; f < fields_->size(); ++f) {
      for (size_t ci = 0; ci < cols.size(); ++ci) {
        if (cols[ci].name == (*fields_)[f]) field_columns_[f].push_back(static_cast<uint32_t>(ci));
      }
    }
    return;
  }
  const size_t n = batch->num_rows();
  offsets_.assign(n + 1, 0);
  const std::vector<Column>& cols = batch->columns();
  for (const Column& c : cols) {
    for (uint32_t r : c.rows) ++offsets_[r + 1];
  }
  for (size_t r = 0; r < n; ++r) offsets_[r + 1] += offsets_[r];
  refs_.resize(offsets_[n]);
  std::vector<uint32_t> fill(offsets_.begin(), offsets_.end() - 1);
  for (size_t ci = 0; ci < cols.size(); ++ci) {
    const Column& c = cols[ci];
    for (size_t i = 0; i < c.rows.size(); ++i) {
      refs_[fill[c.rows[i]]++] = {static_cast<uint32_t>(ci), static_cast<uint32_t>(i)};
    }
  }
}

void ResultFormatter::AppendRow(uint32_t row, std::string* out) const {
  if (fields_) {
    AppendProjected(row, out);
  } else if (format_ == OutputFormat::kNdjson) {
    AppendNdjson(row, out);
  } else {
    AppendTable(row, out);
  }
}

void ResultFormatter::AppendNdjson(uint32_t row, std::string* out) const {
  out->append("{\"_time\":\"");
  AppendRfc3339Nanos(batch_->time(row), out);
  out->append("\",\"_msg\":");
  AppendJsonString(batch_->message(row), out);
  const std::vector<Column>& cols = batch_->columns();
  for (uint32_t k = offsets_[row]; k < offsets_[row + 1]; ++k) {
    const Column& c = cols[refs_[k].column];
    const uint32_t i = refs_[k].value;
    out->push_back(',');
    AppendJsonString(c.name, out);
    out->push_back(':');
    AppendJsonValue(c, i, out);
  }
  out->append("}\n");
}

void ResultFormatter::AppendTable(uint32_t row, std::string* out) const {
  AppendTableTime(batch_->time(row), out);
  out->append("  ");
  AppendDisplay(batch_->message(row), false, out);
  const std::vector<Column>& cols = batch_->columns();
  for (uint32_t k = offsets_[row]; k < offsets_[row + 1]; ++k) {
    out->append(k == offsets_[row] ? "  " : " ");
    AppendTableField(cols[refs_[k].column], refs_[k].value, out);
  }
  out->push_back('\n');
}

void ResultFormatter::AppendProjected(uint32_t row, std::string* out) const {
  const bool json = format_ == OutputFormat::kNdjson;
  if (json) out->push_back('{');
  bool first = true;
  bool prev_wide = false;  // table: _time and _msg stand apart from name=value pairs
  const std::vector<Column>& cols = batch_->columns();
  for (size_t f = 0; f < fields_->size(); ++f) {
    const std::string& name = (*fields_)[f];
    const bool is_time = name == "_time";
    const bool is_msg = name == "_msg";
    const Column* col = nullptr;
    int64_t vi = -1;
    if (!is_time && !is_msg) {
      for (uint32_t ci : field_columns_[f]) {
        vi = cols[ci].Find(row);
        if (vi >= 0) {
          col = &cols[ci];
          break;
        }
      }
      if (col == nullptr) continue;
    }
    const bool wide = is_time || is_msg;
    if (!first) {
      if (json) {
        out->push_back(',');
      } else {
        out->append(wide || prev_wide ? "  " : " ");
      }
    }
    first = false;
    prev_wide = wide;
    if (json) {
      AppendJsonString(name, out);
      out->push_back(':');
      if (is_time) {
        out->push_back('"');
        AppendRfc3339Nanos(batch_->time(row), out);
        out->push_back('"');
      } else if (is_msg) {
        AppendJsonString(batch_->message(row), out);
      } else {
        AppendJsonValue(*col, static_cast<uint32_t>(vi), out);
      }
    } else if (is_time) {
      AppendTableTime(batch_->time(row), out);
    } else if (is_msg) {
      AppendDisplay(batch_->message(row), false, out);
    } else {
      AppendTableField(*col, static_cast<uint32_t>(vi), out);
    }
  }
  out->append(json ? "}\n" : "\n");
}

}  // namespace lode::query
