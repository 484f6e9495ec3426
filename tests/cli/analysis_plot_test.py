"""ctest analysis_plot_test: runs analysis/plot on synthetic results folders and checks the
figures it writes.

    /usr/bin/python3 tests/cli/analysis_plot_test.py PATH/TO/analysis/plot WORK_DIR

Checks: every figure that applies is written as a non-empty PNG and PDF (by their magic
bytes); results.json's "plots" list is honoured (an unknown name is a warning); skipped and
failed runs are listed in figures/README.txt with their reasons; a folder with no usable run
still gets a README and exit 0; a missing folder, a missing results.csv and an unknown
--only name exit 2 with a message.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, str(Path(__file__).resolve().parent))
import analysis_fixture  # noqa: E402  (next to this file)

failures: list[str] = []


def check(condition: bool, what: str) -> None:
    if not condition:
        failures.append(what)
        print(f"FAIL: {what}", file=sys.stderr)


def run_plot(plot: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([plot, *args], capture_output=True, text=True, timeout=240)


def figure_ok(figures: Path, stem: str) -> None:
    png, pdf = figures / f"{stem}.png", figures / f"{stem}.pdf"
    check(png.is_file() and png.stat().st_size > 1000, f"{png} exists and is not tiny")
    check(pdf.is_file() and pdf.stat().st_size > 1000, f"{pdf} exists and is not tiny")
    if png.is_file():
        check(png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{png} is a PNG")
    if pdf.is_file():
        check(pdf.read_bytes()[:5] == b"%PDF-", f"{pdf} is a PDF")


def stems(figures: Path) -> set[str]:
    return {p.stem for p in figures.glob("*.png")}


def main() -> int:
    plot, work = sys.argv[1], Path(sys.argv[2])
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)

    # Everything applies: four systems' worth of runs, repeats, skips, a failure, a timeline.
    full = work / "full"
    full.mkdir()
    analysis_fixture.full(full)
    r = run_plot(plot, str(full))
    check(r.returncode == 0, f"plot on the full fixture exits 0 (got {r.returncode}: {r.stderr})")
    figures = full / "figures"
    expected = {"throughput_vs_threads", "latency", "workload_bars_ycsb-a", "workload_bars_ycsb-c",
                "workload_bars_ycsb-e", "timeline"}
    for stem in sorted(expected):
        figure_ok(figures, stem)
    check(stems(figures) == expected, f"full fixture figures are {sorted(expected)} "
          f"(got {sorted(stems(figures))})")
    readme = (figures / "README.txt").read_text() if (figures / "README.txt").is_file() else ""
    check("store open failed: out of memory" in readme, "README.txt lists the failed run's reason")
    check("has no scans" in readme, "README.txt lists the skipped runs' reason")
    check("median of 3 repeats; error bars: min to max" in readme.lower(),
          "README.txt says what the error bars are")
    check("oversubscribed" in readme, "README.txt notes oversubscription")

    # results.json asks for [latency, workload_bars, no_such_plot]; a dotted swept column.
    single = work / "single"
    single.mkdir()
    analysis_fixture.single(single)
    r = run_plot(plot, str(single))
    check(r.returncode == 0, f"plot on the single fixture exits 0 (got {r.returncode}: {r.stderr})")
    check("no_such_plot" in r.stderr, "an unknown plot name in results.json is warned about")
    figures = single / "figures"
    figure_ok(figures, "latency")
    figure_ok(figures, "workload_bars_ycsb-c")
    check(stems(figures) == {"latency", "workload_bars_ycsb-c"},
          f"only the plots results.json asks for (got {sorted(stems(figures))})")

    # --only overrides results.json.
    r = run_plot(plot, str(single), "--only", "workload_bars")
    check(r.returncode == 0, "--only workload_bars exits 0")

    # No usable run: a README saying why, no figure, exit 0.
    empty = work / "empty"
    empty.mkdir()
    analysis_fixture.empty(empty)
    r = run_plot(plot, str(empty))
    check(r.returncode == 0, f"plot on a folder without ok runs exits 0 (got {r.returncode})")
    check((empty / "figures" / "README.txt").is_file(), "README.txt written without figures")
    check(not stems(empty / "figures"), "no figure without ok runs")

    # Bad invocations.
    r = run_plot(plot, str(work / "does-not-exist"))
    check(r.returncode == 2 and "does-not-exist" in r.stderr, "a missing folder exits 2 naming it")
    bare = work / "bare"
    bare.mkdir()
    r = run_plot(plot, str(bare))
    check(r.returncode == 2 and "results.csv" in r.stderr, "a folder without results.csv exits 2")
    r = run_plot(plot, str(full), "--only", "pie_chart")
    check(r.returncode == 2 and "pie_chart" in r.stderr and "timeline" in r.stderr,
          "an unknown --only name exits 2 listing the valid ones")
    r = run_plot(plot)
    check(r.returncode == 2, "no RESULTS_DIR exits 2")

    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print("analysis_plot_test: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
