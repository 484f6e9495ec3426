#!/usr/bin/env bash
# Issue 7's larger-than-memory comparison in one command: fio on the disk that holds the
# store, then rskv-bench on configs/io_compare.yaml (rskv on the file device and on io_uring,
# both O_DIRECT, beside RocksDB with direct reads and a block cache equal to rskv's budget),
# then a summary with the medians, the issue's ratios and each system's peak RSS.
#
#   bash scripts/io_compare.sh [options] [-- extra rskv-bench arguments]
#
# Everything goes under one results folder (default results/io_compare-<UTC timestamp>/):
#   fio/*.json      fio's JSON output per job (randread-io_uring-qd32, randread-psync-qd1,
#                   with --seq also seqread-io_uring-qd16; layout.json wrote the test file)
#   bench/          rskv-bench's results folder (results.csv, results.json, figures/)
#   summary.md      medians per cell, ratios against the issue's targets, peak RSS, caveats
#   run.log         everything the script printed; check.txt: rskv-bench --check of the config
#   environment.json  the store folder's device and file system, load average before/after
# The stores and fio's test file live in --store (default <results folder>/store), on the
# same file system as each other: fio measures the disk the store uses. fio's file is
# removed after fio; rskv-bench removes each run's store; an empty store folder is removed.
#
# Options:
#   --out DIR          results folder (new or empty; relative paths are from the repository)
#   --config FILE      rskv-bench config (default configs/io_compare.yaml)
#   --store DIR        folder for the stores and fio's test file (a local disk, not tmpfs)
#   --fio-size SIZE    fio's test file, at least 1G (default 1G; fio's size syntax: 2G, 1536M)
#   --fio-runtime S    seconds per fio job (default 10)
#   --seq              also measure sequential reads: 1 MiB, O_DIRECT, io_uring, queue depth 16
#   --fio-only         run fio only (no build, no rskv-bench); with --seq, the sequential job too
#   --seq-only         run only the sequential fio job (recovery speed; implies --fio-only)
#   --build-dir DIR    build tree (default build); --jobs N: parallel build jobs (default 2)
#   --no-build         use the rskv-bench already in the build tree
#   --summarize DIR    only (re)write DIR/summary.md from the results already in DIR
#
# The full run (3M records, 8 cells x 3 systems x 3 repeats = 72 runs of 3 s warm-up + 10 s,
# plus each load; RocksDB's load and compaction settle take longest) takes roughly 25-40
# minutes on the 2-core machine; run it when nothing else is running. Sourcing the
# script (`source scripts/io_compare.sh`) only defines its functions (fio_layout,
# fio_randread, fio_seqread, fio_read_figures), for other scripts such as a recovery-speed
# measurement.

IOC_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IOC_PY=/usr/bin/python3  # Debian's python3 (scripts/setup.sh), not a pyenv one

# fio_layout FILE SIZE OUT_JSON: writes FILE sequentially (1 MiB, O_DIRECT) so that the
# reads that follow hit written blocks (reads of unwritten extents never reach the disk).
fio_layout() {
  local file="$1" size="$2" json="$3"
  fio --name=layout --filename="$file" --size="$size" --rw=write --bs=1M --direct=1 \
    --ioengine=io_uring --iodepth=16 --end_fsync=1 --output-format=json --output="$json"
}

# fio_randread FILE SIZE ENGINE QUEUE_DEPTH RUNTIME_S OUT_JSON: 4 KiB random reads,
# O_DIRECT, one job, time based (1 s ramp not counted).
fio_randread() {
  local file="$1" size="$2" engine="$3" qd="$4" runtime="$5" json="$6"
  fio --name="randread-$engine-qd$qd" --filename="$file" --size="$size" --rw=randread --bs=4k \
    --direct=1 --ioengine="$engine" --iodepth="$qd" --numjobs=1 --time_based \
    --runtime="$runtime" --ramp_time=1 --norandommap --randrepeat=0 \
    --output-format=json --output="$json"
}

# fio_seqread FILE SIZE RUNTIME_S OUT_JSON: 1 MiB sequential reads, O_DIRECT, io_uring,
# queue depth 16 (what recovery reading a log or checkpoint back can hope for).
fio_seqread() {
  local file="$1" size="$2" runtime="$3" json="$4"
  fio --name=seqread-io_uring-qd16 --filename="$file" --size="$size" --rw=read --bs=1M \
    --direct=1 --ioengine=io_uring --iodepth=16 --numjobs=1 --time_based \
    --runtime="$runtime" --ramp_time=1 --output-format=json --output="$json"
}

# fio_read_figures JSON: prints "iops bandwidth_bytes_per_s mean_latency_us" of the job's
# reads (writes for a write job), from fio's JSON output.
fio_read_figures() {
  "$IOC_PY" - "$1" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
doc = json.loads(text[text.index("{"):])  # fio may print notes before the JSON
job = doc["jobs"][0]
side = job["read"] if job["read"]["io_bytes"] > 0 else job["write"]
lat = side.get("lat_ns", {}).get("mean", 0) / 1000
print(f'{side["iops"]:.0f} {side["bw_bytes"]} {lat:.1f}')
PY
}

# ---- the summary (also reachable alone through --summarize DIR)
ioc_write_summary() {
  "$IOC_PY" - "$1" <<'PY'
import csv, json, os, statistics, sys
from collections import defaultdict

out = sys.argv[1]
bench = os.path.join(out, "bench")
fio_dir = os.path.join(out, "fio")
lines = []
say = lines.append

def load_json(path):
    try:
        text = open(path).read()
        return json.loads(text[text.index("{"):])
    except (OSError, ValueError):
        return None

def fnum(v, digits=0):
    return "n/a" if v is None else f"{v:,.{digits}f}"

def mib(v):
    return "n/a" if v is None else f"{v / 2**20:,.0f}"

def ratio_line(name, num, den, target, fmt="{:.2f}x"):
    if num is None or den is None or den == 0:
        return f"- {name}: n/a (missing rows)"
    r = num / den
    verdict = "meets" if r >= target else "below"
    return f"- {name}: **{fmt.format(r)}** (target >= {fmt.format(target)}: {verdict})"

# ---- environment
meta = {}
meta_path = os.path.join(out, "environment.json")
if os.path.exists(meta_path):
    meta = json.load(open(meta_path))
results_json = load_json(os.path.join(bench, "results.json"))
say("# io_compare: rskv (file, io_uring) vs RocksDB, larger than memory (issue 7)")
say("")
say(f"Results folder: `{out}`")
if results_json:
    m = results_json.get("machine", {})
    say(f"- run: {results_json.get('started_at')} .. {results_json.get('finished_at')}, "
        f"git {results_json.get('git_commit', 'unknown')[:12]}"
        f"{' (uncommitted changes)' if results_json.get('git_dirty') else ''}")
    say(f"- machine: {m.get('cpu_model')}, {m.get('cores')} cores, "
        f"{mib(m.get('memory_bytes'))} MiB, {m.get('kernel')}, {m.get('os')}")
    say(f"- config: `{results_json.get('config_file')}`: {results_json.get('command')}")
if meta:
    say(f"- store folder: `{meta.get('store_dir')}` on {meta.get('store_device')} "
        f"({meta.get('store_fs')}); fio's file in the same folder")
    say(f"- load average before / after: {meta.get('loadavg_before', '?')} / "
        f"{meta.get('loadavg_after', '?')}")
say("")

# ---- fio
fio = {}
if os.path.isdir(fio_dir):
    for name in sorted(os.listdir(fio_dir)):
        if not name.endswith(".json"):
            continue
        doc = load_json(os.path.join(fio_dir, name))
        if not doc or not doc.get("jobs"):
            continue
        job = doc["jobs"][0]
        side = "read" if job["read"]["io_bytes"] > 0 else "write"
        s = job[side]
        fio[name[:-5]] = {"iops": s["iops"], "bw": s["bw_bytes"],
                          "lat_us": s.get("lat_ns", {}).get("mean", 0) / 1000,
                          "side": side, "version": doc.get("fio version", "")}
if fio:
    version = next(iter(fio.values()))["version"]
    say(f"## fio ({version}) on the store's disk")
    say("")
    say("| job | IOPS | MiB/s | mean latency (us) |")
    say("|---|---:|---:|---:|")
    for name, f in fio.items():
        say(f"| {name} ({f['side']}) | {fnum(f['iops'])} | {fnum(f['bw'] / 2**20)} | "
            f"{fnum(f['lat_us'], 1)} |")
    say("")
fio_iops = fio.get("randread-io_uring-qd32", {}).get("iops")

# ---- rskv-bench rows
csv_path = os.path.join(bench, "results.csv")
if not os.path.exists(csv_path):
    say("No rskv-bench results (fio only).")
    open(os.path.join(out, "summary.md"), "w").write("\n".join(lines) + "\n")
    print("\n".join(lines))
    sys.exit(0)

rows = list(csv.DictReader(open(csv_path)))
details = [r.get("details", {}) for r in (results_json or {}).get("rows", [])]
if len(details) != len(rows):
    details = [{} for _ in rows]
for r, d in zip(rows, details):
    r["_details"] = d

def fl(r, key):
    v = r.get(key, "")
    return float(v) if v not in ("", None) else None

groups = defaultdict(list)
order = []
for r in rows:
    key = (r["workload"], r["distribution"], int(r["threads"]), r["label"])
    if key not in groups:
        order.append(key)
    groups[key].append(r)

def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None

cell_stats = {}
for key in order:
    ok = [r for r in groups[key] if r["status"] == "ok"]
    kops = [fl(r, "mops") * 1000 for r in ok]
    cell_stats[key] = {
        "n": len(ok), "of": len(groups[key]),
        "kops": med(kops), "min": min(kops) if kops else None, "max": max(kops) if kops else None,
        "reads": med([fl(r, "device_reads_per_s") for r in ok]),
        "rss": med([fl(r, "peak_rss_bytes") for r in ok]),
        "p50": med([fl(r, "p50_us") for r in ok]), "p99": med([fl(r, "p99_us") for r in ok]),
    }

repeats = max((int(r["repeat"]) for r in rows), default=1)
say(f"## Medians over {repeats} interleaved repeat(s)")
say("")
say("Kops/s median (min-max); device reads/s for rskv; peak RSS of the run (MiB).")
say("")
say("| workload | distribution | threads | system | Kops/s | device reads/s | p50 / p99 us | peak RSS MiB | ok runs |")
say("|---|---|---:|---|---:|---:|---:|---:|---:|")
for key in sorted(order, key=lambda k: (k[0], k[1], k[2], order.index(k))):
    s = cell_stats[key]
    rng = f" ({fnum(s['min'], 1)}-{fnum(s['max'], 1)})" if s["n"] > 1 else ""
    say(f"| {key[0]} | {key[1]} | {key[2]} | {key[3]} | {fnum(s['kops'], 1)}{rng} | "
        f"{fnum(s['reads']) if key[3].startswith('rskv') else '-'} | {fnum(s['p50'], 1)} / {fnum(s['p99'], 1)} | {mib(s['rss'])} | "
        f"{s['n']}/{s['of']} |")
say("")

def kops(workload, dist, threads, label):
    s = cell_stats.get((workload, dist, threads, label))
    return s["kops"] if s else None

labels = []
for key in order:
    if key[3] not in labels:
        labels.append(key[3])
file_l = next((l for l in labels if l.startswith("rskv:") and l.split("/")[1] == "file"), None)
uring_l = next((l for l in labels if l.startswith("rskv:") and l.split("/")[1] == "io_uring"), None)
rocks_l = "rocksdb" if "rocksdb" in labels else None
threads_seen = sorted({k[2] for k in order})

say("## Ratios (issue 7's targets), medians of one run")
say("")
for t in threads_seen:
    say(ratio_line(f"io_uring / file, YCSB-C uniform, {t} thread(s)",
                   kops("ycsb-c", "uniform", t, uring_l), kops("ycsb-c", "uniform", t, file_l),
                   1.5))
for t in threads_seen:
    best = None
    best_label = ""
    for l in (file_l, uring_l):
        v = kops("ycsb-b", "zipfian", t, l)
        if v is not None and (best is None or v > best):
            best, best_label = v, l
    say(ratio_line(f"best rskv device ({best_label or 'n/a'}) / RocksDB, YCSB-B zipfian, "
                   f"{t} thread(s)", best, kops("ycsb-b", "zipfian", t, rocks_l), 5.0))
two = [k for k in order if k[2] == 2 and k[3] == uring_l]
if fio_iops is None:
    say("- io_uring device reads/s at 2 threads / fio IOPS: n/a (no fio randread-io_uring-qd32)")
elif not two:
    say("- io_uring device reads/s at 2 threads / fio IOPS: n/a (no 2-thread io_uring rows)")
else:
    for k in sorted(two):
        reads = cell_stats[k]["reads"]
        say(ratio_line(f"io_uring device reads/s at 2 threads / fio IOPS (4 KiB, QD 32, "
                       f"{fnum(fio_iops)}), {k[0]} {k[1]} ({fnum(reads)} reads/s)",
                       reads, fio_iops, 0.8, fmt="{:.0%}"))
say("")

# ---- peak RSS per system
say("## Peak RSS per system")
say("")
say("Peak resident set size of each run (VmHWM, reset before the system is opened); "
    "'at open' is the process's resident size right after the reset (code, libraries and "
    "heap kept from earlier runs), 'op streams' the driver's pre-generated operation "
    "streams inside that peak (8 bytes per operation, all threads).")
say("")
say("| system | threads | peak RSS MiB median (max) | at open MiB | op streams MiB | set-up memory |")
say("|---|---:|---:|---:|---:|---|")
scopes = set()
for label in labels:
    for t in threads_seen:
        ok = [r for r in rows if r["label"] == label and int(r["threads"]) == t
              and r["status"] == "ok" and r.get("peak_rss_bytes")]
        if not ok:
            continue
        scopes.update(r.get("peak_rss_scope", "") for r in ok)
        peaks = [float(r["peak_rss_bytes"]) for r in ok]
        at_open = med([r["_details"].get("rss_at_open_bytes") for r in ok])
        streams = med([r["_details"].get("op_stream_bytes") for r in ok])
        d = ok[-1]["_details"]
        if d.get("engine") == "rskv":
            setup = (f"log {mib(d.get('log_memory_bytes'))} MiB (page {d.get('page_size')} B) + "
                     f"index {mib(d.get('index_memory_bytes'))} MiB")
        elif d.get("engine") == "RocksDB":
            setup = (f"block cache {mib(d.get('block_cache_bytes'))} MiB (used "
                     f"{mib(d.get('block_cache_usage_bytes'))}), memtable "
                     f"{mib(d.get('memtable_bytes'))} MiB, index+filter outside the cache "
                     f"{mib(d.get('table_readers_memory_bytes'))} MiB")
        else:
            setup = ""
        say(f"| {label} | {t} | {mib(statistics.median(peaks))} ({mib(max(peaks))}) | "
            f"{mib(at_open)} | {mib(streams)} | {setup} |")
say("")
if "process" in scopes:
    say("Note: the kernel refused the reset of the high-water mark for some runs "
        "(peak_rss_scope = process): their peak is the process's since it started.")
    say("")

# ---- set-up checks
say("## Set-up checks")
say("")
memory = (results_json or {}).get("config", {}).get("store", {}).get("memory_bytes")
def yes(values):
    return "/".join(sorted({json.dumps(v) for v in values}))
for label in labels:
    ok = [r for r in rows if r["label"] == label and r["status"] == "ok"]
    if not ok:
        continue
    ds = [r["_details"] for r in ok]
    if label.startswith("rskv:"):
        direct = yes(d.get("direct_io") for d in ds)
        why = sorted({d.get("direct_io_fallback_reason", "") for d in ds} - {""})
        inflight = max((d.get("device_max_in_flight", 0) for d in ds), default=0)
        copy = (results_json or {}).get("config", {}).get("store", {}).get("copy_reads_to_tail")
        say(f"- {label}: O_DIRECT {direct}{' (' + '; '.join(why) + ')' if why else ''}; "
            f"most device I/Os in flight {inflight}; copy_reads_to_tail "
            f"{json.dumps(copy) if copy is not None else 'false (not in the config)'}")
    elif label == "rocksdb":
        direct = yes(d.get("direct_reads") for d in ds)
        cache = sorted({d.get("block_cache_bytes") for d in ds})
        flushed = yes(d.get("flushed_after_load") for d in ds)
        limit = any(d.get("settle_limit_reached") for d in ds)
        settle = med([d.get("settle_seconds_after_load") for d in ds])
        same = "equal to" if cache == [memory] else "NOT equal to"
        say(f"- rocksdb: direct reads {direct}; block cache "
            f"{', '.join(str(c) for c in cache)} bytes, {same} store.memory ({memory} bytes); "
            f"memtable flushed after the load {flushed}, flushes and compactions settled in "
            f"{fnum(settle, 1)} s (median){'; the settle limit was reached in some runs' if limit else ''}; "
            f"WAL off")
say("")

bad = [r for r in rows if r["status"] != "ok"]
if bad:
    say("## Runs that did not measure")
    say("")
    for r in bad:
        say(f"- cell {r['cell']} {r['label']} {r['workload']} {r['distribution']} "
            f"threads {r['threads']} repeat {r['repeat']}: {r['status']}: {r['reason']}")
    say("")

cores = ((results_json or {}).get("machine") or {}).get("cores")
say("## Caveats")
say("")
say(f"- This machine has {cores} cores. At 2 threads the workers occupy every core, so the "
    "coordinator thread, the kernel's I/O completion work, RocksDB's background threads and "
    "any other process compete with them: 2-thread figures are noisy and partly measure "
    "oversubscription. Compare ratios within this run (the repeats are interleaved for that "
    "reason), not against figures from other runs or machines.")
say("- Peak RSS includes the process's own footprint and the pre-generated operation "
    "streams (see the table); the difference between systems is what their data structures "
    "and caches add.")
say("- fio ran in the same folder as the stores, before rskv-bench, on a "
    f"{meta.get('fio_size', '?')} file; the disk is virtual, so other tenants can shift both.")
open(os.path.join(out, "summary.md"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
}

# Sourced: functions only.
if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
  return 0
fi

set -euo pipefail
cd "$IOC_ROOT"

out=""
config="configs/io_compare.yaml"
store=""
fio_size="1G"
fio_runtime=10
seq=0
fio_only=0
seq_only=0
build_dir="build"
jobs=2
build=1
summarize=""
bench_args=()
usage() { sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --config) config="$2"; shift 2 ;;
    --store) store="$2"; shift 2 ;;
    --fio-size) fio_size="$2"; shift 2 ;;
    --fio-runtime) fio_runtime="$2"; shift 2 ;;
    --seq) seq=1; shift ;;
    --fio-only) fio_only=1; shift ;;
    --seq-only) seq_only=1; fio_only=1; seq=1; shift ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --summarize) summarize="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; bench_args=("$@"); break ;;
    *) echo "io_compare: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

if [ -n "$summarize" ]; then
  ioc_write_summary "$summarize" >/dev/null
  echo "io_compare: wrote $summarize/summary.md"
  exit 0
fi

size_bytes=$(numfmt --from=iec "${fio_size%B}" 2>/dev/null || true)
if [ -z "$size_bytes" ] || [ "$size_bytes" -lt $((1 << 30)) ]; then
  echo "io_compare: --fio-size must be at least 1G (got '$fio_size')" >&2
  exit 2
fi

out="${out:-results/io_compare-$(date -u +%Y%m%d-%H%M%S)}"
if [ -e "$out" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ]; then
  echo "io_compare: $out is not empty; give a new folder (results are never overwritten)" >&2
  exit 2
fi
mkdir -p "$out/fio"
out="$(cd "$out" && pwd)"
own_store=0
if [ -z "$store" ]; then
  store="$out/store"
  own_store=1
fi
mkdir -p "$store"
store="$(cd "$store" && pwd)"
exec > >(tee -a "$out/run.log") 2>&1

echo "io_compare: results in $out"
bash scripts/setup.sh
if ! command -v fio >/dev/null 2>&1; then
  echo "io_compare: fio is not installed (scripts/setup.sh should have installed it)" >&2
  exit 1
fi

if [ "$fio_only" = 0 ]; then
  bench="$build_dir/experiments/rskv-bench/rskv-bench"
  if [ "$build" = 1 ]; then
    cmake -S . -B "$build_dir" >/dev/null
    cmake --build "$build_dir" -j"$jobs" --target rskv-bench
  fi
  if [ ! -x "$bench" ]; then
    echo "io_compare: $bench is not built (drop --no-build or give --build-dir)" >&2
    exit 1
  fi
  # Validate the config (and the overrides) before spending time on fio.
  "$bench" "$config" --check --set "store.path=$store" "${bench_args[@]}" >"$out/check.txt"
  head -1 "$out/check.txt"
fi

# ---- where the store lives
read -r store_device store_fs store_avail < <(df -P -T "$store" | awk 'NR == 2 {print $1, $2, $5}')
if [ "$store_fs" = tmpfs ]; then
  echo "io_compare: $store is on tmpfs (no O_DIRECT, no disk): give --store on a disk" >&2
  exit 2
fi
if [ $((store_avail * 1024)) -lt $((size_bytes + (2 << 30))) ]; then
  echo "io_compare: $store has $((store_avail / 1024)) MiB free; fio's file and the stores need more" >&2
  exit 1
fi
loadavg_before="$(cut -d' ' -f1-3 /proc/loadavg)"

# ---- fio
fio_file="$store/fio-testfile"
echo "io_compare: fio on $store ($store_device, $store_fs): laying out $fio_size"
fio_layout "$fio_file" "$fio_size" "$out/fio/layout.json"
read -r iops bw lat < <(fio_read_figures "$out/fio/layout.json")
echo "  sequential write 1 MiB O_DIRECT: $((bw >> 20)) MiB/s"
if [ "$seq_only" = 0 ]; then
  fio_randread "$fio_file" "$fio_size" io_uring 32 "$fio_runtime" "$out/fio/randread-io_uring-qd32.json"
  read -r iops bw lat < <(fio_read_figures "$out/fio/randread-io_uring-qd32.json")
  echo "  4 KiB random reads, O_DIRECT, io_uring, queue depth 32: $iops IOPS (mean $lat us)"
  fio_randread "$fio_file" "$fio_size" psync 1 "$fio_runtime" "$out/fio/randread-psync-qd1.json"
  read -r iops bw lat < <(fio_read_figures "$out/fio/randread-psync-qd1.json")
  echo "  4 KiB random reads, O_DIRECT, psync (queue depth 1): $iops IOPS (mean $lat us)"
fi
if [ "$seq" = 1 ]; then
  fio_seqread "$fio_file" "$fio_size" "$fio_runtime" "$out/fio/seqread-io_uring-qd16.json"
  read -r iops bw lat < <(fio_read_figures "$out/fio/seqread-io_uring-qd16.json")
  echo "  1 MiB sequential reads, O_DIRECT, io_uring, queue depth 16: $((bw >> 20)) MiB/s"
fi
rm -f "$fio_file"

# ---- rskv-bench
bench_rc=0
if [ "$fio_only" = 0 ]; then
  "$bench" "$config" --out "$out/bench" --set "store.path=$store" "${bench_args[@]}" || bench_rc=$?
  if [ -f "$out/bench/results.csv" ]; then
    analysis/plot "$out/bench" || echo "io_compare: plotting failed (the summary does not need it)"
  fi
fi
if [ "$own_store" = 1 ]; then rmdir "$store" 2>/dev/null || true; fi

"$IOC_PY" - "$out/environment.json" "$store" "$store_device" "$store_fs" "$fio_size" \
  "$loadavg_before" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import json, sys
path, store, device, fs, size, before, after = sys.argv[1:]
json.dump({"store_dir": store, "store_device": device, "store_fs": fs, "fio_size": size,
           "loadavg_before": before, "loadavg_after": after}, open(path, "w"), indent=2)
PY
echo
ioc_write_summary "$out"
echo
echo "io_compare: summary in $out/summary.md"
if [ "$bench_rc" != 0 ]; then
  echo "io_compare: rskv-bench exited with $bench_rc (see the runs that did not measure)" >&2
fi
exit "$bench_rc"
