#!/usr/bin/env bash
# Checks that lode_gen's output keeps the corpus contract of the peer baselines
# (../shared/peers/README.md), with jq and ripgrep on a sample.
#
# usage: bench/check_corpus.sh [LODE_GEN] [LINES]
#   LODE_GEN defaults to build/lode_gen, LINES to 100000. Exit 0 when every check passes.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
GEN="${1:-$REPO/build/lode_gen}"
LINES="${2:-100000}"
Q7_DAY="${Q7_DAY:-2024-03-12}"
Q7_HOUR="${Q7_HOUR:-10}"
for tool in jq rg; do
  command -v "$tool" > /dev/null || { echo "check_corpus: needs $tool (bash ../shared/peers/install.sh)" >&2; exit 2; }
done
TMP="$(mktemp -d "${TMPDIR:-/tmp}/lode-check-corpus.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
F="$TMP/corpus.ndjson"
"$GEN" --lines "$LINES" --seed 7 --out "$F"

failures=0
check() {  # check <description> <actual> <expected>
  if [ "$2" = "$3" ]; then
    printf '  ok    %s (%s)\n' "$1" "$2"
  else
    printf '  FAIL  %s: got %s, want %s\n' "$1" "$2" "$3"
    failures=$((failures + 1))
  fi
}
count() { rg -c "$@" "$F" || true; }  # rg -c prints nothing (exit 1) when there is no match
n0() { echo "${1:-0}"; }

echo "corpus: $LINES lines, $(stat -c %s "$F") bytes, $(( $(stat -c %s "$F") / LINES )) bytes/line"
check "line count" "$(wc -l < "$F")" "$LINES"

# One jq pass computes every per-line property; each output is the number of violating lines.
jq -n -r --arg day "$Q7_DAY" '
  def fixed: ["timestamp","level","service","host","trace_id","user_id","http","message"];
  reduce inputs as $r ({prev: "", bad_order: 0, bad_http: 0, bad_ts: 0, decreasing: 0,
                        bad_level: 0, bad_trace: 0, bad_msg: 0, stray_phrase: 0, upper_phrase: 0,
                        needles: 0, stray_needle: 0, q5: 0, errors: {}};
    ($r | keys_unsorted) as $k
    | .bad_order += (if $k[0:8] == fixed then 0 else 1 end)
    | .bad_http += (if ($r.http | keys_unsorted) == ["method","path","status","latency_ms","bytes"]
                       and ($r.http.status | type) == "number" and ($r.http.status | floor) == $r.http.status
                       and ($r.http.bytes | floor) == $r.http.bytes
                       and ($r.http.latency_ms | type) == "number"
                    then 0 else 1 end)
    | .bad_ts += (if ($r.timestamp | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$")) then 0 else 1 end)
    | .decreasing += (if $r.timestamp < .prev then 1 else 0 end)
    | .prev = $r.timestamp
    | .bad_level += (if ($r.level | IN("info","warn","error","debug")) then 0 else 1 end)
    | .bad_trace += (if ($r.trace_id | test("^[0-9a-f]{32}$")) then 0 else 1 end)
    | .bad_msg += (if ($r.message | test("[\"\\\\]")) then 1 else 0 end)
    | (($r | del(.message) | tostring | ascii_downcase)) as $rest
    | .stray_phrase += (if ($rest | contains("connection refused") or contains("timeout after")) then 1 else 0 end)
    | .upper_phrase += (if ($r.message | ascii_downcase | (contains("connection refused") or contains("timeout after")))
                           and ($r.message | (contains("connection refused") or contains("timeout after")) | not)
                        then 1 else 0 end)
    | .needles += (if ($r.message | contains("needle-7f3a9c")) then 1 else 0 end)
    | .stray_needle += (if ($rest | contains("needle")) then 1 else 0 end)
    | .q5 += (if $r.service == "checkout" and $r.http.status >= 500 then 1 else 0 end)
    | if $r.level == "error" then .errors[$r.service] += 1 else . end)
  | del(.prev)
  | .errors = (.errors | to_entries | map("\(.key)\t\(.value)") | join("\n"))
  | to_entries[] | "\(.key)=\(.value | @base64)"' "$F" > "$TMP/props"
prop() { grep "^$1=" "$TMP/props" | cut -d= -f2- | base64 -d; }

check "lines whose first 8 keys are not in contract order" "$(prop bad_order)" 0
check "lines with http not {method,path,status int,latency_ms,bytes int}" "$(prop bad_http)" 0
check "timestamps not RFC 3339 with ms, UTC" "$(prop bad_ts)" 0
check "timestamps that decrease" "$(prop decreasing)" 0
check "levels outside info|warn|error|debug" "$(prop bad_level)" 0
check "trace ids that are not 32 hex" "$(prop bad_trace)" 0
check "messages containing a quote or backslash" "$(prop bad_msg)" 0
check "lines with 'connection refused'/'timeout after' outside message (any case)" "$(prop stray_phrase)" 0
check "messages with those phrases not in lower case" "$(prop upper_phrase)" 0
check "lines with the needle in message (jq)" "$(prop needles)" 5
check "lines with 'needle' outside message" "$(prop stray_needle)" 0
check "lines with the needle anywhere (rg -i)" "$(n0 "$(count -i -F needle-7f3a9c)")" 5
# latency_ms must stay a float in the text (ints would change its column type)
check "latency_ms values without a decimal point" "$(n0 "$(count '"latency_ms":[0-9]+,')")" 0
# The raw-text peers find fields by key: each fixed key occurs once per line.
for key in timestamp level service host trace_id user_id http method path status latency_ms bytes message; do
  check "lines with \"$key\": twice" "$(n0 "$(count "\"$key\":.*\"$key\":")")" 0
done
# The peers' rg forms of Q2, Q5, Q6 agree with a real JSON parse.
check "Q2 rg count = jq count" "$(n0 "$(count -F '"level":"error"')")" \
  "$(prop errors | awk -F'\t' '{s+=$2} END{print s+0}')"
check "Q5 rg count = jq count" "$(n0 "$(count '"service":"checkout",.*"status":5[0-9][0-9],')")" "$(prop q5)"
check "Q6 rg per-service errors = jq" \
  "$(rg -o -N '"level":"error","service":"([^"]+)"' -r '$1' "$F" | LC_ALL=C sort | uniq -c | awk '{print $2"\t"$1}' | md5sum | cut -c1-8)" \
  "$(prop errors | LC_ALL=C sort | md5sum | cut -c1-8)"
# The corpus must cover the Q7 hour.
first="$(head -1 "$F" | jq -r .timestamp)"; last="$(tail -1 "$F" | jq -r .timestamp)"
check "corpus starts before ${Q7_DAY}T${Q7_HOUR}:00" "$([[ "$first" < "${Q7_DAY}T${Q7_HOUR}:00" ]] && echo yes || echo "no ($first)")" yes
check "corpus ends after ${Q7_DAY}T${Q7_HOUR}:59" "$([[ "$last" > "${Q7_DAY}T${Q7_HOUR}:59:59.999Z" ]] && echo yes || echo "no ($last)")" yes
# Realism, loosely: ~1% stack traces, multi-line, error share a few percent.
stacks="$(n0 "$(count -F '"stack":"')")"
check "stack traces are 0.5-2% of lines" "$(awk -v s="$stacks" -v n="$LINES" 'BEGIN{p=100*s/n; print (p>=0.5 && p<=2) ? "yes" : "no (" p "%)"}')" yes
check "stack traces span several lines" "$(jq -r 'select(.error.stack) | .error.stack' "$F" | head -200 | awk 'END{print (NR > 50) ? "yes" : "no"}')" yes
# Determinism: the same seed gives the same bytes, another seed different ones.
"$GEN" --lines 20000 --seed 7 --out "$TMP/a"; "$GEN" --lines 20000 --seed 7 --out "$TMP/b"
"$GEN" --lines 20000 --seed 8 --out "$TMP/c"
check "same seed, same bytes" "$(cmp -s "$TMP/a" "$TMP/b" && echo same || echo different)" same
check "other seed, other bytes" "$(cmp -s "$TMP/a" "$TMP/c" && echo same || echo different)" different
for n in 5 6 11 1000; do
  "$GEN" --lines "$n" --out "$TMP/small"
  check "needle lines in a $n-line corpus" "$(n0 "$(rg -c -F needle-7f3a9c "$TMP/small" || true)")" 5
done

if [ "$failures" -ne 0 ]; then
  echo "check_corpus: $failures check(s) FAILED" >&2
  exit 1
fi
echo "check_corpus: all checks passed"
