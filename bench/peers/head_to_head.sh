#!/usr/bin/env bash
# shellcheck disable=SC2016  # the commands are single-quoted: they are evaluated per run
# Q1 (the rare token) of lode and of SQLite FTS5 in one loop, the two alternating run by run
# (which one goes first alternates too), after both were measured on their own by the peer
# scripts and lode.sh. Both take 3-5 ms, mostly process start, and the phases of a comparison
# run lie minutes apart on a shared machine whose speed drifts by more than their difference; in
# one alternating loop the drift falls on both alike.
#
# Reads the stores compare.sh left in $WORK (logs.sqlite, lode) and writes rows to
# $RESULTS_DIR/head_to_head.tsv:  query  Q1-<tool>  <median_ms>  <result>  <all_ms>
#
# usage: bench/peers/head_to_head.sh
#   PEERS_DIR, RESULTS_DIR, WORK as for the peer scripts; LODE (default build/lode); H2H_RUNS
#   (default 41)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=/dev/null
source "${PEERS_DIR:-$REPO/../shared/peers}/lib.sh"
LODE="$(realpath "${LODE:-$REPO/build/lode}")"
RUNS="${H2H_RUNS:-41}"
DB="$WORK/logs.sqlite"
DATA="$WORK/lode"
if [ ! -f "$DB" ] || [ ! -d "$DATA" ]; then
  echo "head_to_head: needs $DB and $DATA (run the sqlite peer and lode.sh first)" >&2
  exit 1
fi
# The peers' own Q1 commands (../shared/peers/sqlite.sh, bench/peers/lode.sh).
declare -A CMD=(
  [lode]='"$LODE" query --data "$DATA" --count "$NEEDLE"'
  [sqlite]='sqlite3 -batch -noheader -separator $'"'"'\t'"'"' "$DB" "SELECT count(*) FROM logs WHERE id IN (SELECT rowid FROM logs_fts WHERE logs_fts MATCH '"'"'\"$NEEDLE\"'"'"') AND instr(message, '"'"'$NEEDLE'"'"') > 0"'
)
declare -A ALL OUT
for tool in lode sqlite; do eval "${CMD[$tool]}" > /dev/null; done  # warm up
for ((i = 0; i < RUNS; i++)); do
  if ((i % 2 == 0)); then order=(lode sqlite); else order=(sqlite lode); fi
  for tool in "${order[@]}"; do
    t0=$(now_ns)
    OUT[$tool]=$(eval "${CMD[$tool]}")
    t1=$(now_ns)
    ALL[$tool]+="$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", (b-a)/1e6}') "
  done
done
res_init head_to_head
for tool in lode sqlite; do
  # shellcheck disable=SC2086  # word splitting of the list of times is wanted
  med=$(printf '%s\n' ${ALL[$tool]} | sort -g |
    awk '{a[NR]=$1} END{ if (NR%2) print a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2 }')
  res query "Q1-$tool" "$med" "${OUT[$tool]}" "$(echo "${ALL[$tool]}" | sed 's/ $//; s/ /,/g')"
  printf '  Q1 %-6s median %7s ms  -> %s  (alternating, %d runs)\n' "$tool" "$med" "${OUT[$tool]}" \
    "$RUNS" >&2
done
