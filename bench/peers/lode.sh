#!/usr/bin/env bash
# shellcheck disable=SC2016,SC2034  # query snippets are single-quoted: lib.sh's bench() evals them
# Peer row for lode: ingests FILE with `lode ingest` and runs Q1-Q7 with `lode query`, writing
# $RESULTS_DIR/lode.tsv in the format of the peer scripts (../shared/peers/lib.sh), so that
# make_results.py puts lode in the same table as rg, zstd, SQLite and ClickHouse.
#
# usage: bench/peers/lode.sh FILE.ndjson
#   LODE       the lode binary (default: build/lode of this repo)
#   PEERS_DIR  the peer scripts (default: ../shared/peers beside the repo)
#   RESULTS_DIR, WORK, RUNS, WARMUP, Q7_DAY, Q7_HOUR as for the peer scripts
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LODE="$(realpath "${LODE:-$REPO/build/lode}")"
# shellcheck source=/dev/null
source "${PEERS_DIR:-$REPO/../shared/peers}/lib.sh"
FILE="$(realpath "$1")"
DATA="$WORK/lode"
Q7_TO="$(printf '%sT%02d:00:00Z' "$Q7_DAY" $((10#$Q7_HOUR + 1)))"

res_init lode
res meta version "$("$LODE" --version)"
res meta note "ingest = lode ingest FILE (one process, one thread, segments zstd 3); queries = lode query, whole process. Q4: the query language has no regex yet, so the phrase \"timeout after\" | rg -c 'timeout after [0-9]+ms'. Q6/Q7: no aggregation pipes yet, so lode query --limit 0 --output ndjson | rg | sort | uniq -c (Q7 selects the hour with --from/--to); their times include printing every matching record"
rm -rf "$DATA"
cat "$FILE" > /dev/null   # warm the page cache, as the other peers do
echo "[lode] ingest" >&2
timed ingest "'$LODE' ingest --quiet --data '$DATA' '$FILE'"
res ingest store_bytes "$(dir_bytes "$DATA")"; res ingest raw_bytes "$(file_bytes "$FILE")"
lq() { "$LODE" query --data "$DATA" "$@"; }
n0() { echo "${1:-0}"; }   # rg -c prints nothing when nothing matches
res meta rows "$(lq --count '*')"
res meta segments "$(find "$DATA" -name '*.lode' | wc -l)"

echo "[lode] queries" >&2
# Q0: process start, store listing, nothing to scan (an empty time window).
bench Q0 'lq --count --from 2000-01-01T00:00:00Z --to 2000-01-01T00:00:01Z "*"'
bench Q1 'lq --count "$NEEDLE"'
bench Q2 'lq --count "level:error"'
bench Q3 'lq --count "\"connection refused\""'
bench Q4 'n0 "$(lq --limit 0 --output ndjson "\"timeout after\"" | { rg -c "timeout after [0-9]+ms" || [ $? -eq 1 ]; })"'
bench Q5 'lq --count "service:checkout http.status:>=500"'
bench Q6 'lq --limit 0 --output ndjson "level:error" | rg -o -N "\"service\":\"([^\"]+)\"" -r "\$1" | LC_ALL=C sort | uniq -c | awk "{print \$2\"\t\"\$1}" | top5_kv'
bench Q7 'lq --from "${Q7_DAY}T${Q7_HOUR}:00:00Z" --to "$Q7_TO" --limit 0 --output ndjson "*" | rg -o -N "\"_time\":\"${Q7_DAY}T(${Q7_HOUR}:[0-9][0-9])" -r "\$1" | LC_ALL=C sort | uniq -c | awk "{print \$2\"\t\"\$1}" | summarize_kv'
