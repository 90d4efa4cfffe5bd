// libFuzzer target: the query language parser and the compiled filter on a small batch.
// Any input must give a Query or a positioned error, never a crash, hang or sanitizer report.
// The batch has a field of each type, Unicode text and spread-out times, so that prefixes,
// field groups, ranges, regexes (`~"..."`) and `_time` filters all reach their evaluation.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/record_batch.h"
#include "query/filter.h"
#include "query/parser.h"
#include "query/selection.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  lode::query::QueryError error;
  lode::query::ParseOptions options;
  options.now_ns = 1'795'773'600'000'000'000;  // 2026-11-27T10:00:00Z: runs are reproducible
  auto q = lode::query::ParseQuery(text, options, &error);
  if (!q.ok()) {
    if (error.offset > text.size()) __builtin_trap();
    (void)error.Display(text);
    return 0;
  }
  (void)lode::query::DebugString(*q->filter);
  for (const lode::query::PipeStage& st : q->pipes) {
    if (st.name.empty() || st.pos >= text.size()) __builtin_trap();
    for (const auto& arg : st.args) {
      if (arg.pos >= text.size()) __builtin_trap();
    }
  }
  static const lode::RecordBatch* batch = [] {
    auto* b = new lode::RecordBatch();
    b->BeginRow();
    b->AddString("level", "error");
    b->AddInt("http.status", 503);
    b->AddDouble("lat", 12.5);
    b->AddBool("ok", false);
    b->EndRow(1, "connection refused by db-1 after 250ms");
    b->BeginRow();
    b->AddString("level", "info");
    b->AddString("host", "web-12");
    b->AddInt("http.status", INT64_MAX);
    b->EndRow(2, "caf\xC3\xA9 ok \xE6\x97\xA5\xE6\x9C\xAC");
    b->BeginRow();
    b->AddDouble("http.status", -0.5);
    b->AddString("tags", "[\"a\",\"b\"]");
    b->EndRow(1'795'773'599'000'000'000, "Timeout after 10.0.3.7 \xFF invalid utf-8");
    b->BeginRow();
    b->EndRow(INT64_MIN, "");
    return b;
  }();
  lode::query::Filter filter = lode::query::Filter::Compile(*q->filter);
  lode::query::Selection sel;
  sel.Reset(batch->num_rows(), true);
  lode::query::FilterScratch scratch;
  filter.Evaluate(*batch, &sel, &scratch);
  if (filter.matches_all() && sel.Count() != batch->num_rows()) __builtin_trap();
  return 0;
}
