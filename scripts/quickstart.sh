#!/usr/bin/env bash
# The main job: set up (Debian packages), build rskv-bench, run configs/quickstart.yaml (rskv
# beside oneTBB, libcuckoo and RocksDB; under a minute on 2 cores) and plot the results.
#   bash scripts/quickstart.sh [extra rskv-bench arguments, e.g. --set repeats=3]
# The results folder (results/quickstart-<timestamp>/) gets results.csv, results.json,
# timeline.csv and figures/*.png|pdf.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

cmake -S . -B build >/dev/null
cmake --build build -j2 --target rskv-bench

out="results/quickstart-$(date -u +%Y%m%d-%H%M%S)"
mkdir -p results
build/experiments/rskv-bench/rskv-bench configs/quickstart.yaml --out "$out" "$@"
analysis/plot "$out"
echo "quickstart: results and figures in $out (figures/README.txt lists them)"
