#!/usr/bin/env bash
# shellcheck disable=SC2016,SC2034  # query snippets are single-quoted: lib.sh's bench() evals them
# Peer row for lode: ingests FILE with `lode ingest` and runs Q1-Q7 with `lode query`, writing
# $RESULTS_DIR/lode.tsv in the format of the peer scripts (../shared/peers/lib.sh), so that
# make_results.py puts lode in the same table as rg, zstd, SQLite and ClickHouse.
#
# Besides the peers' rows it records:
#   - ingest without the index (`lode ingest --no-index`), twice alternating with ingest with
#     it, into throw-away data directories: rows ingest_noindex_*, ingest_r2_*, ingest_noindex_r2_*
#   - the index share from lode_segment_stats (meta index_bytes, index_pct_of_columns, ...)
#     and the whole listing in $RESULTS_DIR/lode_segment_stats.txt
#   - Q7c: the number of records in the Q7 hour (peer_extras.sh adds it for the other peers)
#   - Q1u: Q1 on the segments `lode ingest` leaves; then `lode compact` (rows compact_*, like
#     ClickHouse's OPTIMIZE after its insert) and every other query on the compacted store
#   - each query once more with --explain: $RESULTS_DIR/lode_explain.txt, and its "blocks:" line
#     as meta explain_<Qid>
#
# usage: bench/peers/lode.sh FILE.ndjson
#   LODE        the lode binary (default: build/lode of this repo)
#   LODE_STATS  lode_segment_stats (default: beside LODE)
#   PEERS_DIR   the peer scripts (default: ../shared/peers beside the repo)
#   NOINDEX     0 skips the ingest runs without the index (default 1)
#   RESULTS_DIR, WORK, RUNS, WARMUP, Q7_DAY, Q7_HOUR as for the peer scripts
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LODE="$(realpath "${LODE:-$REPO/build/lode}")"
LODE_STATS="$(realpath "${LODE_STATS:-$(dirname "$LODE")/lode_segment_stats}")"
# shellcheck source=/dev/null
source "${PEERS_DIR:-$REPO/../shared/peers}/lib.sh"
FILE="$(realpath "$1")"
DATA="$WORK/lode"
SCRATCH="$WORK/lode-scratch"
Q7_FROM="$(printf '%sT%02d:00:00Z' "$Q7_DAY" $((10#$Q7_HOUR)))"
Q7_TO="$(printf '%sT%02d:00:00Z' "$Q7_DAY" $((10#$Q7_HOUR + 1)))"

res_init lode
res meta version "$("$LODE" --version)"
res meta note "ingest = lode ingest FILE (one process, segments zstd, with the inverted index); ingest_noindex = the same with --no-index. Queries = lode query, whole process. Q4 = lode's regex ~\"...\" (message). Q6/Q7: no aggregation pipes yet, so lode query --limit 0 --output ndjson | rg | sort | uniq -c (Q7 selects the hour with --from/--to); their times include printing every matching record. Q7c = --count of the hour (_time:[from, to))"
rm -rf "$DATA" "$SCRATCH"
cat "$FILE" > /dev/null   # warm the page cache, as the other peers do
echo "[lode] ingest" >&2
timed ingest "'$LODE' ingest --quiet --data '$DATA' '$FILE'"
res ingest store_bytes "$(dir_bytes "$DATA")"; res ingest raw_bytes "$(file_bytes "$FILE")"
if [ "${NOINDEX:-1}" != 0 ]; then
  # The cost of indexing: the same ingest without the index, alternating with a second run with
  # it, so that load from elsewhere on the machine hits both sides alike.
  timed ingest_noindex "'$LODE' ingest --quiet --no-index --data '$SCRATCH/noindex' '$FILE'"
  res ingest noindex_store_bytes "$(dir_bytes "$SCRATCH/noindex")"
  rm -rf "$SCRATCH/noindex"
  timed ingest_r2 "'$LODE' ingest --quiet --data '$SCRATCH/index' '$FILE'"
  rm -rf "$SCRATCH/index"
  timed ingest_noindex_r2 "'$LODE' ingest --quiet --no-index --data '$SCRATCH/noindex' '$FILE'"
  rm -rf "$SCRATCH"
fi

lq() { "$LODE" query --data "$DATA" "$@"; }
n0() { echo "${1:-0}"; }   # rg -c prints nothing when nothing matches
res meta rows "$(lq --count '*')"
res meta segments "$(find "$DATA" -name '*.lode' | wc -l)"
"$LODE_STATS" "$DATA" > "$RESULTS_DIR/lode_segment_stats.txt"
# "N segments, B blocks, R records" and
# "(index)  BYTES  SHARE%  P% of the column data; K keys, dictionary D, block filters F"
res meta blocks "$(awk 'NR==1{print $3}' "$RESULTS_DIR/lode_segment_stats.txt")"
res meta index_bytes "$(awk '$1=="(index)"{print $2}' "$RESULTS_DIR/lode_segment_stats.txt")"
res meta index_share_of_segments "$(awk '$1=="(index)"{print $3}' "$RESULTS_DIR/lode_segment_stats.txt")"
res meta index_pct_of_columns "$(awk '$1=="(index)"{print $4}' "$RESULTS_DIR/lode_segment_stats.txt")"
res meta index_detail "$(sed -n 's/^(index) *[0-9]* *[0-9.]*% *//p' "$RESULTS_DIR/lode_segment_stats.txt")"
res meta segments_bytes "$(awk '$1=="segments" && $2=="total"{print $3}' "$RESULTS_DIR/lode_segment_stats.txt")"

# One list of queries for both the timed runs and --explain: id, then the lode command line
# (for Q6/Q7 the lode part of the pipeline; the timed run adds the counting pipeline).
Q7_WINDOW=(--from "$Q7_FROM" --to "$Q7_TO")
declare -A LQ=(
  [Q0]='--count --from 2000-01-01T00:00:00Z --to 2000-01-01T00:00:01Z "*"'
  [Q1]='--count "$NEEDLE"'
  [Q2]='--count "level:error"'
  [Q3]='--count "\"connection refused\""'
  [Q4]='--count "~\"timeout after [0-9]+ms\""'
  [Q5]='--count "service:checkout http.status:>=500"'
  [Q6]='--limit 0 --output ndjson "level:error"'
  [Q7]='"${Q7_WINDOW[@]}" --limit 0 --output ndjson "*"'
  [Q7c]='--count "_time:[$Q7_FROM, $Q7_TO)"'
)
echo "[lode] queries" >&2
# Q1u: the rare token on the segments the bulk ingest left (one per 64 MB batch), before
# compaction. Then `lode compact`, as ClickHouse's row runs OPTIMIZE after its insert, and
# Q0-Q7 on the compacted store.
bench Q1u "lq ${LQ[Q1]}"
echo "[lode] compact" >&2
timed compact "'$LODE' compact --data '$DATA' > /dev/null"
res meta segments_after_compact "$(find "$DATA" -name '*.lode' | wc -l)"
# Q0: process start, store listing, nothing to scan (an empty time window).
bench Q0 "lq ${LQ[Q0]}"
bench Q1 "lq ${LQ[Q1]}"
bench Q2 "lq ${LQ[Q2]}"
bench Q3 "lq ${LQ[Q3]}"
bench Q4 "lq ${LQ[Q4]}"
bench Q5 "lq ${LQ[Q5]}"
bench Q6 "lq ${LQ[Q6]}"' | { rg -o -N "\"service\":\"([^\"]+)\"" -r "\$1" || [ $? -eq 1 ]; } | LC_ALL=C sort | uniq -c | awk "{print \$2\"\t\"\$1}" | top5_kv'
bench Q7 "lq ${LQ[Q7]}"' | { rg -o -N "\"_time\":\"${Q7_DAY}T(${Q7_HOUR}:[0-9][0-9])" -r "\$1" || [ $? -eq 1 ]; } | LC_ALL=C sort | uniq -c | awk "{print \$2\"\t\"\$1}" | summarize_kv'
bench Q7c "lq ${LQ[Q7c]}"

echo "[lode] explain" >&2
EXPLAIN="$RESULTS_DIR/lode_explain.txt"
: > "$EXPLAIN"
for q in Q0 Q1 Q2 Q3 Q4 Q5 Q6 Q7 Q7c; do
  eval "set -- ${LQ[$q]}"
  printf '== %s: lode query %s --explain\n' "$q" "$(printf '%q ' "$@")" >> "$EXPLAIN"
  "$LODE" query --data "$DATA" --explain "$@" > "$WORK/explain.out" 2> "$WORK/explain.txt"
  if [ "$(wc -l < "$WORK/explain.out")" -le 1 ]; then cat "$WORK/explain.out" >> "$EXPLAIN"
  else echo "($(wc -l < "$WORK/explain.out") lines of output)" >> "$EXPLAIN"; fi
  cat "$WORK/explain.txt" >> "$EXPLAIN"
  res meta "explain_$q" "$(grep -m1 '^blocks:' "$WORK/explain.txt" || echo '?')"
done
rm -f "$WORK/explain.out" "$WORK/explain.txt"
