#!/usr/bin/env bash
# Issue 8's checkpoint-impact experiment in one command: builds rskv-bench, runs
# configs/checkpoint_impact.yaml (YCSB-B zipfian, 10M records of 100 B, 256 MiB budget, file
# device, 2 threads, fold-over and snapshot checkpoints in turn every 5 s), plots it and
# writes summary.md: per checkpoint kind, how many checkpoints met the target (throughput
# during the checkpoint >= 0.8 x throughput since the previous one ended).
#
#   bash scripts/checkpoint_impact.sh [options] [-- extra rskv-bench arguments]
#
# Options:
#   --out DIR        results folder (new or empty; default results/checkpoint_impact-<UTC>)
#   --store DIR      folder for the store (a local disk, not tmpfs; default <out>/store)
#   --config FILE    default configs/checkpoint_impact.yaml
#   --build-dir DIR  build tree (default build); --jobs N (default 2); --no-build
# Extra arguments go to rskv-bench, e.g. a smoke run:
#   bash scripts/checkpoint_impact.sh --out /tmp/ci -- --set workload.records=200K \
#     --set store.memory=16MiB --set workload.duration=6s --set store.checkpoint_every=1s
# The full run takes about 2.5 minutes (load, 5 s warm-up, 65 s measured).

set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY=/usr/bin/python3
cd "$ROOT"

out=""
store=""
config="configs/checkpoint_impact.yaml"
build_dir="build"
jobs=2
build=1
bench_args=()
usage() { sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --store) store="$2"; shift 2 ;;
    --config) config="$2"; shift 2 ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; bench_args=("$@"); break ;;
    *) echo "checkpoint_impact: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

out="${out:-results/checkpoint_impact-$(date -u +%Y%m%d-%H%M%S)}"
if [ -e "$out" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ]; then
  echo "checkpoint_impact: $out is not empty; give a new folder" >&2
  exit 2
fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"
own_store=0
if [ -z "$store" ]; then
  store="$out/store"
  own_store=1
fi
mkdir -p "$store"
store="$(cd "$store" && pwd)"
if [ "$(df -P -T "$store" | awk 'NR == 2 {print $2}')" = tmpfs ]; then
  echo "checkpoint_impact: $store is on tmpfs: give --store on a disk" >&2
  exit 2
fi

bench="$build_dir/experiments/rskv-bench/rskv-bench"
if [ "$build" = 1 ]; then
  cmake -S . -B "$build_dir" >/dev/null
  cmake --build "$build_dir" -j"$jobs" --target rskv-bench
fi
"$bench" "$config" --check --set "store.path=$store" "${bench_args[@]}" | head -3
rc=0
"$bench" "$config" --out "$out/bench" --set "store.path=$store" "${bench_args[@]}" || rc=$?
if [ "$own_store" = 1 ]; then rmdir "$store" 2>/dev/null || true; fi
if [ -f "$out/bench/results.csv" ]; then
  analysis/plot "$out/bench" || echo "checkpoint_impact: plotting failed" >&2
fi
if [ ! -f "$out/bench/checkpoints.csv" ]; then
  echo "checkpoint_impact: no checkpoints.csv (rskv-bench exited with $rc)" >&2
  exit 1
fi

"$PY" - "$out" <<'PY'
import csv, json, os, statistics, sys
out = sys.argv[1]
bench = os.path.join(out, "bench")
rows = list(csv.DictReader(open(os.path.join(bench, "checkpoints.csv"))))
doc = json.load(open(os.path.join(bench, "results.json")))
TARGET = 0.8
lines = ["# Checkpoint impact (issue 8)", "",
         f"Results: `{bench}` (figures/timeline.png, figures/checkpoints.png)",
         f"- run: {doc.get('started_at')} .. {doc.get('finished_at')}, git "
         f"{doc.get('git_commit', 'unknown')[:12]}{' (uncommitted changes)' if doc.get('git_dirty') else ''}",
         f"- machine: {doc['machine'].get('cpu_model')}, {doc['machine'].get('cores')} cores",
         f"- command: {doc.get('command')}", ""]
for r in doc.get("rows", []):
    lines.append(f"- {r['label']}: {r['status']}, {r['mops'] or 0:.4g} Mops/s over "
                 f"{r['seconds'] or 0:.1f} s"
                 + (f" ({r['reason']})" if r.get("reason") else ""))
lines += ["", "| label | kind | checkpoints | with ratio | min | median | max | below 0.8 | "
          "longest (ms) | failed | cut |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
groups = {}
for r in rows:
    groups.setdefault((r["label"], r["kind"]), []).append(r)
all_ok = True
for (label, kind), rs in sorted(groups.items()):
    ratios = [float(r["ratio"]) for r in rs if r["ratio"]]
    below = sum(v < TARGET for v in ratios)
    failed = sum(r["status"] == "failed" for r in rs)
    cut = sum(r["status"] == "cut" for r in rs)
    longest = max(float(r["duration_ms"]) for r in rs)
    all_ok = all_ok and below == 0 and failed == 0 and bool(ratios)
    fmt = lambda v: f"{v:.2f}"
    lines.append(f"| {label} | {kind} | {len(rs)} | {len(ratios)} | "
                 f"{fmt(min(ratios)) if ratios else 'n/a'} | "
                 f"{fmt(statistics.median(ratios)) if ratios else 'n/a'} | "
                 f"{fmt(max(ratios)) if ratios else 'n/a'} | {below} | {longest:.0f} | "
                 f"{failed} | {cut} |")
lines += ["", f"Target: every checkpoint's throughput during it >= {TARGET} x the throughput "
          "since the previous one ended: " + ("**met**" if all_ok else "**not met**"), ""]
text = "\n".join(lines) + "\n"
open(os.path.join(out, "summary.md"), "w").write(text)
print(text)
PY
echo "checkpoint_impact: summary in $out/summary.md"
exit "$rc"
