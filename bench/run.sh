#!/usr/bin/env bash
# `make bench`: the micro-benchmarks and lode_bench on a generated corpus.
#
# usage: bench/run.sh      (BUILD=build, LINES=1000000; extra lode_bench flags in LODE_BENCH_FLAGS)
# The full comparison with the peer tools is bench/peers/compare.sh (see docs/PERFORMANCE.md).
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${BUILD:-$REPO/build}"
LINES="${LINES:-1000000}"
"$BUILD/bench/parse_bench"
"$BUILD/bench/segment_writer_bench"
# shellcheck disable=SC2086
"$BUILD/lode_bench" --lines "$LINES" ${LODE_BENCH_FLAGS:-}
