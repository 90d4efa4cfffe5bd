#!/usr/bin/env bash
# What a lode process does before its command starts: libgcc_s's CPU-model constructor (about
# ten CPUIDs, each a hypervisor exit in a virtual machine) must be bound to lode's empty one
# (cli/main.cc), and the CPU model it would fill must be referred to by no library lode loads.
# usage: startup_test.sh LODE
set -euo pipefail
LODE="$1"
fail() { echo "FAIL: $*" >&2; exit 1; }
if [ "$(uname -m)" != x86_64 ]; then echo "not x86-64: nothing to check"; exit 0; fi

bindings=$(LD_DEBUG=bindings "$LODE" version 2>&1 >/dev/null | grep "__cpu_indicator_init" || true)
echo "$bindings" | grep -q "libgcc_s.so.1 \[0\] to $LODE \[0\]" ||
  fail "libgcc_s's CPU-model constructor is not bound to lode's: $bindings"

for lib in $(ldd "$LODE" | awk '/=>/ {print $3}'); do
  case "$lib" in */libgcc_s.so.*) continue ;; esac
  if nm -D --undefined-only "$lib" 2>/dev/null | grep -qE "__cpu_model|__cpu_features2"; then
    fail "$lib reads libgcc's CPU model, which lode leaves empty"
  fi
done
"$LODE" version >/dev/null || fail "lode version failed"
echo "PASS"
