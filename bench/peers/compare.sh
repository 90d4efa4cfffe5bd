#!/usr/bin/env bash
# One comparison run: the peers of ../shared/peers and lode on the same corpus, on this machine,
# rendered as $RESULTS_DIR/RESULTS.md (every peer, make_results.py) and $RESULTS_DIR/LODE.md
# (lode against each peer: ratios, sizes, ingest cost of the index, issue 4's targets).
#
# Order: the query peers (rg, sqlite, clickhouse, jq), lode, the queries the peer scripts lack
# (peer_extras.sh), Q1 of lode and SQLite alternating in one loop (head_to_head.sh), and zstd
# last: `zstd -19 -T2` of a large file takes the longest and wants
# both cores, and it only contributes sizes and decompress-and-grep times.
#
# usage: bench/peers/compare.sh FILE.ndjson
#   PEERS (default "rg zstd sqlite clickhouse"), LODE, LODE_STATS, PEERS_DIR, RESULTS_DIR, WORK,
#   RUNS, WARMUP as for lode.sh
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PEERS_DIR="$(realpath "${PEERS_DIR:-$REPO/../shared/peers}")"
export RESULTS_DIR="${RESULTS_DIR:-${TMPDIR:-/tmp}/peer-results}"
PEERS="${PEERS:-rg zstd sqlite clickhouse}"
FILE="$(realpath "$1")"
mkdir -p "$RESULTS_DIR"
rm -f "$RESULTS_DIR"/*.tsv
stamp() { echo "== $(date -u +%FT%TZ) $*" >&2; }
first="" last=""
for p in $PEERS; do
  if [ "$p" = zstd ]; then last="zstd"; else first="$first $p"; fi
done
if [ -n "$first" ]; then
  stamp "peers:$first"
  PEERS="${first# }" bash "$PEERS_DIR/run_all.sh" "$FILE"
fi
stamp "lode"
PEERS_DIR="$PEERS_DIR" bash "$REPO/bench/peers/lode.sh" "$FILE"
stamp "extra queries for the peers"
PEERS="${first# }" PEERS_DIR="$PEERS_DIR" bash "$REPO/bench/peers/peer_extras.sh" "$FILE"
if [[ " $first " == *" sqlite "* ]]; then
  stamp "Q1 head to head: lode and SQLite alternating"
  PEERS_DIR="$PEERS_DIR" bash "$REPO/bench/peers/head_to_head.sh"
fi
if [ -n "$last" ]; then
  stamp "peers: $last"
  bash "$PEERS_DIR/$last.sh" "$FILE" || echo "!! peer $last failed (rc=$?)" >&2
fi
stamp "done"
python3 "$PEERS_DIR/make_results.py" "$RESULTS_DIR" > "$RESULTS_DIR/RESULTS.md"
python3 "$REPO/bench/peers/lode_vs_peers.py" "$RESULTS_DIR" > "$RESULTS_DIR/LODE.md"
echo "wrote $RESULTS_DIR/RESULTS.md and $RESULTS_DIR/LODE.md" >&2
