// lode_bench: lode end to end on a generated corpus (bench/corpus_generator.h).
//
//   lode_bench --lines N [--seed S] [--corpus FILE] [--data DIR] [--keep] [--lode PATH]
//              [--runs 5] [--warmup 1] [--no-queries]
//
// Phases, each in its own child process so that CPU time and peak RSS belong to that phase:
//   1. generate the corpus (or take --corpus FILE) and read it once: warms the page cache and
//      computes the expected answer of every query from the raw text;
//   2. ingest in-process: LineParser + Store::Write with the batching of `lode ingest`;
//   3. ingest with the real `lode ingest` binary (what users run);
//   4. bytes on disk of both stores vs the raw corpus;
//   5. Q1-Q7 (the queries of ../shared/peers) with the `lode query` binary: whole-process wall
//      time, median of --runs after --warmup runs, each result checked against phase 1.
// Exit status: 0 all results as expected, 1 a query result differs, 2 usage or I/O error.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <malloc.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/corpus_generator.h"
#include "bench/internal/subprocess.h"
#include "common/record_batch.h"
#include "common/strings.h"
#include "ingest/line_parser.h"
#include "storage/env.h"
#include "storage/store.h"

namespace lode::bench {
namespace {

using internal::ProcessUsage;
using internal::ShellQuote;

constexpr char kUsage[] =
    "usage: lode_bench --lines N [--seed S] [--corpus FILE] [--data DIR] [--keep]\n"
    "                  [--lode PATH] [--runs 5] [--warmup 1] [--no-queries]\n"
    "  --lines N      generate N lines (ignored with --corpus)\n"
    "  --corpus FILE  use an existing corpus that follows ../shared/peers/README.md\n"
    "  --data DIR     work directory (must not exist; default /tmp/lode_bench.XXXXXX): the\n"
    "                 corpus, DIR/inproc and DIR/cli stores; removed at the end unless --keep\n"
    "  --lode PATH    the lode binary (default: beside lode_bench)\n";

// The same batching as `lode ingest` (cli/ingest_command.cc).
constexpr size_t kReadChunk = 4 << 20;
constexpr size_t kFlushBytes = 64 << 20;

struct Args {
  uint64_t lines = 0;
  uint64_t seed = 1;
  std::string corpus;
  std::string data;
  std::string lode;
  bool keep = false;
  bool queries = true;
  int runs = 5;
  int warmup = 1;
};

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Calls `fn(line)` for every line of `path` (without the '\n'). Returns false on an I/O error.
template <typename Fn>
bool ForEachLine(const std::string& path, Fn fn) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  std::string buf;
  std::vector<char> chunk(kReadChunk);
  for (;;) {
    size_t n = std::fread(chunk.data(), 1, chunk.size(), f);
    buf.append(chunk.data(), n);
    size_t start = 0;
    for (;;) {
      size_t nl = buf.find('\n', start);
      if (nl == std::string::npos) break;
      fn(std::string_view(buf.data() + start, nl - start));
      start = nl + 1;
    }
    buf.erase(0, start);
    if (n == 0) break;
  }
  if (!buf.empty()) fn(std::string_view(buf));
  const bool ok = !std::ferror(f);
  std::fclose(f);
  return ok;
}

// What Q1-Q7 must return, computed from the raw text. Relies on the corpus contract: fixed key
// order, phrases only in `message`, no '"' inside messages.
struct Expected {
  uint64_t lines = 0, bytes = 0;
  uint64_t q1 = 0, q2 = 0, q3 = 0, q4 = 0, q5 = 0;
  std::map<std::string, uint64_t> q6;  // errors per service
  std::map<std::string, uint64_t> q7;  // lines per minute of the Q7 hour
};

bool HasTimeoutMs(std::string_view line) {
  constexpr std::string_view kPhrase = "timeout after ";
  for (size_t pos = line.find(kPhrase); pos != std::string_view::npos;
       pos = line.find(kPhrase, pos + 1)) {
    size_t i = pos + kPhrase.size(), digits = 0;
    while (i < line.size() && line[i] >= '0' && line[i] <= '9') ++i, ++digits;
    if (digits > 0 && line.substr(i, 2) == "ms") return true;
  }
  return false;
}

void Observe(std::string_view line, std::string_view q7_prefix, Expected* e) {
  ++e->lines;
  e->bytes += line.size() + 1;
  if (line.find(CorpusGenerator::kNeedle) != std::string_view::npos) ++e->q1;
  if (line.find("connection refused") != std::string_view::npos) ++e->q3;
  if (HasTimeoutMs(line)) ++e->q4;
  constexpr std::string_view kError = "\"level\":\"error\",\"service\":\"";
  if (size_t p = line.find(kError); p != std::string_view::npos) {
    ++e->q2;
    size_t b = p + kError.size();
    ++e->q6[std::string(line.substr(b, line.find('"', b) - b))];
  }
  if (line.find("\"service\":\"checkout\",") != std::string_view::npos) {
    size_t p = line.find("\"status\":");
    if (p != std::string_view::npos && std::atoi(line.data() + p + 9) >= 500) ++e->q5;
  }
  if (line.size() >= 30 && line.substr(14, q7_prefix.size()) == q7_prefix) {
    ++e->q7[std::string(line.substr(25, 5))];  // HH:MM of {"timestamp":"YYYY-MM-DDTHH:MM
  }
}

// Q6's normal form, as the peers print it: "svc:count,..." by count desc, then name.
std::string Top5(const std::map<std::string, uint64_t>& m) {
  std::vector<std::pair<uint64_t, std::string>> v;
  v.reserve(m.size());
  for (const auto& [k, n] : m) v.emplace_back(n, k);
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::string out;
  for (size_t i = 0; i < v.size() && i < 5; ++i) {
    StrAppend(&out, i > 0 ? "," : "", v[i].second, ":", v[i].first);
  }
  return out;
}

std::string BucketSummary(const std::map<std::string, uint64_t>& m) {
  uint64_t total = 0;
  for (const auto& [k, n] : m) total += n;
  return StrCat("n=", m.size(), " total=", total);
}

struct IngestStats {
  uint64_t lines = 0, records = 0, rejected = 0, segments = 0, segment_bytes = 0;
  double parse_s = 0, write_s = 0;
};

// Phase 2, run in a child: what `lode ingest FILE` does, with the parse and write phases timed.
std::string IngestInProcess(const std::string& corpus, const std::string& dir) {
  // The same heap tuning as the `lode` binary (cli/main.cc).
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  IngestStats st;
  auto store = storage::Store::Open(storage::Env::Default(), dir);
  if (!store.ok()) return "";
  ingest::LineParser parser(ingest::InputFormat::kAuto);
  RecordBatch batch;
  const int64_t now = storage::Env::Default()->NowNanos();
  bool ok = true;
  auto flush = [&] {
    if (batch.empty()) return;
    double t0 = Now();
    auto r = (*store)->Write(batch);
    st.write_s += Now() - t0;
    if (!r.ok()) {
      std::fprintf(stderr, "lode_bench: write: %s\n",
                   std::string(StatusMessage(r.status())).c_str());
      ok = false;
      return;
    }
    st.segments += r->segments;
    st.segment_bytes += r->bytes;
    batch.Clear();
  };
  FILE* f = std::fopen(corpus.c_str(), "rb");
  if (f == nullptr) return "";
  std::string buf;
  uint64_t line_no = 1;
  for (;;) {
    size_t old = buf.size();
    buf.resize(old + kReadChunk);
    size_t n = std::fread(buf.data() + old, 1, kReadChunk, f);
    buf.resize(old + n);
    const bool eof = n == 0;
    size_t cut = eof ? buf.size() : buf.rfind('\n');
    if (cut != std::string::npos) {
      size_t take = eof ? buf.size() : cut + 1;
      double t0 = Now();
      line_no += parser.Parse(std::string_view(buf.data(), take), line_no, now, &batch);
      st.parse_s += Now() - t0;
      buf.erase(0, take);
    }
    if (batch.ByteSize() >= kFlushBytes) flush();
    if (eof || !ok) break;
  }
  std::fclose(f);
  flush();
  if (!ok) return "";
  st.lines = parser.stats().lines;
  st.records = parser.stats().accepted;
  st.rejected = parser.stats().rejected;
  return std::string(reinterpret_cast<const char*>(&st), sizeof(st));
}

struct DiskUsage {
  uint64_t bytes = 0;      // sum of file sizes
  uint64_t allocated = 0;  // blocks allocated (du)
  uint64_t files = 0;
};

DiskUsage WalkDir(const std::string& dir) {
  DiskUsage d;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    struct stat sb;
    if (::lstat(it->path().c_str(), &sb) != 0) continue;
    d.allocated += static_cast<uint64_t>(sb.st_blocks) * 512;
    if (S_ISREG(sb.st_mode)) {
      d.bytes += static_cast<uint64_t>(sb.st_size);
      ++d.files;
    }
  }
  return d;
}

struct QuerySpec {
  std::string id;
  std::string what;
  std::string script;  // bash
  std::string expected;
};

std::vector<QuerySpec> Queries(const std::string& lode, const std::string& data, const Expected& e,
                               const std::string& q7_day, const std::string& q7_hour) {
  const std::string q = StrCat(ShellQuote(lode), " query --data ", ShellQuote(data));
  const std::string from = StrCat(q7_day, "T", q7_hour, ":00:00Z");
  const int next_hour = std::atoi(q7_hour.c_str()) + 1;
  char to[40];
  std::snprintf(to, sizeof(to), "%sT%02d:00:00Z", q7_day.c_str(), next_hour);
  return {
      {"Q1", "rare token needle-7f3a9c", StrCat(q, " --count 'needle-7f3a9c'"),
       std::to_string(e.q1)},
      {"Q2", "level = error", StrCat(q, " --count 'level:error'"), std::to_string(e.q2)},
      {"Q3", "phrase \"connection refused\"", StrCat(q, " --count '\"connection refused\"'"),
       std::to_string(e.q3)},
      {"Q4", "regex timeout after [0-9]+ms (phrase, then rg)",
       StrCat(q,
              " --limit 0 --output ndjson '\"timeout after\"' | { rg -c 'timeout after [0-9]+ms' "
              "|| test $? = 1; }"),
       std::to_string(e.q4)},
      {"Q5", "service = checkout AND status >= 500",
       StrCat(q, " --count 'service:checkout http.status:>=500'"), std::to_string(e.q5)},
      {"Q6", "top-5 services by errors (level:error, then rg, sort)",
       StrCat(
           q,
           " --limit 0 --output ndjson 'level:error' | rg -o -N '\"service\":\"([^\"]*)\"' -r '$1'"
           " | LC_ALL=C sort | uniq -c | LC_ALL=C sort -k1,1nr -k2,2 | head -5"
           " | awk '{printf \"%s%s:%s\", (NR>1?\",\":\"\"), $2, $1} END{print \"\"}'"),
       Top5(e.q6)},
      {"Q7", "per-minute counts of one hour (--from/--to, then rg, sort)",
       StrCat(q, " --from ", from, " --to ", to, " --limit 0 --output ndjson '*'",
              " | rg -o -N '\"_time\":\"[0-9-]+T([0-9]{2}:[0-9]{2})' -r '$1' | LC_ALL=C sort | "
              "uniq -c",
              " | awk '{n++; t+=$1} END{printf \"n=%d total=%d\\n\", n, t}'"),
       BucketSummary(e.q7)},
  };
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  size_t b = s.find_first_not_of(" \t\n");
  return b == std::string::npos ? "" : s.substr(b);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n == 0 ? 0 : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string CpuModel() {
  FILE* f = std::fopen("/proc/cpuinfo", "r");
  if (f == nullptr) return "?";
  char line[512];
  std::string model = "?";
  while (std::fgets(line, sizeof(line), f)) {
    std::string_view l(line);
    if (l.starts_with("model name")) {
      model = Trim(std::string(l.substr(l.find(':') + 1)));
      break;
    }
  }
  std::fclose(f);
  return model;
}

void PrintIngest(const char* title, const ProcessUsage& u, uint64_t records, uint64_t raw) {
  std::printf("%s\n", title);
  std::printf("  wall %.2f s, CPU %.2f s (user %.2f, sys %.2f), peak RSS %.0f MiB\n", u.wall_s,
              u.cpu_s(), u.user_s, u.sys_s, u.max_rss_kb / 1024.0);
  std::printf("  %.0f records/s, %.1f MB/s wall | %.0f records/s, %.1f MB/s per CPU-second\n",
              records / u.wall_s, raw / 1e6 / u.wall_s, records / u.cpu_s(), raw / 1e6 / u.cpu_s());
}

bool ParseArgs(int argc, char** argv, Args* a) {
  for (int i = 1; i < argc; ++i) {
    std::string_view k = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    auto num = [&](auto* out) {
      if (v == nullptr) return false;
      char* end = nullptr;
      unsigned long long x = std::strtoull(v, &end, 10);
      if (*v == '\0' || *end != '\0') return false;
      *out = static_cast<std::remove_reference_t<decltype(*out)>>(x);
      ++i;
      return true;
    };
    auto str = [&](std::string* out) {
      if (v == nullptr) return false;
      *out = v;
      ++i;
      return true;
    };
    bool ok = true;
    if (k == "--lines") {
      ok = num(&a->lines);
    } else if (k == "--seed") {
      ok = num(&a->seed);
    } else if (k == "--runs") {
      ok = num(&a->runs);
    } else if (k == "--warmup") {
      ok = num(&a->warmup);
    } else if (k == "--corpus") {
      ok = str(&a->corpus);
    } else if (k == "--data") {
      ok = str(&a->data);
    } else if (k == "--lode") {
      ok = str(&a->lode);
    } else if (k == "--keep") {
      a->keep = true;
    } else if (k == "--no-queries") {
      a->queries = false;
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "lode_bench: bad argument '%s'\n%s", argv[i], kUsage);
      return false;
    }
  }
  if (a->corpus.empty() && a->lines < 5) {
    std::fprintf(stderr, "lode_bench: --lines N (N >= 5) or --corpus FILE is required\n%s", kUsage);
    return false;
  }
  if (a->runs < 1) a->runs = 1;
  return true;
}

int Run(const Args& args) {
  std::string lode = args.lode;
  if (lode.empty()) {
    std::error_code ec;
    auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    lode = (self.parent_path() / "lode").string();
  }
  if (::access(lode.c_str(), X_OK) != 0) {
    std::fprintf(stderr, "lode_bench: no lode binary at %s (use --lode PATH)\n", lode.c_str());
    return 2;
  }
  std::string work = args.data;
  if (work.empty()) {
    char tmpl[] = "/tmp/lode_bench.XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return 2;
    work = tmpl;
  } else if (::mkdir(work.c_str(), 0755) != 0) {
    std::fprintf(stderr, "lode_bench: cannot create %s (it must not exist): %s\n", work.c_str(),
                 std::strerror(errno));
    return 2;
  }
  const std::string inproc_dir = work + "/inproc", cli_dir = work + "/cli";
  const char* day_env = std::getenv("Q7_DAY");
  const char* hour_env = std::getenv("Q7_HOUR");
  const std::string q7_day = day_env ? day_env : "2024-03-12";
  const std::string q7_hour = hour_env ? hour_env : "10";

  std::printf("# lode_bench\n\nmachine: %ld x %s, %.1f GiB RAM\n", sysconf(_SC_NPROCESSORS_ONLN),
              CpuModel().c_str(),
              sysconf(_SC_PHYS_PAGES) * static_cast<double>(sysconf(_SC_PAGE_SIZE)) / (1 << 30));
  std::printf("lode: %s\nwork dir: %s%s\n\n", lode.c_str(), work.c_str(),
              args.keep ? " (kept)" : " (removed at the end)");

  // Phase 1: corpus.
  std::string corpus = args.corpus;
  if (corpus.empty()) {
    corpus = work + "/corpus.ndjson";
    std::string ignored;
    ProcessUsage g = internal::RunForked(
        [&] {
          CorpusOptions o;
          o.lines = args.lines;
          o.seed = args.seed;
          CorpusGenerator gen(o);
          FILE* f = std::fopen(corpus.c_str(), "wb");
          if (f == nullptr) ::_exit(2);
          std::string chunk;
          while (!gen.done()) {
            chunk.clear();
            gen.Fill(&chunk, 1 << 20);
            if (std::fwrite(chunk.data(), 1, chunk.size(), f) != chunk.size()) ::_exit(2);
          }
          if (std::fclose(f) != 0) ::_exit(2);
          return std::string();
        },
        &ignored);
    if (g.exit_code != 0) {
      std::fprintf(stderr, "lode_bench: writing %s failed\n", corpus.c_str());
      return 2;
    }
    std::printf("generate: %" PRIu64 " lines (seed %" PRIu64 ") in %.2f s\n", args.lines, args.seed,
                g.wall_s);
  }
  Expected e;
  const std::string q7_prefix = StrCat(q7_day, "T", q7_hour, ":");
  double t0 = Now();
  if (!ForEachLine(corpus, [&](std::string_view l) { Observe(l, q7_prefix, &e); })) {
    std::fprintf(stderr, "lode_bench: cannot read %s\n", corpus.c_str());
    return 2;
  }
  std::printf("corpus: %s: %" PRIu64 " lines, %.1f MB (%.0f B/line); scanned in %.2f s\n\n",
              corpus.c_str(), e.lines, e.bytes / 1e6, static_cast<double>(e.bytes) / e.lines,
              Now() - t0);

  // Phase 2: in-process ingest.
  std::string raw_stats;
  ProcessUsage in =
      internal::RunForked([&] { return IngestInProcess(corpus, inproc_dir); }, &raw_stats);
  IngestStats st;
  if (in.exit_code != 0 || raw_stats.size() != sizeof(st)) {
    std::fprintf(stderr, "lode_bench: in-process ingest failed\n");
    return 2;
  }
  std::memcpy(&st, raw_stats.data(), sizeof(st));
  PrintIngest("## ingest, in-process (LineParser + Store::Write, one thread)", in, st.records,
              e.bytes);
  std::printf("  %" PRIu64 " records, %" PRIu64 " rejected, %" PRIu64
              " segments; parse %.2f s, encode+write %.2f s, read+other %.2f s\n\n",
              st.records, st.rejected, st.segments, st.parse_s, st.write_s,
              in.wall_s - st.parse_s - st.write_s);

  // Phase 3: the real binary.
  ProcessUsage cli = internal::RunProcess({lode, "ingest", "--data", cli_dir, corpus}, nullptr);
  if (cli.exit_code != 0) {
    std::fprintf(stderr, "lode_bench: lode ingest exited with %d\n", cli.exit_code);
    return 2;
  }
  PrintIngest("## ingest, `lode ingest --data DIR FILE`", cli, e.lines, e.bytes);
  std::printf("\n");

  // Phase 4: disk.
  std::printf("## bytes on disk (raw corpus %.1f MB)\n", e.bytes / 1e6);
  for (const auto& [name, dir] :
       {std::pair{"in-process", inproc_dir}, std::pair{"lode ingest", cli_dir}}) {
    DiskUsage d = WalkDir(dir);
    std::printf("  %-11s: %" PRIu64 " bytes in %" PRIu64
                " files (%.1f MB, %.1f MB allocated), raw/disk = %.2fx\n",
                name, d.bytes, d.files, d.bytes / 1e6, d.allocated / 1e6,
                static_cast<double>(e.bytes) / d.bytes);
  }
  std::printf("\n");

  // Phase 5: queries.
  int rc = 0;
  if (args.queries) {
    std::printf("## queries: `lode query` whole process, median of %d after %d warm-up\n\n",
                args.runs, args.warmup);
    std::printf("| query | what | median ms | all runs ms | result | expected |\n");
    std::printf("|---|---|---:|---|---|---|\n");
    for (const QuerySpec& qs : Queries(lode, cli_dir, e, q7_day, q7_hour)) {
      std::string out;
      std::vector<double> ms;
      int exit_code = 0;
      for (int i = 0; i < args.warmup + args.runs; ++i) {
        out.clear();
        ProcessUsage u = internal::RunBash(qs.script, &out, /*quiet=*/true);
        if (u.exit_code != 0) exit_code = u.exit_code;
        if (i >= args.warmup) ms.push_back(u.wall_s * 1e3);
      }
      std::string result = Trim(out);
      if (exit_code != 0) result = StrCat("FAILED (exit ", exit_code, ")");
      std::string runs;
      for (double m : ms)
        StrAppend(&runs, runs.empty() ? "" : ",", static_cast<int64_t>(m * 10) / 10.0);
      const bool match = result == qs.expected;
      if (!match) rc = 1;
      std::printf("| %s | %s | %.1f | %s | %s | %s%s |\n", qs.id.c_str(), qs.what.c_str(),
                  Median(ms), runs.c_str(), result.c_str(), qs.expected.c_str(),
                  match ? "" : " **MISMATCH**");
      std::fflush(stdout);
    }
    std::printf("\n");
  }
  if (!args.keep) {
    std::error_code ec;
    std::filesystem::remove_all(work, ec);
  }
  if (rc != 0) std::fprintf(stderr, "lode_bench: some query results differ from the corpus\n");
  return rc;
}

}  // namespace
}  // namespace lode::bench

int main(int argc, char** argv) {
  lode::bench::Args args;
  if (!lode::bench::ParseArgs(argc, argv, &args)) return 2;
  return lode::bench::Run(args);
}
