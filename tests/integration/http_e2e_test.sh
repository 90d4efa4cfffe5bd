#!/usr/bin/env bash
# End-to-end test of the HTTP API: starts the real `lode serve` on a free loopback port (port 0,
# read back from its startup line), sends log lines with curl, queries them back over HTTP, and
# stops the server with SIGTERM, expecting a clean exit. The server is always killed on exit.
# usage: http_e2e_test.sh LODE_BINARY
set -uo pipefail
LODE="${1:?usage: http_e2e_test.sh LODE_BINARY}"
for tool in curl python3; do
  command -v "$tool" > /dev/null || { echo "SKIP: $tool not found"; exit 77; }
done

T=$(mktemp -d)
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2> /dev/null; then
    kill -KILL "$server_pid" 2> /dev/null
    wait "$server_pid" 2> /dev/null
  fi
  rm -rf "$T"
}
trap cleanup EXIT

fails=0; passes=0
check() {  # check NAME COMMAND...
  local name="$1"; shift
  if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name" >&2; fails=$((fails + 1)); fi
}
die() {
  echo "FAIL: $*" >&2
  echo "--- server stdout:" >&2; cat "$T/serve.out" >&2
  echo "--- server stderr:" >&2; cat "$T/serve.err" >&2
  exit 1
}
# json_get FILE EXPR: prints a Python expression over the parsed JSON document `d`.
json_get() {
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
# ndjson_get FILE EXPR: the same over `rows`, the list of parsed NDJSON lines.
ndjson_get() {
  python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(eval(sys.argv[2]))' "$1" "$2"
}
# http METHOD URL OUTFILE [curl args...]: prints the status code; the body goes to OUTFILE.
http() {
  local method="$1" url="$2" out="$3"; shift 3
  curl -sS -X "$method" -o "$out" -w '%{http_code}' "$@" "$url"
}

# --- Start the server on a free port.
"$LODE" serve --data "$T/data" --http 127.0.0.1:0 > "$T/serve.out" 2> "$T/serve.err" &
server_pid=$!
for _ in $(seq 1 600); do  # up to 60 s for start-up: a guard against hanging, not a timing check
  grep -q '^lode: listening on ' "$T/serve.out" && break
  kill -0 "$server_pid" 2> /dev/null || die "lode serve exited during start-up"
  sleep 0.1
done
line=$(head -n 1 "$T/serve.out")
re='^lode: listening on http://127\.0\.0\.1:([0-9]+) \(data: .*/data\)$'
[[ "$line" =~ $re ]] || die "unexpected start-up line: '$line'"
port="${BASH_REMATCH[1]}"
check "a real port was picked" test "$port" -gt 0
base="http://127.0.0.1:$port"

# --- Health and the endpoint list.
check "health 200" test "$(http GET "$base/health" "$T/health")" = 200
check "health body" test "$(cat "$T/health")" = '{"status":"ok"}'
check "root lists the endpoints" test "$(http GET "$base/" "$T/root")" = 200
check "root mentions /ingest/ndjson" grep -q "POST /ingest/ndjson" "$T/root"

# --- NDJSON with one malformed line: the good lines are stored, the bad one is reported.
cat > "$T/batch.ndjson" << 'J'
{"_time":"2026-03-01T10:00:01Z","_msg":"e2e alpha request served","level":"info","http":{"status":200}}
{"_time":"2026-03-01T10:00:03Z","_msg":"e2e gamma disk nearly full","level":"warn"}
{"_time":"2026-03-01T10:00:02Z","_msg":"e2e beta upstream timeout","level":"error","http":{"status":504}}
{"_time":"2026-03-01T10:00:04Z","_msg":"e2e broken
{"_time":"2026-03-01T10:00:05Z","_msg":"e2e delta shutting down","level":"info"}
J
code=$(http POST "$base/ingest/ndjson" "$T/r1" --data-binary @"$T/batch.ndjson" \
  -H 'Content-Type: application/x-ndjson')
check "ndjson ingest 200" test "$code" = 200
check "ndjson stored 4" test "$(json_get "$T/r1" 'd["stored"]')" = 4
check "ndjson rejected 1" test "$(json_get "$T/r1" 'd["rejected"]')" = 1
check "error names line 4" test "$(json_get "$T/r1" 'd["errors"][0]["line"]')" = 4
check "error says why" grep -q "unterminated string" "$T/r1"

# --- Queried back at once (the 2xx came after the segment was durable): content, count, and
# newest-first order.
window='from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z'
code=$(http GET "$base/api/v1/query?q=e2e&$window&limit=100" "$T/q1")
check "query 200" test "$code" = 200
check "query finds the 4 stored records" test "$(ndjson_get "$T/q1" 'len(rows)')" = 4
check "query newest first" test "$(ndjson_get "$T/q1" '",".join(r["_msg"].split()[1] for r in rows)')" \
  = "delta,gamma,beta,alpha"
check "query times descending" test "$(ndjson_get "$T/q1" 'all(a["_time"] > b["_time"] for a, b in zip(rows, rows[1:]))')" = True
check "fields come back typed" test "$(ndjson_get "$T/q1" '[r.get("http.status") for r in rows]')" \
  = "[None, None, 504, 200]"
check "broken line not stored" test "$(ndjson_get "$T/q1" 'any("broken" in r["_msg"] for r in rows)')" = False
code=$(http GET "$base/api/v1/query?q=e2e&$window&limit=2" "$T/q2")
check "limit 2 gives the 2 newest" test "$(ndjson_get "$T/q2" '[r["_msg"] for r in rows]')" \
  = "['e2e delta shutting down', 'e2e gamma disk nearly full']"
code=$(http GET "$base/api/v1/query" "$T/q3" -G --data-urlencode 'q=level:error' \
  --data-urlencode 'from=2026-03-01T00:00:00Z' --data-urlencode 'to=2026-03-02T00:00:00Z')
check "field query 200" test "$code" = 200
check "field query finds beta" test "$(ndjson_get "$T/q3" '[r["_msg"] for r in rows]')" \
  = "['e2e beta upstream timeout']"
code=$(http GET "$base/api/v1/query?q=e2e+AND&$window" "$T/q4")
check "bad query 400" test "$code" = 400
check "bad query JSON error" test "$(json_get "$T/q4" '"error" in d')" = True

# --- Plain text (syslog-style lines, stamped with the ingest time), a few hundred of them.
for i in $(seq 1 300); do
  echo "<13>Mar  1 10:00:00 web-1 app[4242]: e2etext request $i done in ${i}ms"
done > "$T/lines.txt"
code=$(http POST "$base/ingest/text" "$T/r2" --data-binary @"$T/lines.txt")
check "text ingest 200" test "$code" = 200
check "text stored 300" test "$(cat "$T/r2")" = '{"stored":300,"rejected":0,"errors":[]}'
code=$(http GET "$base/api/v1/query?q=e2etext&since=1h&limit=0" "$T/q5")
check "text query 200" test "$code" = 200
check "text lines all back" test "$(ndjson_get "$T/q5" 'len(rows)')" = 300
check "text message intact" test "$(ndjson_get "$T/q5" 'sorted(r["_msg"] for r in rows)[0]')" \
  = "<13>Mar  1 10:00:00 web-1 app[4242]: e2etext request 1 done in 1ms"
code=$(http GET "$base/api/v1/query?q=e2etext&since=1h&count=1" "$T/q6")
check "count 300" test "$(json_get "$T/q6" 'd["count"]')" = 300

# --- Tenants are separate.
code=$(http POST "$base/ingest/text?tenant=acme" "$T/r3" --data-binary 'e2etenant only for acme')
check "tenant ingest 200" test "$code" = 200
http GET "$base/api/v1/query?q=e2etenant&since=1h" "$T/q7" -H 'X-Scope-OrgID: acme' > /dev/null
check "tenant sees its record" test "$(ndjson_get "$T/q7" 'len(rows)')" = 1
http GET "$base/api/v1/query?q=e2etenant&since=1h" "$T/q8" > /dev/null
check "default tenant does not" test "$(ndjson_get "$T/q8" 'len(rows)')" = 0

# --- Errors are JSON with the right status.
check "all-bad ndjson 400" test "$(http POST "$base/ingest/ndjson" "$T/e1" --data-binary 'nope')" = 400
check "all-bad shape" test "$(json_get "$T/e1" '(d["stored"], d["rejected"])')" = "(0, 1)"
check "gzip 415" test "$(http POST "$base/ingest/ndjson" "$T/e2" --data-binary 'x' \
  -H 'Content-Encoding: gzip')" = 415
check "wrong method 405" test "$(http GET "$base/ingest/text" "$T/e3")" = 405
check "405 is JSON" test "$(json_get "$T/e3" '"error" in d')" = True
check "unknown path 404" test "$(http GET "$base/nope" "$T/e4")" = 404
check "bad tenant 400" test "$(http POST "$base/ingest/text?tenant=a%2Fb" "$T/e5" --data-binary 'x')" = 400

# --- A second server on the same port fails clearly.
"$LODE" serve --data "$T/data2" --http "127.0.0.1:$port" > /dev/null 2> "$T/busy.err"; rc=$?
check "busy port exits 2" test "$rc" -eq 2
check "busy port message" grep -q "lode serve: cannot listen on 127.0.0.1:$port: Address already in use" "$T/busy.err"

# --- SIGTERM: clean exit 0, and the data stays queryable by the CLI.
kill -TERM "$server_pid"
wait "$server_pid"; rc=$?
server_pid=""
check "SIGTERM exits 0" test "$rc" -eq 0
check "shutdown announced" grep -q "shutting down" "$T/serve.err"
out=$("$LODE" query --data "$T/data" --from 2026-03-01T00:00:00Z --to 2026-03-02T00:00:00Z \
  --limit 1 'e2e' 2> /dev/null)
check "lode query sees what HTTP stored" grep -q '"_msg":"e2e delta shutting down"' <<< "$out"

echo "http_e2e: $passes passed, $fails failed"
[[ $fails -eq 0 ]]
