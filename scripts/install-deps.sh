#!/usr/bin/env bash
# Installs the Debian 12 packages lode needs to build, test and benchmark.
# Idempotent: when everything is present it prints nothing and returns in well under a second.
# Runs `apt-get update` only when a package is missing, and `sudo` only when not root.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config git curl
  libboost1.81-dev          # Asio + Beast (headers); conflicts with Debian's default Boost 1.74
  libsimdjson-dev libzstd-dev libre2-dev libabsl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang clang-format clang-tidy libclang-rt-14-dev
  zstd python3 bsdutils jq ripgrep
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# --no-install-recommends keeps libboost-dev (1.74) from being pulled in by a recommendation.
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
