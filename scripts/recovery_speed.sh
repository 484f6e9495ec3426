#!/usr/bin/env bash
# Issue 8's recovery speed in one command: fio's sequential read bandwidth on the disk that
# holds the store, then a writer process (experiments/micro/recovery_bench) that takes an
# index checkpoint of an empty store, writes about 2 GiB of log with 1 KiB values, takes a
# log-only checkpoint and is killed with SIGKILL; then the page cache is dropped and a fresh
# process recovers the store, timed. The summary compares the store's replay rate
# (Store::recovery().replayed_bytes / replay_seconds) with fio's bandwidth: the target is
# at least 80%.
#
#   bash scripts/recovery_speed.sh [options]
#
# Everything goes under one results folder (default results/recovery_speed-<UTC timestamp>/):
#   fio/layout.json, fio/seqread-io_uring-qd16.json   fio's JSON output (1 MiB reads,
#                   O_DIRECT, io_uring, queue depth 16: scripts/io_compare.sh's fio_seqread)
#   writer.json     what the writer did (keys, log bytes, checkpoint ids, write time)
#   recover.json    the recovery: replayed bytes, replay seconds, open seconds, key checks
#   summary.md, summary.json   the figures and the ratio against the 0.8 target
#   run.log         everything the script printed (writer.log, recover.log: the programs')
# The store and fio's test file live in --store (default <results folder>/store), on the
# same file system: fio measures the disk the store uses. Both are removed at the end
# (--keep-store keeps the store).
#
# Options:
#   --out DIR          results folder (new or empty; relative paths are from the repository)
#   --store DIR        folder for the store and fio's test file (a local disk, not tmpfs)
#   --bytes SIZE       log bytes the writer writes (default 2GiB; e.g. 200MB for a smoke run)
#   --value-size SIZE  value bytes (default 1KiB); keys are 8 bytes, each write a new key
#   --memory SIZE      the store's in-memory log budget, writer and recovery (default 256MiB)
#   --device NAME      file or io_uring (default file); --index NAME: chained or cuckoo
#   --kind KIND        the log-only checkpoint's kind: foldover (default) or snapshot
#   --fio-size SIZE    fio's test file (fio's syntax, default 2G); --fio-runtime S (default 10)
#   --build-dir DIR    build tree (default build); --jobs N: parallel build jobs (default 2)
#   --no-build         use the recovery_bench already in the build tree
#   --keep-store       leave the recovered store in --store
#
# Dropping the page cache (echo 3 > /proc/sys/vm/drop_caches) needs root with a writable
# /proc/sys; when it is refused, the script says so in the output and the summary, and
# recovers anyway (the log is read with O_DIRECT when the file system allows it, so mostly
# the small checkpoint files are affected). The full run takes a few minutes: fio about
# 15 s plus laying out its file, the 2 GiB write, the recovery.

# shellcheck disable=SC1091  # scripts/io_compare.sh: sourced for its fio functions
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/io_compare.sh"  # fio_layout, fio_seqread, ...

set -euo pipefail
ROOT="$IOC_ROOT"
PY="$IOC_PY"
cd "$ROOT"

out=""
store=""
bytes="2GiB"
value_size="1KiB"
memory="256MiB"
device="file"
index="chained"
kind="foldover"
fio_size="2G"
fio_runtime=10
build_dir="build"
jobs=2
build=1
keep_store=0
usage() { sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --store) store="$2"; shift 2 ;;
    --bytes) bytes="$2"; shift 2 ;;
    --value-size) value_size="$2"; shift 2 ;;
    --memory) memory="$2"; shift 2 ;;
    --device) device="$2"; shift 2 ;;
    --index) index="$2"; shift 2 ;;
    --kind) kind="$2"; shift 2 ;;
    --fio-size) fio_size="$2"; shift 2 ;;
    --fio-runtime) fio_runtime="$2"; shift 2 ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --keep-store) keep_store=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "recovery_speed: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

# Sizes as bytes (IEC suffixes are powers of two, SI ones powers of ten; plain bytes too).
to_bytes() {
  local v="${1%B}"
  case "$1" in
    *iB) numfmt --from=iec-i "$v" 2>/dev/null ;;
    *[KMGT]B) numfmt --from=si "$v" 2>/dev/null ;;
    *) numfmt --from=iec "$v" 2>/dev/null ;;
  esac
}
bytes_n="$(to_bytes "$bytes" || true)"
fio_n="$(to_bytes "$fio_size" || true)"
if [ -z "$bytes_n" ] || [ -z "$fio_n" ]; then
  echo "recovery_speed: --bytes '$bytes' or --fio-size '$fio_size' is not a size (e.g. 2GiB, 200MB)" >&2
  exit 2
fi
if ! command -v fio >/dev/null 2>&1; then
  echo "recovery_speed: fio is not installed (bash scripts/setup.sh installs it)" >&2
  exit 1
fi

out="${out:-results/recovery_speed-$(date -u +%Y%m%d-%H%M%S)}"
if [ -e "$out" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ]; then
  echo "recovery_speed: $out is not empty; give a new folder (results are never overwritten)" >&2
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
db="$store/recovery-store"
if [ -e "$db" ]; then
  echo "recovery_speed: $db exists; give a --store without a recovery-store folder" >&2
  exit 2
fi
exec > >(tee -a "$out/run.log") 2>&1
echo "recovery_speed: results in $out"

bench="$build_dir/experiments/micro/recovery_bench"
if [ "$build" = 1 ]; then
  cmake -S . -B "$build_dir" >/dev/null
  cmake --build "$build_dir" -j"$jobs" --target recovery_bench
fi
if [ ! -x "$bench" ]; then
  echo "recovery_speed: $bench is not built (drop --no-build or give --build-dir)" >&2
  exit 1
fi

# ---- where the store lives
read -r store_device store_fs store_avail < <(df -P -T "$store" | awk 'NR == 2 {print $1, $2, $5}')
if [ "$store_fs" = tmpfs ]; then
  echo "recovery_speed: $store is on tmpfs (no O_DIRECT, no disk): give --store on a disk" >&2
  exit 2
fi
need=$((bytes_n + fio_n + bytes_n / 4 + (256 << 20)))
if [ $((store_avail * 1024)) -lt "$need" ]; then
  echo "recovery_speed: $store has $((store_avail / 1024)) MiB free; fio's file and the store need $((need >> 20)) MiB" >&2
  exit 1
fi
loadavg_before="$(cut -d' ' -f1-3 /proc/loadavg)"

writer_pid=""
# shellcheck disable=SC2317  # called through the EXIT trap
cleanup() {
  if [ -n "$writer_pid" ] && kill -0 "$writer_pid" 2>/dev/null; then
    kill -KILL "$writer_pid" 2>/dev/null || true
  fi
  rm -f "$store/fio-testfile"
}
trap cleanup EXIT

# ---- fio: sequential reads on the same disk
fio_file="$store/fio-testfile"
echo "recovery_speed: fio on $store ($store_device, $store_fs): laying out $fio_size"
fio_layout "$fio_file" "$fio_size" "$out/fio/layout.json" >/dev/null
fio_seqread "$fio_file" "$fio_size" "$fio_runtime" "$out/fio/seqread-io_uring-qd16.json" >/dev/null
read -r _ fio_bw _ < <(fio_read_figures "$out/fio/seqread-io_uring-qd16.json")
echo "  1 MiB sequential reads, O_DIRECT, io_uring, queue depth 16: $((fio_bw >> 20)) MiB/s"
rm -f "$fio_file"

# ---- the writer: index checkpoint, writes, log-only checkpoint, SIGKILL
echo "recovery_speed: writer: $bytes of log with $value_size values ($index/$device, budget $memory)"
"$bench" write "$db" --info "$out/writer.json" --bytes "$bytes" --value-size "$value_size" \
  --memory "$memory" --index "$index" --device "$device" --kind "$kind" \
  >"$out/writer.out" 2>"$out/writer.log" &
writer_pid=$!
while [ ! -f "$out/writer.json" ]; do
  if ! kill -0 "$writer_pid" 2>/dev/null; then
    wait "$writer_pid" || true
    echo "recovery_speed: the writer exited before its log checkpoint:" >&2
    cat "$out/writer.log" >&2
    exit 1
  fi
  sleep 0.2
done
kill -KILL "$writer_pid"
wait "$writer_pid" 2>/dev/null || true  # 137: killed, as intended
writer_pid=""
sed 's/^/  /' "$out/writer.log"
echo "  writer killed with SIGKILL after its log checkpoint"

# ---- a cold page cache
sync
if drop_error="$( { echo 3 >/proc/sys/vm/drop_caches; } 2>&1)"; then
  cache="dropped"
  echo "recovery_speed: page cache dropped (echo 3 > /proc/sys/vm/drop_caches)"
else
  cache="not dropped: ${drop_error:-refused}"
  echo "recovery_speed: NOTE: could not drop the page cache (${drop_error:-refused}); recovering with whatever the cache holds"
fi

# ---- recovery in a fresh process
echo "recovery_speed: recovering in a fresh process"
recover_rc=0
"$bench" recover "$db" --info "$out/writer.json" --memory "$memory" --index "$index" \
  --device "$device" --json "$out/recover.json" >"$out/recover.out" 2>"$out/recover.log" ||
  recover_rc=$?
sed 's/^/  /' "$out/recover.log"
if [ ! -f "$out/recover.json" ]; then
  echo "recovery_speed: recovery failed (exit $recover_rc); see $out/recover.log" >&2
  exit 1
fi
if [ "$keep_store" = 0 ]; then
  rm -rf "$db"
  if [ "$own_store" = 1 ]; then rmdir "$store" 2>/dev/null || true; fi
fi

# ---- summary
"$PY" - "$out" "$fio_bw" "$cache" "$store" "$store_device" "$store_fs" "$loadavg_before" \
  "$(cut -d' ' -f1-3 /proc/loadavg)" "$fio_size" "$fio_runtime" <<'PY'
import json, os, platform, sys
out, fio_bw, cache, store, dev, fs, load0, load1, fio_size, fio_runtime = sys.argv[1:]
fio_bw = float(fio_bw)
w = json.load(open(os.path.join(out, "writer.json")))
r = json.load(open(os.path.join(out, "recover.json")))
fio_doc = open(os.path.join(out, "fio", "seqread-io_uring-qd16.json")).read()
fio_version = json.loads(fio_doc[fio_doc.index("{"):]).get("fio version", "fio")
TARGET = 0.8
mib = lambda b: b / 2**20
replay_bw = r.get("replay_bytes_per_s") or 0.0
open_bw = r.get("open_bytes_per_s") or 0.0
ratio = replay_bw / fio_bw if fio_bw > 0 else None
open_ratio = open_bw / fio_bw if fio_bw > 0 else None
cpu = ""
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
except OSError:
    pass
summary = {
    "target_ratio": TARGET,
    "ratio_replay_to_fio": ratio,
    "meets_target": ratio is not None and ratio >= TARGET,
    "ratio_open_to_fio": open_ratio,
    "replayed_bytes": r["replayed_bytes"],
    "replay_seconds": r["replay_seconds"],
    "replay_bytes_per_s": replay_bw,
    "open_seconds": r["open_seconds"],
    "fio_seqread_bytes_per_s": fio_bw,
    "fio_job": "1 MiB sequential reads, O_DIRECT, io_uring, queue depth 16, "
               f"{fio_size} file, {fio_runtime} s",
    "page_cache": cache,
    "recovery_checks_ok": r["ok"],
    "writer": w,
    "recovery": r,
    "store_dir": store, "store_device": dev, "store_fs": fs,
    "loadavg_before": load0, "loadavg_after": load1,
    "machine": {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release()},
}
json.dump(summary, open(os.path.join(out, "summary.json"), "w"), indent=2)
verdict = "n/a" if ratio is None else ("meets" if ratio >= TARGET else "below")
lines = [
    "# Recovery speed (issue 8)",
    "",
    f"Results folder: `{out}`",
    f"- machine: {cpu}, {os.cpu_count()} cores, kernel {platform.release()}; load average "
    f"before / after: {load0} / {load1}",
    f"- store: `{store}` on {dev} ({fs}); {w['index']}/{w['device']} device, log budget "
    f"{mib(w['memory_bytes']):.0f} MiB, O_DIRECT {r.get('direct_io', 'n/a')}",
    f"- writer: index checkpoint {w['index_checkpoint_id']} of the empty store, then "
    f"{w['keys']:,} new keys of {w['key_bytes']} B with {w['value_bytes']} B values "
    f"({w['record_bytes']} B records, {mib(w['log_bytes_written']):,.0f} MiB of log in "
    f"{w['write_seconds']:.1f} s), then log-only {w['log_checkpoint_kind']} checkpoint "
    f"{w['log_checkpoint_id']} ({w['log_checkpoint_seconds']:.2f} s); killed with SIGKILL",
    f"- page cache before recovery: {cache}",
    "",
    "| measure | value |",
    "|---|---:|",
    f"| replayed bytes (Store::recovery().replayed_bytes) | {r['replayed_bytes']:,} "
    f"({mib(r['replayed_bytes']):,.0f} MiB) |",
    f"| replay time (Store::recovery().replay_seconds: index load + log replay) | "
    f"{r['replay_seconds']:.3f} s |",
    f"| replay rate | **{mib(replay_bw):,.0f} MiB/s** |",
    f"| whole Store::open with recovery | {r['open_seconds']:.3f} s ({mib(open_bw):,.0f} MiB/s) |",
    f"| fio sequential read ({fio_version}: 1 MiB, O_DIRECT, io_uring, QD 16) | "
    f"**{mib(fio_bw):,.0f} MiB/s** |",
    "",
    f"- replay rate / fio: **{ratio:.0%}** (target >= {TARGET:.0%}: {verdict})"
    if ratio is not None else "- replay rate / fio: n/a (fio measured nothing)",
    f"- whole open / fio: {open_ratio:.0%}" if open_ratio is not None else "",
    f"- recovered checkpoint {r['recovered_checkpoint_id']} (expected "
    f"{r['expected_checkpoint_id']}); {r['verified_keys']:,} keys read back, "
    f"{r['verify_failures']} wrong; a key never written is "
    f"{'absent' if r['unwritten_key_absent'] else 'FOUND'}: "
    f"{'ok' if r['ok'] else 'FAILED'}",
    "",
    "Caveats: one run on a shared virtual disk; fio ran first, on a file in the same folder, "
    "then its file was removed. The replay time is the store's own figure (from before the "
    "index load to the end of the log replay); the whole open adds opening the directory, "
    "choosing the checkpoint and restarting the log.",
]
text = "\n".join(l for l in lines if l is not None) + "\n"
open(os.path.join(out, "summary.md"), "w").write(text)
print(text)
PY
echo "recovery_speed: summary in $out/summary.md"
exit "$recover_rc"
