#!/usr/bin/env bash
# shellcheck disable=SC2016  # query snippets are single-quoted: lib.sh's bench() evals them
# Queries lode is measured on that the peer scripts of ../shared/peers do not run, run against
# the stores those scripts left in $WORK, and appended to their rows in $RESULTS_DIR:
#   Q7c  the number of records in the Q7 hour (a plain count; the peers' Q7 is per minute)
# Run after run_all.sh (rg, sqlite, clickhouse), with the same RESULTS_DIR and WORK. ClickHouse
# is started again on its data directory under $WORK and stopped at the end.
#
# usage: bench/peers/peer_extras.sh FILE.ndjson
#   PEERS (default "rg sqlite clickhouse"), PEERS_DIR, RESULTS_DIR, WORK, RUNS, WARMUP, Q7_DAY,
#   Q7_HOUR as for the peer scripts
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=/dev/null
source "${PEERS_DIR:-$REPO/../shared/peers}/lib.sh"
FILE="$(realpath "$1")"
PEERS="${PEERS:-rg sqlite clickhouse}"
Q7_FROM="$(printf '%sT%02d:00:00' "$Q7_DAY" $((10#$Q7_HOUR)))"
Q7_TO="$(printf '%sT%02d:00:00' "$Q7_DAY" $((10#$Q7_HOUR + 1)))"

n0() { echo "${1:-0}"; }   # rg -c prints nothing when nothing matches
# Appends to a peer's existing rows (res_init would truncate them).
res_append() { PEER="$1"; RES="$RESULTS_DIR/$PEER.tsv"; [ -f "$RES" ]; }
has_peer() { [[ " $PEERS " == *" $1 "* ]] && [ -f "$RESULTS_DIR/$1.tsv" ]; }

if has_peer rg; then
  echo "[rg] extra queries" >&2
  res_append rg
  cat "$FILE" > /dev/null
  bench Q7c 'n0 "$({ rg -c "\"timestamp\":\"${Q7_DAY}T${Q7_HOUR}:" "$FILE" || [ $? -eq 1 ]; })"'
fi

if has_peer sqlite && [ -f "$WORK/logs.sqlite" ]; then
  echo "[sqlite] extra queries" >&2
  res_append sqlite
  sq() { sqlite3 -batch -noheader -separator $'\t' "$WORK/logs.sqlite" "$1"; }
  bench Q7c "sq \"SELECT count(*) FROM logs WHERE ts >= '$Q7_FROM' AND ts < '$Q7_TO'\""
fi

CH="$WORK/clickhouse"
if has_peer clickhouse && [ -f "$CH/config.xml" ]; then
  echo "[clickhouse] extra queries" >&2
  res_append clickhouse
  PORT="$(sed -n 's:.*<tcp_port>\([0-9]*\)</tcp_port>.*:\1:p' "$CH/config.xml")"
  rm -f "$CH/ch.pid"
  clickhouse-server --config-file="$CH/config.xml" --daemon --pid-file="$CH/ch.pid" > "$CH/stdout.extras.log" 2>&1
  for _ in $(seq 1 100); do clickhouse-client --port "$PORT" -q 'SELECT 1' > /dev/null 2>&1 && break; sleep 0.2; done
  SPID="$(cat "$CH/ch.pid")"
  stop_server() {
    kill "$SPID" 2> /dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SPID" 2> /dev/null || break; sleep 0.2; done
  }
  trap stop_server EXIT
  chq() { clickhouse-client --port "$PORT" "$@"; }
  bench Q7c "chq -q \"SELECT count() FROM logs WHERE ts >= toDateTime('${Q7_FROM/T/ }') AND ts < toDateTime('${Q7_TO/T/ }')\""
fi
