#!/usr/bin/env bash
# One comparison run: the peers of ../shared/peers and lode on the same corpus, on this machine,
# rendered as one RESULTS.md.
#
# usage: bench/peers/compare.sh FILE.ndjson
#   PEERS (default "rg zstd sqlite clickhouse"), LODE, PEERS_DIR, RESULTS_DIR as for lode.sh
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PEERS_DIR="$(realpath "${PEERS_DIR:-$REPO/../shared/peers}")"
export RESULTS_DIR="${RESULTS_DIR:-${TMPDIR:-/tmp}/peer-results}"
FILE="$(realpath "$1")"
rm -f "$RESULTS_DIR"/*.tsv
bash "$PEERS_DIR/run_all.sh" "$FILE"
echo "== lode" >&2
PEERS_DIR="$PEERS_DIR" bash "$REPO/bench/peers/lode.sh" "$FILE"
python3 "$PEERS_DIR/make_results.py" "$RESULTS_DIR" > "$RESULTS_DIR/RESULTS.md"
echo "wrote $RESULTS_DIR/RESULTS.md" >&2
