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

}  // namespace

absl::StatusOr<OutputFormat> ParseOutputFormat(std::string_view name) {
  if (name == "ndjson" || name == "json" || name == "jsonl") return OutputFormat::kNdjson;
  if (name == "table") return OutputFormat::kTable;
  return absl::InvalidArgumentError(
      StrCat("unknown output format '", name, "' (expected ndjson or table)"));
}

void ResultFormatter::SetBatch(const RecordBatch* batch) {
  batch_ = batch;
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
  if (format_ == OutputFormat::kNdjson) {
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
    switch (c.type) {
      case FieldType::kString:
        AppendJsonString(c.strings.Get(i), out);
        break;
      default:
        AppendNonString(c, i, out);
        break;
    }
  }
  out->append("}\n");
}

void ResultFormatter::AppendTable(uint32_t row, std::string* out) const {
  // Milliseconds are enough to read; NDJSON keeps the nanoseconds.
  std::string ts = FormatRfc3339Nanos(batch_->time(row));
  if (ts.size() == 30) ts.replace(23, 7, "Z");
  out->append(ts);
  out->append("  ");
  AppendDisplay(batch_->message(row), false, out);
  const std::vector<Column>& cols = batch_->columns();
  for (uint32_t k = offsets_[row]; k < offsets_[row + 1]; ++k) {
    const Column& c = cols[refs_[k].column];
    const uint32_t i = refs_[k].value;
    out->append(k == offsets_[row] ? "  " : " ");
    AppendDisplay(c.name, false, out);
    out->push_back('=');
    switch (c.type) {
      case FieldType::kString: {
        std::string_view v = c.strings.Get(i);
        if (NeedsQuotes(v)) {
          out->push_back('"');
          AppendDisplay(v, true, out);
          out->push_back('"');
        } else {
          AppendDisplay(v, false, out);
        }
        break;
      }
      default:
        AppendNonString(c, i, out);
        break;
    }
  }
  out->push_back('\n');
}

}  // namespace lode::query
