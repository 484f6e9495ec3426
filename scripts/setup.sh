#!/usr/bin/env bash
# Installs every Debian 12 package rskv needs to build, test, benchmark and plot.
# Idempotent: when everything is already installed it only checks and returns.
# Runs as root (CI, fresh machines) or through sudo when available.
set -euo pipefail

PACKAGES=(
  # toolchain
  g++ cmake make pkg-config git ca-certificates
  # engine and tests
  libboost-dev libtbb-dev libgtest-dev libgmock-dev libbenchmark-dev
  libyaml-cpp-dev liburing-dev libxxhash-dev nlohmann-json3-dev
  # baselines
  libcuckoo-dev librocksdb-dev
  # plotting (Debian's python3, not a pyenv one)
  python3 python3-matplotlib
  # measuring
  fio linux-perf
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "setup: need root to install: ${missing[*]}" >&2
    exit 1
  fi
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
