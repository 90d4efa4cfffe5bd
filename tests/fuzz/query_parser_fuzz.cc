// libFuzzer target: the query language parser and the compiled filter on a small batch.
// Any input must give a Query or a positioned error, never a crash, hang or sanitizer report.
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
  auto q = lode::query::ParseQuery(text, &error);
  if (!q.ok()) {
    (void)error.ToString();
    return 0;
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
    b->EndRow(2, "caf\xC3\xA9 ok \xE6\x97\xA5\xE6\x9C\xAC");
    return b;
  }();
  lode::query::Filter filter = lode::query::Filter::Compile(*q->filter);
  lode::query::Selection sel;
  sel.Reset(batch->num_rows(), true);
  lode::query::FilterScratch scratch;
  filter.Evaluate(*batch, &sel, &scratch);
  return 0;
}
