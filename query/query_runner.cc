#include "query/query_runner.h"

#include <algorithm>

#include "common/strings.h"
#include "common/time_util.h"
#include "query/filter.h"
#include "query/parser.h"

namespace lode::query {
namespace {

constexpr size_t kFlushBytes = 64 << 10;

}  // namespace

absl::StatusOr<absl::Duration> ParseQueryTimeout(std::string_view s) {
  if (s == "0") return absl::InfiniteDuration();
  std::optional<int64_t> ns = ParseDurationNanos(s);
  if (ns && *ns == 0) return absl::InfiniteDuration();
  if (!ns || *ns < 0) {
    return absl::InvalidArgumentError(StrCat(
        "invalid timeout '", s, "': expected a duration such as 30s, 500ms or 2m (0 for none)"));
  }
  return absl::Nanoseconds(*ns);
}

absl::StatusOr<std::unique_ptr<QueryRun>> QueryRun::Start(storage::Store* store,
                                                          const QueryRequest& req,
                                                          std::optional<QueryError>* query_error) {
  QueryError qe;
  absl::StatusOr<Query> q = ParseQuery(req.text, &qe);
  if (!q.ok()) {
    *query_error = qe;
    return q.status();
  }
  auto pipeline = Pipeline::Compile(req.text, q->pipes, &qe);
  if (!pipeline.ok()) {
    *query_error = qe;
    return pipeline.status();
  }
  std::unique_ptr<QueryRun> run(new QueryRun());
  run->req_ = req;
  run->pipeline_ = std::move(*pipeline);
  Pipeline& p = *run->pipeline_;
  SearchOptions& options = run->req_.search;
  if (req.timeout != absl::InfiniteDuration() && req.timeout > absl::ZeroDuration()) {
    options.deadline = std::min(options.deadline, absl::Now() + req.timeout);
  }
  p.set_memory_budget(options.memory_budget);
  // `--limit` caps what is printed, after the pipes; a count is of everything they output.
  if (!req.count) p.AddOutputLimit(req.search.limit);
  options.limit = p.CursorLimit();
  options.fields = p.DecodeFields(!req.count);
  auto cursor = QueryCursor::Open(store, *q->filter, options);
  if (!cursor.ok()) return cursor.status();
  run->cursor_ = std::move(*cursor);
  run->formatter_ = std::make_unique<ResultFormatter>(req.format);
  run->formatter_->SetFields(p.output_fields());
  return run;
}

bool QueryRun::Pull() {
  if (done_) return false;
  next_row_ = 0;
  const bool got = pipeline_->Next([this](RecordBatch* b) { return cursor_->Next(b); }, &batch_);
  // A cursor that stopped early ends the input; what the stages would make of the part they
  // saw (a sort of some records) is not the answer, so nothing more goes out.
  if (!got || !cursor_->status().ok()) {
    batch_.Clear();
    done_ = true;
    return false;
  }
  if (!req_.count) formatter_->SetBatch(&batch_);
  return true;
}

void QueryRun::Prime() {
  if (batch_.empty()) Pull();
}

bool QueryRun::Fill(std::string* out, size_t bytes) {
  const size_t start = out->size();
  while (out->size() - start < bytes) {
    if (next_row_ >= batch_.num_rows()) {
      if (!Pull()) return false;
      continue;
    }
    formatter_->AppendRow(next_row_++, out);
  }
  return true;
}

uint64_t QueryRun::Count() {
  if (pipeline_->KeepsRowCount()) {
    done_ = true;
    return cursor_->Count();
  }
  uint64_t n = 0;
  while (Pull()) n += batch_.num_rows();
  return n;
}

absl::Status QueryRun::status() const {
  if (!cursor_->status().ok()) return cursor_->status();
  return pipeline_->status();
}

std::string QueryRun::StopMessage(std::string_view timeout_knob) const {
  const absl::Status s = status();
  if (s.ok()) return "";
  if (s.code() == absl::StatusCode::kDeadlineExceeded) {
    const SearchStats& st = cursor_->stats();
    std::string m = "query timed out";
    if (req_.timeout != absl::InfiniteDuration()) {
      StrAppend(&m, " after ", absl::FormatDuration(req_.timeout));
    }
    StrAppend(&m, " (read ", st.blocks_read, " of ", st.blocks_considered,
              " blocks); narrow the time window or raise ", timeout_knob);
    return m;
  }
  return std::string(StatusMessage(s));
}

std::string QueryRun::Explain() const { return StrCat(cursor_->Explain(), pipeline_->Explain()); }

int RunQuery(storage::Store* store, const QueryRequest& req,
             absl::FunctionRef<void(std::string_view)> out,
             absl::FunctionRef<void(std::string_view)> err) {
  std::optional<QueryError> qe;
  auto started = QueryRun::Start(store, req, &qe);
  if (!started.ok()) {
    if (qe) {
      err(qe->Display(req.text));
    } else {
      err(StrCat("lode query: ", StatusMessage(started.status()), "\n"));
    }
    return kQueryFailed;
  }
  QueryRun& run = **started;
  std::string buf;
  if (req.count) {
    const uint64_t n = run.Count();
    if (run.status().ok()) buf = StrCat(n, "\n");
  } else {
    while (run.Fill(&buf, kFlushBytes)) {
      out(buf);
      buf.clear();
    }
  }
  if (!buf.empty()) out(buf);
  if (req.explain) err(run.Explain());
  for (const std::string& w : run.warnings()) err(StrCat("lode query: warning: skipped ", w, "\n"));
  if (!run.status().ok()) {
    err(StrCat("lode query: ", run.StopMessage("--timeout"), "\n"));
    return kQueryFailed;
  }
  if (run.warnings().empty()) return kQueryOk;
  err(StrCat("lode query: ", run.warnings().size(),
             " segment(s) or block(s) could not be read; the results may be incomplete\n"));
  return kQueryIncomplete;
}

}  // namespace lode::query
