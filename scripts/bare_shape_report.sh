#!/usr/bin/env bash
# Runs bare_shape_bench (the bare shape, rskv and oneTBB in one program) and store_bench's Read
# cells with JSON output into a folder, then prints Mops/s per cell and the ratios
# rskv/bare-single, rskv/oneTBB, batch32/bare-single and (when the engine has read_batch)
# rskv-batch32/bare-batch32, all taken from bare_shape_bench's own run (store_bench's figures
# are printed beside them for reference, not used in ratios). Columns: bare, b8..b32 (bare
# batches), rskv, r8..r32 (rskv read_batch), oneTBB, sb:* (store_bench).
#
#   scripts/bare_shape_report.sh [OUT_DIR]
#
# Environment:
#   BUILD_DIR            build tree holding experiments/micro/ (default: build-bare)
#   RSKV_BENCH_RECORDS   record counts, comma-separated (default: 4000000,16000000)
#   RSKV_BENCH_MIN_TIME  seconds per bare_shape_bench cell (default 2; store_bench always 2)
#   REPETITIONS          repetitions per cell (default 1); with more, the median is reported
#   SKIP_STORE_BENCH=1   do not run store_bench
#   SKIP_RUN=1           only print the table from the JSON already in OUT_DIR
#   STORE_FILTER         store_bench's --benchmark_filter (default ^Read/)
# Extra arguments after OUT_DIR go to both programs (a --benchmark_filter among them applies to
# bare_shape_bench only: store_bench always gets STORE_FILTER).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT_DIR="${1:-$ROOT/results/bare_shape/$(date -u +%Y%m%dT%H%M%SZ)}"
shift || true
BUILD_DIR="${BUILD_DIR:-$ROOT/build-bare}"
REPETITIONS="${REPETITIONS:-1}"
BARE="$BUILD_DIR/experiments/micro/bare_shape_bench"
STORE="$BUILD_DIR/experiments/micro/store_bench"

mkdir -p "$OUT_DIR"

if [ "${SKIP_RUN:-0}" != 1 ]; then
  for exe in "$BARE" "$STORE"; do
    if [ ! -x "$exe" ]; then
      echo "bare_shape_report: $exe not built (cmake --build $BUILD_DIR --target $(basename "$exe"))" >&2
      exit 1
    fi
  done
  # One process per record count (each loads its data sets once); JSON into OUT_DIR
  # (--benchmark_out), console progress on stderr. With repetitions, Google Benchmark's random
  # interleaving spreads the repeats of every system over the whole run.
  common=(--benchmark_out_format=json --benchmark_repetitions="$REPETITIONS")
  if [ "$REPETITIONS" -gt 1 ]; then common+=(--benchmark_enable_random_interleaving=true); fi
  IFS=, read -r -a counts <<<"${RSKV_BENCH_RECORDS:-4000000,16000000}"
  for n in "${counts[@]}"; do
    [ -n "$n" ] || continue
    echo "bare_shape_report: $BARE ($n records) -> $OUT_DIR/bare_shape_bench.$n.json" >&2
    RSKV_BENCH_RECORDS="$n" "$BARE" "${common[@]}" \
      --benchmark_out="$OUT_DIR/bare_shape_bench.$n.json" "$@" >&2
    if [ "${SKIP_STORE_BENCH:-0}" != 1 ]; then
      echo "bare_shape_report: $STORE ($n records, Read) -> $OUT_DIR/store_bench.$n.json" >&2
      RSKV_BENCH_RECORDS="$n" "$STORE" "${common[@]}" \
        --benchmark_out="$OUT_DIR/store_bench.$n.json" "$@" \
        --benchmark_filter="${STORE_FILTER:-^Read/}" >&2
    fi
  done
fi

/usr/bin/python3 - "$OUT_DIR" <<'PY'
import glob
import json
import os
import re
import statistics
import sys

out_dir = sys.argv[1]
NAME = re.compile(r"^Read/(?P<sys>[^/]+)/(?:records:)?(?P<n>\d+)/(?:dist:)?(?P<d>\d+)/.*threads:(?P<t>\d+)")


def load(path, prefix):
    """{(records, dist, threads): {column: (real, cpu)}} from one Google Benchmark JSON file.

    real: Mops/s over wall-clock time (items_per_second, UseRealTime).
    cpu:  Mops per CPU-second of the cell's threads, times the thread count: what the cell
          would reach on idle cores. Google Benchmark reports cpu_time summed over threads and
          real_time divided by them, so items/CPU-second = items_per_second * real / cpu.
    """
    cells = {}
    with open(path) as f:
        doc = json.load(f)
    samples = {}
    for b in doc.get("benchmarks", []):
        name = b.get("run_name", b["name"])
        m = NAME.match(name)
        if not m:
            continue
        key = (int(m["n"]), int(m["d"]), int(m["t"]))
        col = prefix + m["sys"]
        if b.get("error_occurred"):
            cells.setdefault(key, {})[col] = None
            continue
        if b.get("run_type", "iteration") != "iteration" or "items_per_second" not in b:
            continue  # aggregates are recomputed below from the repetitions
        real = b["items_per_second"] / 1e6
        cpu = real * b["real_time"] / b["cpu_time"] * key[2] if b["cpu_time"] > 0 else None
        samples.setdefault((key, col), []).append((real, cpu))
    for (key, col), v in samples.items():
        cpus = [c for _, c in v if c is not None]
        cells.setdefault(key, {}).setdefault(
            col, (statistics.median(r for r, _ in v), statistics.median(cpus) if cpus else None))
    return cells


cells = {}
for path in sorted(glob.glob(os.path.join(out_dir, "*.json"))):
    base = os.path.basename(path)
    if base.startswith("bare_shape_bench"):
        src = load(path, "")
    elif base.startswith("store_bench"):
        src = load(path, "sb:")
    else:
        continue
    for k, v in src.items():
        cells.setdefault(k, {}).update(v)
if not cells:
    sys.exit("bare_shape_report: no Read cells in " + out_dir)

cols = [("bare", "bare"), ("bare_batch8", "b8"), ("bare_batch16", "b16"),
        ("bare_batch32", "b32"), ("rskv", "rskv"), ("rskv_batch8", "r8"),
        ("rskv_batch16", "r16"), ("rskv_batch32", "r32"), ("tbb_hash_map", "oneTBB"),
        ("sb:rskv", "sb:rskv"), ("sb:tbb_hash_map", "sb:oneTBB")]


def fmt(x):
    return "-" if x is None else f"{x:.2f}"


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def table(which, title):
    def get(c, k):
        v = c.get(k)
        return None if v is None else v[which]

    head = ["records", "dist", "thr"] + [c[1] for c in cols] + [
        "rskv/bare", "rskv/oneTBB", "b32/bare", "r32/b32"]
    print(title)
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" for _ in head) + "|")
    for (n, d, t) in sorted(cells):
        c = cells[(n, d, t)]
        rec = f"{n // 1000000}M" if n % 1000000 == 0 else str(n)
        row = [rec, "uniform" if d == 0 else "zipf0.99", str(t)]
        row += [fmt(get(c, k)) for k, _ in cols]
        row += [fmt(ratio(get(c, "rskv"), get(c, "bare"))),
                fmt(ratio(get(c, "rskv"), get(c, "tbb_hash_map"))),
                fmt(ratio(get(c, "bare_batch32"), get(c, "bare"))),
                fmt(ratio(get(c, "rskv_batch32"), get(c, "bare_batch32")))]
        print("| " + " | ".join(row) + " |")
    print()


print("bare..oneTBB: bare_shape_bench, one program; sb:*: store_bench, a separate program.")
print("Ratios use bare_shape_bench's figures only. Medians of the repetitions when more than")
print("one (repetitions randomly interleaved across systems).")
print()
table(0, "Mops/s, wall-clock (items_per_second, UseRealTime):")
table(1, "Mops per CPU-second x threads (the cell on idle cores; robust on a busy machine):")
PY
