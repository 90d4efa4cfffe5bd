#include "query/pipeline.h"

#include <deque>
#include <string>
#include <variant>
#include <vector>

#include "gtest/gtest.h"

#include "common/strings.h"

namespace lode::query {
namespace {

// Builds the stages after the first '|' of `text` the simple way the parser does (words split at
// blanks, "quoted" strings unescaped), independent of the parser, with byte positions.
std::vector<PipeStage> Stages(std::string_view text) {
  auto blank = [&](size_t i) { return text[i] == ' ' || text[i] == '\n'; };
  std::vector<PipeStage> out;
  size_t p = text.find('|');
  while (p != std::string_view::npos && p < text.size()) {
    ++p;  // '|'
    while (p < text.size() && blank(p)) ++p;
    PipeStage st;
    st.pos = p;
    while (p < text.size() && !blank(p) && text[p] != '|') st.name.push_back(text[p++]);
    for (;;) {
      while (p < text.size() && blank(p)) ++p;
      if (p >= text.size() || text[p] == '|') break;
      PipeStage::Arg a;
      a.pos = p;
      if (text[p] == '"') {
        a.quoted = true;
        for (++p; p < text.size() && text[p] != '"'; ++p) {
          if (text[p] == '\\') ++p;
          a.text.push_back(text[p]);
        }
        ++p;
      } else {
        while (p < text.size() && !blank(p) && text[p] != '|') a.text.push_back(text[p++]);
      }
      st.args.push_back(std::move(a));
    }
    out.push_back(std::move(st));
  }
  return out;
}

std::unique_ptr<Pipeline> MustCompile(std::string_view text) {
  QueryError e;
  auto p = Pipeline::Compile(text, Stages(text), &e);
  EXPECT_TRUE(p.ok()) << text << ": " << p.status();
  return p.ok() ? std::move(*p) : nullptr;
}

// "error at L:C: message" for a query that must not compile.
std::string CompileError(std::string_view text) {
  QueryError e;
  auto p = Pipeline::Compile(text, Stages(text), &e);
  if (p.ok()) return "compiled";
  EXPECT_EQ(p.status().message(), e.ToString());
  return e.ToString();
}

using Value = std::variant<int64_t, double, bool, std::string>;
struct Row {
  int64_t time;
  std::string msg;
  std::vector<std::pair<std::string, Value>> fields;
};

RecordBatch MakeBatch(const std::vector<Row>& rows) {
  RecordBatch b;
  for (const Row& r : rows) {
    b.BeginRow();
    for (const auto& [name, v] : r.fields) {
      if (auto* i = std::get_if<int64_t>(&v)) b.AddInt(name, *i);
      if (auto* d = std::get_if<double>(&v)) b.AddDouble(name, *d);
      if (auto* x = std::get_if<bool>(&v)) b.AddBool(name, *x);
      if (auto* s = std::get_if<std::string>(&v)) b.AddString(name, *s);
    }
    b.EndRow(r.time, r.msg);
  }
  return b;
}

// Feeds `inputs` through `p`; returns the messages of the output rows, in order, and counts
// how many input batches were pulled.
struct RunResult {
  std::vector<std::string> messages;
  size_t pulled = 0;
  std::vector<std::string> columns;  // names of the columns seen in the output, in order
};
RunResult RunPipe(Pipeline* p, std::vector<RecordBatch> inputs) {
  RunResult res;
  std::deque<RecordBatch> q;
  for (RecordBatch& b : inputs) q.push_back(std::move(b));
  RecordBatch out;
  auto source = [&](RecordBatch* b) {
    if (q.empty()) return false;
    ++res.pulled;
    *b = std::move(q.front());
    q.pop_front();
    return true;
  };
  while (p->Next(source, &out)) {
    EXPECT_GT(out.num_rows(), 0u);
    for (uint32_t r = 0; r < out.num_rows(); ++r) res.messages.emplace_back(out.message(r));
    for (const Column& c : out.columns()) {
      if (std::find(res.columns.begin(), res.columns.end(), c.name) == res.columns.end()) {
        res.columns.push_back(c.name);
      }
    }
  }
  EXPECT_FALSE(p->Next(source, &out));
  return res;
}

std::vector<std::string> Messages(std::string_view query, std::vector<RecordBatch> inputs) {
  std::unique_ptr<Pipeline> p = MustCompile(query);
  if (p == nullptr) return {};
  RunResult r = RunPipe(p.get(), std::move(inputs));
  EXPECT_TRUE(p->status().ok()) << p->status();
  return r.messages;
}

std::vector<RecordBatch> One(const std::vector<Row>& rows) {
  std::vector<RecordBatch> v;
  v.push_back(MakeBatch(rows));
  return v;
}

using Names = std::vector<std::string>;

TEST(PipelineCompileTest, ErrorsPointAtTheMistake) {
  EXPECT_EQ(CompileError("error | lmit 5"),
            "error at 1:9: unknown pipe stage 'lmit' (stages: fields, sort, limit, head)");
  EXPECT_EQ(CompileError("* | stats count()"),
            "error at 1:5: pipe stage 'stats' is not supported yet");
  EXPECT_EQ(CompileError("* | limit"), "error at 1:10: expected a number after 'limit'");
  EXPECT_EQ(CompileError("* | limit x5"),
            "error at 1:11: expected a number after 'limit', got 'x5'");
  EXPECT_EQ(CompileError("* | limit \"5\""),
            "error at 1:11: expected a number after 'limit', got '5'");
  EXPECT_EQ(CompileError("* | limit -1"),
            "error at 1:11: expected a number after 'limit', got '-1'");
  EXPECT_EQ(CompileError("* | limit 0"), "error at 1:11: 'limit' needs a number of at least 1");
  EXPECT_EQ(CompileError("* | limit 5 6"), "error at 1:13: unexpected '6' after 'limit 5'");
  EXPECT_EQ(CompileError("* | head ten"),
            "error at 1:10: expected a number after 'head', got 'ten'");
  EXPECT_EQ(CompileError("* | fields"), "error at 1:11: expected field names after 'fields'");
  EXPECT_EQ(CompileError("* | fields a,"), "error at 1:14: expected a field name after ','");
  EXPECT_EQ(CompileError("* | fields a,,b"), "error at 1:14: expected a field name before ','");
  EXPECT_EQ(CompileError("* | fields , a"), "error at 1:12: expected a field name before ','");
  EXPECT_EQ(CompileError("* | fields (a)"), "error at 1:12: unexpected '(' in 'fields'");
  EXPECT_EQ(CompileError("* | fields \"\""),
            "error at 1:12: expected a field name, got an empty string");
  EXPECT_EQ(CompileError("* | sort"),
            "error at 1:9: expected the fields to sort by, e.g. 'sort by (field desc)'");
  EXPECT_EQ(CompileError("* | sort by"),
            "error at 1:12: expected the fields to sort by, e.g. 'sort by (field desc)'");
  EXPECT_EQ(CompileError("* | sort by (a"), "error at 1:15: expected ')'");
  EXPECT_EQ(CompileError("* | sort by (a,"), "error at 1:16: expected a field name to sort by");
  EXPECT_EQ(CompileError("* | sort by (a b)"), "error at 1:16: expected ',' or ')', got 'b'");
  EXPECT_EQ(CompileError("* | sort by ()"),
            "error at 1:14: expected a field name to sort by, got ')'");
  EXPECT_EQ(CompileError("* | sort by a b"),
            "error at 1:15: unexpected 'b' in 'sort' (separate fields with ',')");
  EXPECT_EQ(CompileError("* | sort by (a) desc x"),
            "error at 1:22: unexpected 'x' in 'sort' (separate fields with ',')");
  // The second stage's mistake, on the second line.
  EXPECT_EQ(CompileError("*\n| limit 5\n| fields"),
            "error at 3:9: expected field names after 'fields'");
}

TEST(PipelineCompileTest, AcceptedForms) {
  for (std::string_view q :
       {"* | fields a, b", "* | fields a,b", "* | fields a b", "* | fields \"a b\", _time",
        "* | sort by (a)", "* | sort by (a, b)", "* | sort by (a desc, b asc) desc",
        "* | sort by a desc", "* | sort by a, b desc", "* | sort (a)", "* | head", "* | head 3",
        "* | limit 18446744073709551615", "* | sort by (\"desc\")"}) {
    EXPECT_NE(MustCompile(q), nullptr) << q;
  }
  std::unique_ptr<Pipeline> p = MustCompile("*");
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->empty());
}

TEST(PipelinePlanTest, CursorLimit) {
  EXPECT_EQ(MustCompile("*")->CursorLimit(), 0u);
  EXPECT_EQ(MustCompile("* | limit 7")->CursorLimit(), 7u);
  EXPECT_EQ(MustCompile("* | head")->CursorLimit(), 10u);
  EXPECT_EQ(MustCompile("* | fields a | limit 7 | head 3")->CursorLimit(), 3u);
  EXPECT_EQ(MustCompile("* | limit 100 | sort by (x) | head 5")->CursorLimit(), 100u);
  EXPECT_EQ(MustCompile("* | sort by (x) | limit 5")->CursorLimit(), 0u);
  std::unique_ptr<Pipeline> p = MustCompile("* | fields a");
  p->AddOutputLimit(50);
  EXPECT_EQ(p->CursorLimit(), 50u);
  p = MustCompile("* | limit 20");
  p->AddOutputLimit(50);
  EXPECT_EQ(p->CursorLimit(), 20u);
  p = MustCompile("* | sort by (x)");
  p->AddOutputLimit(50);
  EXPECT_EQ(p->CursorLimit(), 0u);
  EXPECT_NE(p->Explain().find("sort by (x) keeping the first 50"), std::string::npos)
      << p->Explain();
  p = MustCompile("* | limit 5");
  p->AddOutputLimit(0);  // no final cap
  EXPECT_EQ(p->CursorLimit(), 5u);
}

TEST(PipelinePlanTest, Columns) {
  using Opt = std::optional<Names>;
  EXPECT_EQ(MustCompile("*")->DecodeFields(true), std::nullopt);
  EXPECT_EQ(MustCompile("*")->DecodeFields(false), Opt(Names{}));
  EXPECT_EQ(MustCompile("* | sort by (x)")->DecodeFields(true), std::nullopt);
  EXPECT_EQ(MustCompile("* | sort by (x)")->DecodeFields(false), Opt(Names{"x"}));
  EXPECT_EQ(MustCompile("* | fields b, _msg, a")->DecodeFields(true), Opt(Names{"b", "_msg", "a"}));
  EXPECT_EQ(MustCompile("* | fields b, _msg, a")->DecodeFields(false), Opt(Names{}));
  EXPECT_EQ(MustCompile("* | sort by (s) | fields a")->DecodeFields(true), Opt(Names{"a", "s"}));
  EXPECT_EQ(MustCompile("* | fields a | sort by (s)")->DecodeFields(true), Opt(Names{"a"}));
  EXPECT_EQ(MustCompile("* | fields a, a, b")->DecodeFields(true), Opt(Names{"a", "b"}));

  EXPECT_EQ(MustCompile("*")->output_fields(), std::nullopt);
  EXPECT_EQ(MustCompile("* | fields b, _time, a")->output_fields(), Opt(Names{"b", "_time", "a"}));
  // A later fields stage can only narrow and reorder what an earlier one kept.
  EXPECT_EQ(MustCompile("* | fields a, b, _msg | fields _msg, c, a")->output_fields(),
            Opt(Names{"_msg", "a"}));

  EXPECT_TRUE(MustCompile("*")->KeepsRowCount());
  EXPECT_TRUE(MustCompile("* | fields a | sort by (a)")->KeepsRowCount());
  EXPECT_FALSE(MustCompile("* | head")->KeepsRowCount());
}

TEST(PipelineRunTest, LimitStopsPullingInput) {
  std::vector<RecordBatch> in;
  for (int b = 0; b < 10; ++b) {
    std::vector<Row> rows;
    for (int r = 0; r < 3; ++r) rows.push_back({100 - b * 3 - r, StrCat("m", b * 3 + r), {}});
    in.push_back(MakeBatch(rows));
  }
  std::unique_ptr<Pipeline> p = MustCompile("* | limit 5");
  RunResult r = RunPipe(p.get(), std::move(in));
  EXPECT_EQ(r.messages, (Names{"m0", "m1", "m2", "m3", "m4"}));
  EXPECT_EQ(r.pulled, 2u);
}

TEST(PipelineRunTest, HeadDefaultsToTen) {
  std::vector<Row> rows;
  for (int i = 0; i < 25; ++i) rows.push_back({100 - i, StrCat("m", i), {}});
  EXPECT_EQ(Messages("* | head", One(rows)).size(), 10u);
  EXPECT_EQ(Messages("* | head 3 | limit 2", One(rows)), (Names{"m0", "m1"}));
  EXPECT_EQ(Messages("* | limit 30", One(rows)).size(), 25u);
}

TEST(PipelineRunTest, FieldsDropColumnsBeforeALaterSort) {
  std::vector<Row> rows = {{3, "c", {{"a", int64_t{1}}, {"s", int64_t{1}}}},
                           {2, "b", {{"a", int64_t{2}}, {"s", int64_t{3}}}},
                           {1, "a", {{"a", int64_t{3}}, {"s", int64_t{2}}}}};
  // `s` is gone when the sort runs: every row sorts as missing, so the order stays.
  std::unique_ptr<Pipeline> p = MustCompile("* | fields a | sort by (s)");
  RunResult r = RunPipe(p.get(), One(rows));
  EXPECT_EQ(r.messages, (Names{"c", "b", "a"}));
  EXPECT_EQ(r.columns, (Names{"a"}));
  EXPECT_EQ(Messages("* | sort by (s) | fields a", One(rows)), (Names{"c", "a", "b"}));
}

TEST(PipelineRunTest, SortOrdersTypesAndPutsMissingLast) {
  // Spread over several batches, newest first, as the cursor delivers them.
  std::vector<RecordBatch> in;
  in.push_back(MakeBatch({{10, "str-b", {{"x", std::string("b")}}},
                          {9, "int-10", {{"x", int64_t{10}}}},
                          {8, "missing-1", {}}}));
  in.push_back(MakeBatch({{7, "dbl-2.5", {{"x", 2.5}}},
                          {6, "true", {{"x", true}}},
                          {5, "str-A", {{"x", std::string("A")}}}}));
  in.push_back(MakeBatch({{4, "int-2", {{"x", int64_t{2}}}},
                          {3, "missing-2", {{"y", int64_t{1}}}},
                          {2, "false", {{"x", false}}},
                          {1, "dbl-neg", {{"x", -0.5}}}}));
  auto copy = [&] {
    std::vector<RecordBatch> v;
    for (const RecordBatch& b : in) {
      std::vector<uint32_t> all(b.num_rows());
      for (uint32_t i = 0; i < all.size(); ++i) all[i] = i;
      v.push_back(b.Select(all));
    }
    return v;
  };
  EXPECT_EQ(Messages("* | sort by (x)", copy()),
            (Names{"dbl-neg", "int-2", "dbl-2.5", "int-10", "false", "true", "str-A", "str-b",
                   "missing-1", "missing-2"}));
  // Descending reverses the present values; missing ones stay last, in arrival order.
  EXPECT_EQ(Messages("* | sort by (x desc)", copy()),
            (Names{"str-b", "str-A", "true", "false", "int-10", "dbl-2.5", "int-2", "dbl-neg",
                   "missing-1", "missing-2"}));
  EXPECT_EQ(Messages("* | sort by (x) desc", copy()), Messages("* | sort by x desc", copy()));
  EXPECT_EQ(Messages("* | sort by (_time)", copy()),
            (Names{"dbl-neg", "false", "missing-2", "int-2", "str-A", "true", "dbl-2.5",
                   "missing-1", "int-10", "str-b"}));
  EXPECT_EQ(Messages("* | sort by (_msg) | head 3", copy()),
            (Names{"dbl-2.5", "dbl-neg", "false"}));
}

TEST(PipelineRunTest, SortIsStableAndTakesSeveralKeys) {
  std::vector<Row> rows = {{6, "1", {{"svc", std::string("b")}, {"lat", int64_t{5}}}},
                           {5, "2", {{"svc", std::string("a")}, {"lat", int64_t{7}}}},
                           {4, "3", {{"svc", std::string("b")}, {"lat", int64_t{9}}}},
                           {3, "4", {{"svc", std::string("a")}, {"lat", int64_t{7}}}},
                           {2, "5", {{"svc", std::string("a")}}},
                           {1, "6", {{"svc", std::string("b")}, {"lat", int64_t{5}}}}};
  EXPECT_EQ(Messages("* | sort by (svc)", One(rows)), (Names{"2", "4", "5", "1", "3", "6"}));
  EXPECT_EQ(Messages("* | sort by (svc, lat desc)", One(rows)),
            (Names{"2", "4", "5", "3", "1", "6"}));
  // `desc` after the list reverses every key, even the ones marked desc.
  EXPECT_EQ(Messages("* | sort by (svc, lat desc) desc", One(rows)),
            (Names{"1", "6", "3", "2", "4", "5"}));
  EXPECT_EQ(Messages("* | sort by (lat, svc)", One(rows)), (Names{"1", "6", "2", "4", "3", "5"}));
}

TEST(PipelineRunTest, StagesApplyInOrder) {
  std::vector<Row> rows;
  // x descends with time for the first 10 rows and ascends after, so the orders differ.
  for (int i = 0; i < 20; ++i) {
    rows.push_back({100 - i, StrCat("m", i), {{"x", int64_t{i < 10 ? 100 - i : i}}}});
  }
  // The first 10 newest (x 100..91), sorted ascending, then 3: m9, m8, m7.
  EXPECT_EQ(Messages("* | limit 10 | sort by (x) | head 3", One(rows)), (Names{"m9", "m8", "m7"}));
  // Sorted over all 20 first: x = 10, 11, 12.
  EXPECT_EQ(Messages("* | sort by (x) | head 3", One(rows)), (Names{"m10", "m11", "m12"}));
  EXPECT_EQ(Messages("* | sort by (x) | limit 10 | sort by (x desc) | head 2", One(rows)),
            (Names{"m19", "m18"}));
}

// Many rows over many batches: `sort | head` keeps only the best few while consuming, so it
// fits a budget that a full sort of the same rows exceeds, and both agree on the result.
TEST(PipelineRunTest, TopNStaysWithinABudgetAFullSortExceeds) {
  auto input = [] {
    std::vector<RecordBatch> in;
    uint64_t seed = 12345;
    int64_t t = 1'000'000;
    for (int b = 0; b < 40; ++b) {
      std::vector<Row> rows;
      for (int r = 0; r < 1000; ++r) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        const int64_t v = static_cast<int64_t>((seed >> 33) % 5000);  // ties are likely
        rows.push_back({t--, StrCat("t", t, "-v", v), {{"v", v}, {"pad", std::string(40, 'p')}}});
      }
      in.push_back(MakeBatch(rows));
    }
    return in;
  };
  std::unique_ptr<Pipeline> full = MustCompile("* | sort by (v desc)");
  RunResult expected = RunPipe(full.get(), input());
  ASSERT_TRUE(full->status().ok()) << full->status();
  ASSERT_EQ(expected.messages.size(), 40000u);

  constexpr uint64_t kBudget = 2 << 20;
  std::unique_ptr<Pipeline> top = MustCompile("* | sort by (v desc) | head 7");
  top->set_memory_budget(kBudget);
  RunResult got = RunPipe(top.get(), input());
  ASSERT_TRUE(top->status().ok()) << top->status();
  EXPECT_EQ(got.messages, Names(expected.messages.begin(), expected.messages.begin() + 7));

  std::unique_ptr<Pipeline> over = MustCompile("* | sort by (v desc)");
  over->set_memory_budget(kBudget);
  RunResult none = RunPipe(over.get(), input());
  EXPECT_TRUE(none.messages.empty());
  EXPECT_EQ(over->status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(over->status().message(),
            "query needs more than 2 MiB to sort; narrow the time window or add | limit");

  // With ties at the cut, the kept rows are the ones that came first.
  std::unique_ptr<Pipeline> ties = MustCompile("* | sort by (v desc) | limit 1500");
  ties->set_memory_budget(kBudget);
  RunResult tied = RunPipe(ties.get(), input());
  ASSERT_TRUE(ties->status().ok()) << ties->status();
  EXPECT_EQ(tied.messages, Names(expected.messages.begin(), expected.messages.begin() + 1500));
}

TEST(PipelineRunTest, OutputLimitCapsAfterThePipes) {
  std::vector<Row> rows;
  for (int i = 0; i < 20; ++i) rows.push_back({100 - i, StrCat("m", i), {{"x", int64_t{i}}}});
  std::unique_ptr<Pipeline> p = MustCompile("* | sort by (x desc)");
  p->AddOutputLimit(2);
  EXPECT_EQ(RunPipe(p.get(), One(rows)).messages, (Names{"m19", "m18"}));
  p = MustCompile("* | head 3");
  p->AddOutputLimit(5);
  EXPECT_EQ(RunPipe(p.get(), One(rows)).messages, (Names{"m0", "m1", "m2"}));
}

TEST(PipelineRunTest, EmptyInputAndEmptyPipeline) {
  EXPECT_TRUE(Messages("* | sort by (x) | head 2", {}).empty());
  std::vector<Row> rows = {{2, "b", {}}, {1, "a", {}}};
  EXPECT_EQ(Messages("*", One(rows)), (Names{"b", "a"}));
}

}  // namespace
}  // namespace lode::query
