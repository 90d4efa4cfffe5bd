#!/usr/bin/env bash
# shellcheck disable=SC2016  # the commands are single-quoted: they are evaluated per run
# Q1 (the rare token) of lode and of SQLite FTS5 run in turn, after both were measured on their
# own by the peer scripts and lode.sh. Both take ~2 ms, mostly process start, and the phases of
# a comparison run lie minutes apart on a shared machine whose speed drifts by more than their
# difference; run in turn, the drift falls on both alike. Timed twice: by lode_spawn_timer
# (judged), and in a bash loop like the peer scripts' (shown).
#
# Reads the stores compare.sh left in $WORK (logs.sqlite, lode) and writes rows to
# $RESULTS_DIR/head_to_head.tsv:  query  Q1-<tool>  <median_ms>  <result>  <all_ms>  (timed by
# lode_spawn_timer, built beside lode) and Q1bash-<tool> (the bash loop).
#
# usage: bench/peers/head_to_head.sh
#   PEERS_DIR, RESULTS_DIR, WORK as for the peer scripts; LODE (default build/lode); H2H_RUNS
#   (default 101); SPAWN_TIMER (default lode_spawn_timer beside LODE)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=/dev/null
source "${PEERS_DIR:-$REPO/../shared/peers}/lib.sh"
LODE="$(realpath "${LODE:-$REPO/build/lode}")"
RUNS="${H2H_RUNS:-101}"
DB="$WORK/logs.sqlite"
DATA="$WORK/lode"
if [ ! -f "$DB" ] || [ ! -d "$DATA" ]; then
  echo "head_to_head: needs $DB and $DATA (run the sqlite peer and lode.sh first)" >&2
  exit 1
fi
# The peers' own Q1 commands (../shared/peers/sqlite.sh, bench/peers/lode.sh), as argument
# lists for lode_spawn_timer and as text for the bash loop.
LODE_ARGS=("$LODE" query --data "$DATA" --count "$NEEDLE")
SQLITE_ARGS=(sqlite3 -batch -noheader -separator $'\t' "$DB"
  "SELECT count(*) FROM logs WHERE id IN (SELECT rowid FROM logs_fts WHERE logs_fts MATCH '\"$NEEDLE\"') AND instr(message, '$NEEDLE') > 0")
declare -A CMD=([lode]="${LODE_ARGS[*]@Q}" [sqlite]="${SQLITE_ARGS[*]@Q}")
res_init head_to_head

# 1. Judged: lode_spawn_timer runs the two in turn from a small process (fork, exec, wait), so
# that what is timed is the command and not the shell around it.
TIMER="${SPAWN_TIMER:-$(dirname "$LODE")/lode_spawn_timer}"
if [ -x "$TIMER" ]; then
  mapfile -t lines < <("$TIMER" "$RUNS" "${LODE_ARGS[@]}" --- "${SQLITE_ARGS[@]}")
  k=0
  for tool in lode sqlite; do
    IFS=$'\t' read -r med all out <<< "${lines[$k]}"
    k=$((k + 1))
    med=$(printf '%.2f' "$med")
    res query "Q1-$tool" "$med" "$out" "$all"
    printf '  Q1 %-6s median %7s ms  -> %s  (lode_spawn_timer, in turn, %d runs)\n' "$tool" "$med" \
      "$out" "$RUNS" >&2
  done
else
  echo "head_to_head: no $TIMER (build the lode_spawn_timer target); bash loop only" >&2
fi

# 2. Shown beside it: the same in a bash loop, as the peer scripts time (lib.sh's now_ns runs
# `date` twice per run), which goes first alternating run by run. The shell's own share is about
# as large as the commands' and noisy.
declare -A ALL OUT
for tool in lode sqlite; do eval "${CMD[$tool]}" > /dev/null; done  # warm up
for ((i = 0; i < RUNS; i++)); do
  if ((i % 2 == 0)); then order=(lode sqlite); else order=(sqlite lode); fi
  for tool in "${order[@]}"; do
    t0=$(now_ns)
    OUT[$tool]=$(eval "${CMD[$tool]}")
    t1=$(now_ns)
    ALL[$tool]+="$(((t1 - t0) / 1000)) "  # us, in bash: no process between the runs
  done
done
for tool in lode sqlite; do
  # shellcheck disable=SC2086  # word splitting of the list of times is wanted
  med=$(printf '%s\n' ${ALL[$tool]} | sort -g |
    awk '{a[NR]=$1} END{ printf "%.2f\n", (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2) / 1000 }')
  # shellcheck disable=SC2086
  res query "Q1bash-$tool" "$med" "${OUT[$tool]}" \
    "$(printf '%s\n' ${ALL[$tool]} | awk '{ if (NR > 1) printf ","; printf "%.2f", $1 / 1000 }')"
  printf '  Q1 %-6s median %7s ms  -> %s  (bash loop, alternating, %d runs)\n' "$tool" "$med" \
    "${OUT[$tool]}" "$RUNS" >&2
done
