#include "query/query_runner.h"

#include "common/strings.h"
#include "query/filter.h"
#include "query/parser.h"

namespace lode::query {
namespace {

constexpr size_t kFlushBytes = 64 << 10;

}  // namespace

int RunQuery(storage::Store* store, const QueryRequest& req,
             absl::FunctionRef<void(std::string_view)> out,
             absl::FunctionRef<void(std::string_view)> err) {
  QueryError qe;
  absl::StatusOr<Query> q = ParseQuery(req.text, &qe);
  if (!q.ok()) {
    err(qe.Display(req.text));
    return kQueryFailed;
  }
  auto cursor = QueryCursor::Open(store, Filter::Compile(*q->filter), req.search);
  if (!cursor.ok()) {
    err(StrCat("lode query: ", StatusMessage(cursor.status()), "\n"));
    return kQueryFailed;
  }
  QueryCursor& c = **cursor;
  std::string buf;
  if (req.count) {
    buf = StrCat(c.Count(), "\n");
  } else {
    RecordBatch batch;
    ResultFormatter formatter(req.format);
    while (c.Next(&batch)) {
      formatter.SetBatch(&batch);
      for (uint32_t r = 0; r < batch.num_rows(); ++r) {
        formatter.AppendRow(r, &buf);
        if (buf.size() >= kFlushBytes) {
          out(buf);
          buf.clear();
        }
      }
    }
  }
  if (!buf.empty()) out(buf);
  if (c.warnings().empty()) return kQueryOk;
  for (const std::string& w : c.warnings()) err(StrCat("lode query: warning: skipped ", w, "\n"));
  err(StrCat("lode query: ", c.warnings().size(),
             " segment(s) or block(s) could not be read; the results may be incomplete\n"));
  return kQueryIncomplete;
}

}  // namespace lode::query
