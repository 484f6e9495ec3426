"""Synthetic rskv-bench results folders for testing analysis/plot.

    /usr/bin/python3 tests/cli/analysis_fixture.py OUT_DIR [--kind full|single|empty]

full:   five systems (two rskv bundles and the three baselines), workloads ycsb-a, ycsb-c
        and ycsb-e, uniform and zipfian keys, 1, 2 and 4 threads on a 2-core machine (4 is
        oversubscribed), 3 repeats; ycsb-e skipped for the hash-table baselines, one failed
        run, no latency for one system; results.json; timeline.csv with checkpoint events.
single: one thread count, one workload, a swept dotted column (store.memory), results.json
        asking for [latency, workload_bars, no_such_plot].
empty:  every run skipped.
The numbers are made up but shaped like real ones (seeded, so the output is stable).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from pathlib import Path

COLUMNS = ("system,label,index,device,gc,workload,distribution,threads,records,key_size,"
           "value_size,batch,repeat,ops,seconds,mops,p50_us,p99_us,oversubscribed,status,"
           "reason").split(",")

SYSTEMS = [
    ("rskv", "rskv:chained/memory/none", "chained", "memory", "none", 9.0),
    ("rskv", "rskv:cuckoo/memory/none", "cuckoo", "memory", "none", 8.0),
    ("tbb_hash_map", "tbb_hash_map", "", "", "", 5.0),
    ("libcuckoo", "libcuckoo", "", "", "", 6.5),
    ("rocksdb", "rocksdb", "", "", "", 0.8),
]
CORES = 2


def run_row(rng, system, workload, distribution, threads, repeat, extra=None):
    name, label, index, device, gc, base = system
    scale = min(threads, CORES) * (0.85 if threads > CORES else 1.0)
    read_heavy = {"ycsb-a": 0.7, "ycsb-c": 1.0, "ycsb-e": 0.15}[workload]
    skew = 1.15 if distribution == "zipfian" else 1.0
    mops = base * scale * read_heavy * skew * rng.uniform(0.93, 1.07)
    seconds = 2.0
    row = {
        "system": name, "label": label, "index": index, "device": device, "gc": gc,
        "workload": workload, "distribution": distribution, "threads": threads,
        "records": 1000000, "key_size": 8, "value_size": 8, "batch": 1, "repeat": repeat,
        "ops": int(mops * 1e6 * seconds), "seconds": seconds, "mops": f"{mops:.4f}",
        "p50_us": f"{threads / mops * rng.uniform(0.9, 1.1):.3f}",
        "p99_us": f"{threads / mops * 6 * rng.uniform(0.8, 1.2):.3f}",
        "oversubscribed": "true" if threads > CORES else "false", "status": "ok", "reason": "",
    }
    if name == "rocksdb":
        row["p50_us"] = row["p99_us"] = ""  # a system that cannot report latency
    if workload == "ycsb-e" and name in ("tbb_hash_map", "libcuckoo"):
        row.update(ops="", seconds="", mops="", p50_us="", p99_us="", status="skipped",
                   reason=f"{name} has no scans (ycsb-e needs them)")
    if extra:
        row.update(extra)
    return row


def write_csv(path: Path, columns, rows):
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def full(out: Path):
    rng = random.Random(7)
    rows = []
    for repeat in (1, 2, 3):
        for workload in ("ycsb-a", "ycsb-c", "ycsb-e"):
            for distribution in ("uniform", "zipfian"):
                for threads in (1, 2, 4):
                    for system in SYSTEMS:
                        rows.append(run_row(rng, system, workload, distribution, threads, repeat))
    # One failed run.
    rows.append(dict(run_row(rng, SYSTEMS[1], "ycsb-a", "zipfian", 4, 4), ops="", seconds="",
                     mops="", p50_us="", p99_us="", status="failed",
                     reason="store open failed: out of memory"))
    write_csv(out / "results.csv", COLUMNS, rows)
    meta = {
        "config": {"name": "fixture-full", "repeats": 3,
                   "sweep": {"threads": [1, 2, 4], "workload.distribution": ["uniform", "zipfian"],
                             "workload.preset": ["ycsb-a", "ycsb-c", "ycsb-e"]},
                   "timeline": "100ms"},
        "machine": {"cpu": "synthetic", "cores": CORES, "memory_bytes": 8 << 30},
        "git_commit": "unknown",
        "rows": rows,
    }
    (out / "results.json").write_text(json.dumps(meta, indent=2))

    # Timeline: two cells; checkpoints at 2 s and 5 s (each ~400 ms), throughput dips.
    trows = []
    for cell, threads in (("1", 2), ("2", 4)):
        for repeat in (1, 2):
            for system in SYSTEMS[:2]:
                label, base = system[1], system[5]
                for step in range(80):
                    t_ms = (step + 1) * 100
                    in_cp = any(s <= t_ms < s + 400 for s in (2000, 5000))
                    mops = base * min(threads, CORES) * (0.82 if in_cp else 1.0) * rng.uniform(
                        0.95, 1.05)
                    trows.append({"cell": cell, "repeat": repeat, "label": label,
                                  "threads": threads, "t_ms": t_ms,
                                  "ops": int(mops * 1e5), "mops": f"{mops:.4f}", "event": ""})
                for start in (2000, 5000):
                    for when, event in ((start, "checkpoint_start"), (start + 400, "checkpoint_end")):
                        trows.append({"cell": cell, "repeat": repeat, "label": label,
                                      "threads": threads, "t_ms": when + 7 * (repeat - 1),
                                      "ops": "", "mops": "", "event": event})
    write_csv(out / "timeline.csv", ["cell", "repeat", "label", "threads", "t_ms", "ops", "mops",
                                     "event"], trows)


def single(out: Path):
    rng = random.Random(11)
    rows = []
    for repeat in (1, 2):
        for memory in ("256MiB", "1GiB"):
            for system in SYSTEMS:
                rows.append(run_row(rng, system, "ycsb-c", "zipfian", 1, repeat,
                                    {"store.memory": memory}))
    write_csv(out / "results.csv", COLUMNS + ["store.memory"], rows)
    meta = {"config": {"name": "fixture-single", "plots": ["latency", "workload_bars",
                                                             "no_such_plot"],
                       "sweep": {"store.memory": ["256MiB", "1GiB"]}},
            "machine": {"cores": CORES}}
    (out / "results.json").write_text(json.dumps(meta, indent=2))


def empty(out: Path):
    rng = random.Random(3)
    rows = [dict(run_row(rng, SYSTEMS[2], "ycsb-e", "uniform", 1, 1))]
    write_csv(out / "results.csv", COLUMNS, rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--kind", choices=["full", "single", "empty"], default="full")
    args = parser.parse_args()
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    {"full": full, "single": single, "empty": empty}[args.kind](out)
    print(out)


if __name__ == "__main__":
    main()
