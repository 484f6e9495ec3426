#!/bin/sh
# Measures rskv-bench's own overhead: runs the micro benchmark (store_bench, which times
# rskv and oneTBB lookups in one program) and rskv-bench (configs/driver_overhead.yaml) back
# to back on the same YCSB-C cell, and checks that the rskv/oneTBB throughput ratio from
# each agrees within 10%. Exit 0 when it does, 1 when not, 2 on bad arguments.
#
#   experiments/rskv-bench/driver_overhead.sh [BUILD_DIR] [RECORDS] [THREADS] [DISTRIBUTION]
#   defaults: build 4000000 1 uniform          (DISTRIBUTION: uniform | zipfian)
set -eu

build=${1:-build}
records=${2:-4000000}
threads=${3:-1}
dist=${4:-uniform}
src=$(cd "$(dirname "$0")/../.." && pwd)

case "$dist" in
  uniform) dist_arg=0 ;;
  zipfian) dist_arg=1 ;;
  *) echo "driver_overhead.sh: DISTRIBUTION must be uniform or zipfian (got '$dist')" >&2; exit 2 ;;
esac
micro="$build/experiments/micro/store_bench"
bench="$build/experiments/rskv-bench/rskv-bench"
for exe in "$micro" "$bench"; do
  if [ ! -x "$exe" ]; then
    echo "driver_overhead.sh: $exe is missing; build it: cmake --build $build --target store_bench rskv-bench" >&2
    exit 2
  fi
done

out=$(mktemp -d "${TMPDIR:-/tmp}/rskv-overhead-XXXXXX")
echo "micro benchmark: Read/rskv and Read/tbb_hash_map, $records records, $dist, $threads thread(s)"
RSKV_BENCH_RECORDS=$records "$micro" \
  --benchmark_filter="^Read/(rskv|tbb_hash_map)/$records/$dist_arg/.*threads:$threads\$" \
  --benchmark_repetitions=3 --benchmark_format=json >"$out/micro.json"
echo "rskv-bench: configs/driver_overhead.yaml on the same cell"
"$bench" "$src/configs/driver_overhead.yaml" --out "$out/bench" \
  --set "workload.records=$records" --set "threads=$threads" \
  --set "workload.distribution=$dist"

/usr/bin/python3 - "$out" <<'PY'
import csv, json, statistics, sys
out = sys.argv[1]
micro = json.load(open(f"{out}/micro.json"))
per = {}
for b in micro["benchmarks"]:
    if b.get("run_type") != "iteration":
        continue
    system = b["name"].split("/")[1]
    per.setdefault(system, []).append(b["items_per_second"] / 1e6)
bench = {}
for row in csv.DictReader(open(f"{out}/bench/results.csv")):
    if row["status"] == "ok":
        bench.setdefault(row["system"], []).append(float(row["mops"]))
for name, d in (("micro benchmark", per), ("rskv-bench", bench)):
    if "rskv" not in d or "tbb_hash_map" not in d:
        sys.exit(f"driver_overhead.sh: {name} did not report both rskv and tbb_hash_map: {d}")
m = {k: statistics.median(v) for k, v in per.items()}
b = {k: statistics.median(v) for k, v in bench.items()}
rm = m["rskv"] / m["tbb_hash_map"]
rb = b["rskv"] / b["tbb_hash_map"]
print(f"micro benchmark: rskv {m['rskv']:.2f} Mops/s, oneTBB {m['tbb_hash_map']:.2f} Mops/s, ratio {rm:.3f}")
print(f"rskv-bench:      rskv {b['rskv']:.2f} Mops/s, oneTBB {b['tbb_hash_map']:.2f} Mops/s, ratio {rb:.3f}")
diff = abs(rb / rm - 1)
print(f"ratios differ by {diff * 100:.1f}% (limit 10%); results in {out}")
sys.exit(0 if diff <= 0.10 else 1)
PY
