#!/usr/bin/env bash
# End-to-end checks of `lode ingest`, `lode query`, `lode stats`, `lode delete` and
# `lode retention` as a user runs them: exit codes, the summary on stderr, error messages with
# line numbers, and records coming back out.
# usage: cli_test.sh LODE_BINARY SHARED_DATA_DIR
set -uo pipefail
LODE="$1"
SHARED="${2:-}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0; passes=0
check() {  # check NAME CONDITION...
  local name="$1"; shift
  if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name" >&2; fails=$((fails + 1)); fi
}

# 1. Good NDJSON: exit 0, summary on stderr.
cat > "$T/good.ndjson" <<'J'
{"timestamp":"2026-11-27T10:00:00.5Z","level":"info","service":"api","message":"user login ok","user":"ann"}
{"timestamp":"2026-11-27T10:00:01Z","level":"error","service":"checkout","message":"connection refused to db-1","http":{"status":503}}
{"timestamp":"2026-11-27T10:00:02Z","level":"warn","service":"checkout","message":"timeout after 250ms","http":{"status":504}}
J
"$LODE" ingest --data "$T/d" "$T/good.ndjson" 2> "$T/err"; rc=$?
check "good ingest exits 0" test "$rc" -eq 0
check "summary says stored 3" grep -q "stored 3, rejected 0" "$T/err"

# 2. Malformed lines: exit 1, the line number and reason, the good lines stored.
printf '%s\n' '{"msg":"fine 1","ts":1795773600}' '{"msg": }' 'plain text is fine in auto mode' \
  '{"msg":"unterminated}' '{"msg":"fine 2","ts":1795773601}' > "$T/mixed.ndjson"
"$LODE" ingest --data "$T/m" "$T/mixed.ndjson" 2> "$T/err"; rc=$?
check "mixed ingest exits 1" test "$rc" -eq 1
check "error names line 2" grep -q "mixed.ndjson:2: invalid JSON" "$T/err"
check "error names line 4" grep -q "mixed.ndjson:4: invalid JSON: unterminated string" "$T/err"
check "summary counts" grep -q "read 5 lines.*stored 3, rejected 2" "$T/err"

# 3. Strict NDJSON rejects the text line; stdin works.
"$LODE" ingest --data "$T/s" --format ndjson - < "$T/mixed.ndjson" 2> "$T/err"; rc=$?
check "strict ingest exits 1" test "$rc" -eq 1
check "stdin named" grep -q "<stdin>:3:" "$T/err"

# 4. Usage and I/O errors: exit 2 with a message.
"$LODE" ingest "$T/good.ndjson" 2> "$T/err"; rc=$?
check "missing --data exits 2" test "$rc" -eq 2
check "missing --data says so" grep -q -- "--data DIR is required" "$T/err"
"$LODE" ingest --data "$T/d" "$T/nope.ndjson" 2> "$T/err"; rc=$?
check "missing file exits 2" test "$rc" -eq 2
check "missing file named" grep -q "nope.ndjson: No such file" "$T/err"
"$LODE" ingest --data "$T/d" --format xml "$T/good.ndjson" 2> "$T/err"; rc=$?
check "bad format exits 2" test "$rc" -eq 2
"$LODE" ingest --data "$T/d" --bogus 2> "$T/err"; rc=$?
check "unknown flag exits 2" test "$rc" -eq 2

# 5. Empty input: nothing stored, exit 0.
"$LODE" ingest --data "$T/e" /dev/null 2> "$T/err"; rc=$?
check "empty input exits 0" test "$rc" -eq 0

# 6. Query back what was stored (newest first, typed fields), counts, negation, ranges.
out=$("$LODE" query --data "$T/d" --limit 10 'checkout')
check "query finds both checkout lines, newest first" test "$(echo "$out" | head -1)" = \
  '{"_time":"2026-11-27T10:00:02.000000000Z","_msg":"timeout after 250ms","level":"warn","service":"checkout","http.status":504}'
check "two lines" test "$(echo "$out" | wc -l)" -eq 2
check "count" test "$("$LODE" query --data "$T/d" --count 'service:checkout')" = 2
check "negation" test "$("$LODE" query --data "$T/d" --count -- '-refused')" = 2
check "range" test "$("$LODE" query --data "$T/d" --count 'http.status:>=504')" = 1
check "phrase" test "$("$LODE" query --data "$T/d" --count '"connection refused"')" = 1
check "window" test "$("$LODE" query --data "$T/d" --count --from 2026-11-27T10:00:01Z --to 2026-11-27T10:00:02Z '')" = 1
"$LODE" query --data "$T/d" 'service:(' 2> "$T/err"; rc=$?
check "bad query exits 2" test "$rc" -eq 2
check "bad query points at a column" grep -q "error at 1:" "$T/err"

# 7. A real log file as text: every line comes back.
if [ -n "$SHARED" ] && [ -f "$SHARED/apache_access_elastic/apache_logs" ]; then
  "$LODE" ingest --data "$T/a" --format text "$SHARED/apache_access_elastic/apache_logs" 2> "$T/err"
  check "apache ingest" grep -q "stored 10000, rejected 0" "$T/err"
  check "apache count" test "$("$LODE" query --data "$T/a" --count '')" = 10000
  check "apache search" test "$("$LODE" query --data "$T/a" --count '"GET /favicon.ico"')" = \
    "$(grep -c 'GET /favicon.ico' "$SHARED/apache_access_elastic/apache_logs")"
fi

# 8. lode stats: partitions, totals, columns (read-only).
"$LODE" stats --data "$T/d" > "$T/stats" 2> "$T/err"; rc=$?
check "stats exits 0" test "$rc" -eq 0
check "stats lists the partition" grep -q "^default  *2026-11-27  *1  *3 " "$T/stats"
check "stats totals" grep -q "total: 1 partition(s), 1 segment(s), 3 record(s)" "$T/stats"
check "stats columns" grep -q "^http.status  *int64  *2 " "$T/stats"
"$LODE" stats --data "$T/nope" 2> "$T/err"; rc=$?
check "stats on a missing dir exits 2" test "$rc" -eq 2

# 9. lode delete: dry run, refusal of match-everything, the real thing.
cp -r "$T/d" "$T/del"
check "delete dry run" test "$("$LODE" delete --data "$T/del" --dry-run 'service:checkout')" = \
  "would delete 2 record(s)"
"$LODE" delete --data "$T/del" '' 2> "$T/err"; rc=$?
check "empty delete refused" test "$rc" -eq 2
check "refusal says --all" grep -q -- "--all" "$T/err"
"$LODE" delete --data "$T/del" 'service:(' 2> "$T/err"; rc=$?
check "bad delete query exits 2" test "$rc" -eq 2
out=$("$LODE" delete --data "$T/del" 'service:checkout')
check "delete reports" test "${out%% (*}" = "deleted 2 record(s)"
check "deleted records are gone" test "$("$LODE" query --data "$T/del" --count '')" = 1
check "others stay" test "$("$LODE" query --data "$T/del" --count 'user:ann')" = 1
check "stats counts the delete" grep -q "; 2 record(s) deleted" \
  <("$LODE" stats --data "$T/del")

# 10. lode retention: an old record goes, a far-future one stays; dry run first.
printf '%s\n' '{"timestamp":"2020-01-01T00:00:00Z","msg":"old"}' \
  '{"timestamp":"2100-01-01T00:00:00Z","msg":"future"}' > "$T/ret.ndjson"
"$LODE" ingest --data "$T/r" "$T/ret.ndjson" 2> /dev/null
"$LODE" retention --data "$T/r" --retention 30d --dry-run > "$T/out"; rc=$?
check "retention dry run exits 0" test "$rc" -eq 0
check "dry run lists the drop" grep -q "^default  *2020-01-01 .* drop " "$T/out"
check "dry run lists the keep" grep -q "^default  *2100-01-01 .* keep " "$T/out"
check "dry run changes nothing" test "$("$LODE" query --data "$T/r" --count '')" = 2
"$LODE" retention --data "$T/r" --retention 30d > "$T/out"; rc=$?
check "retention exits 0" test "$rc" -eq 0
check "retention summary" grep -q "^retention: removed 1 record(s)" "$T/out"
check "old record gone" test "$("$LODE" query --data "$T/r" --count '')" = 1
check "old partition dir gone" test ! -e "$T/r/t=default/d=2020-01-01"
check "stats counts the run" grep -q "1 retention run(s) expired 1 record(s)" \
  <("$LODE" stats --data "$T/r")
"$LODE" retention --data "$T/r" 2> "$T/err"; rc=$?
check "retention without limits exits 2" test "$rc" -eq 2
"$LODE" retention --data "$T/r" --retention-tenant 'bad tenant=1d' 2> "$T/err"; rc=$?
check "bad tenant override exits 2" test "$rc" -eq 2
"$LODE" retention --data "$T/r" --max-disk 12XB 2> "$T/err"; rc=$?
check "bad size exits 2" test "$rc" -eq 2

# 11. Pipes, --explain, --timeout, --memory.
check "fields projects" test "$("$LODE" query --data "$T/d" 'checkout | fields service, _msg | limit 1')" = \
  '{"service":"checkout","_msg":"timeout after 250ms"}'
check "sort by a nested field" test \
  "$("$LODE" query --data "$T/d" '* | sort by (http.status) | fields http.status | head 1')" = \
  '{"http.status":503}'
check "table fields" test \
  "$("$LODE" query --data "$T/d" --output table '* | fields service, _msg | head 1')" = \
  'service=checkout  timeout after 250ms'
check "count after pipes" test "$("$LODE" query --data "$T/d" --count '* | head 2')" = 2
"$LODE" query --data "$T/d" 'error | lmit 5' 2> "$T/err"; rc=$?
check "unknown stage exits 2" test "$rc" -eq 2
check "unknown stage named" grep -q "error at 1:9: unknown pipe stage 'lmit'" "$T/err"
"$LODE" query --data "$T/d" --explain 'checkout | limit 1' > "$T/out" 2> "$T/err"; rc=$?
check "explain exits 0" test "$rc" -eq 0
check "explain keeps stdout for results" test "$(wc -l < "$T/out")" -eq 1
check "explain prints blocks" grep -q "blocks:" "$T/err"
check "explain prints the pipes" grep -q "^pipe: limit 1$" "$T/err"
"$LODE" query --data "$T/d" --explain --count 'checkout' > "$T/out" 2> "$T/err"
check "explain with count" grep -q "blocks:" "$T/err"
check "count with explain" test "$(cat "$T/out")" = 2
"$LODE" query --data "$T/d" --timeout 5x '' 2> "$T/err"; rc=$?
check "bad timeout exits 2" test "$rc" -eq 2
check "bad timeout says so" grep -q "invalid timeout '5x'" "$T/err"
"$LODE" query --data "$T/d" --timeout -1s '' 2> "$T/err"; rc=$?
check "negative timeout exits 2" test "$rc" -eq 2
check "timeout 0 is none" test "$("$LODE" query --data "$T/d" --timeout 0 --count '')" = 3
check "timeout with a unit" test "$("$LODE" query --data "$T/d" --timeout 1m --count '')" = 3
"$LODE" query --data "$T/d" --memory lots '' 2> "$T/err"; rc=$?
check "bad memory exits 2" test "$rc" -eq 2
check "memory in MiB" test "$("$LODE" query --data "$T/d" --memory 64 --count '* | sort by (x)')" = 3

# 12. lode compact: two bulk loads in time order become one segment with a merged index; the
# answers do not change, and the index still counts without reading.
for i in 1 2 3; do
  for j in $(seq 1 40); do
    printf '{"timestamp":"2026-11-21T1%d:00:%02dZ","service":"svc%d","message":"req-%d%04d done in %dms","n":%d}\n' \
      "$i" "$((j % 60))" "$((j % 3))" "$i" "$j" "$j" "$j"
  done > "$T/c$i.ndjson"
done
"$LODE" ingest --quiet --data "$T/c" "$T/c1.ndjson"
"$LODE" ingest --quiet --data "$T/c" "$T/c2.ndjson"
before="$("$LODE" query --data "$T/c" --limit 0 'done svc1 OR req-10007 OR n:>=39')"
"$LODE" compact --data "$T/c" 2> "$T/err"; rc=$?
check "compact exits 0" test "$rc" -eq 0
check "compact reports the merge" grep -q "1 merge(s) of 2 segment(s)" "$T/err"
check "one segment after compact" test "$(find "$T/c" -name '*.lode' | wc -l)" -eq 1
check "same records after compact" test \
  "$("$LODE" query --data "$T/c" --limit 0 'done svc1 OR req-10007 OR n:>=39')" = "$before"
check "tail id found after compact" test "$("$LODE" query --data "$T/c" --count 'req-20040')" = 1
"$LODE" query --data "$T/c" --count --explain 'svc2' > "$T/out" 2> "$T/err"
check "counted from the merged index" grep -q "0 read" "$T/err"
check "count after compact" test "$(cat "$T/out")" = 26
"$LODE" compact --data "$T/c" 2> "$T/err"
check "nothing left to compact" grep -q "0 merge(s)" "$T/err"

# 13. lode ingest writes on a second thread while it parses: many batches keep their order, and a
# write that fails stops the ingest with one clear error and exit 2.
"$LODE" ingest --quiet --data "$T/w" "$T/c1.ndjson" "$T/c2.ndjson" "$T/c3.ndjson"
check "three files, every record" test "$("$LODE" query --data "$T/w" --count '*')" = 120
check "oldest first file, newest last" test \
  "$("$LODE" query --data "$T/w" --limit 1 --output ndjson '*' | grep -c req-30040)" = 1
mkdir -p "$T/bad"
printf 'not a directory\n' > "$T/bad/t=default"
"$LODE" ingest --quiet --data "$T/bad" "$T/c1.ndjson" "$T/c2.ndjson" 2> "$T/err"; rc=$?
check "failed write exits 2" test "$rc" -eq 2
check "failed write said once" test "$(grep -c 'writing segment' "$T/err")" -eq 1

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
