"""Turn an rskv-bench results folder into figures (PNG and PDF) a paper can use.

Run through the `analysis/plot` wrapper, which uses Debian's /usr/bin/python3 (it has
python3-matplotlib):

    analysis/plot RESULTS_DIR [--only NAME[,NAME...]]

Reads RESULTS_DIR/results.csv (one row per run; columns as in issue 5), results.json (the
resolved config: its "plots" list and name; the machine's core count), timeline.csv and
checkpoints.csv when present, and writes into RESULTS_DIR/figures/:

    throughput_vs_threads  throughput against threads, one line per label, one panel per
                           combination of the other swept parameters
    latency                p50 and p99 latency bars per label (runs that report latency)
    workload_bars          one bar chart per workload comparing labels
    timeline               throughput over time from timeline.csv, events as markers;
                           checkpoint spans shaded per kind and labelled with their ratio
    checkpoints            per checkpoint (checkpoints.csv): throughput during it / since
                           the previous one ended, against the 0.8 target of issue 8

Every point and bar is the median over repeats; error bars span the minimum and maximum
over repeats. Runs whose status is not "ok" are left out and listed in figures/README.txt,
which also carries a caption for every figure. Exit status: 0 on success (also when no
figure applies), 2 for a bad invocation or an unreadable results folder.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import statistics
import sys
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

PLOT_NAMES = ("throughput_vs_threads", "latency", "workload_bars", "timeline", "checkpoints")

# Issue 8's target for periodic checkpoints: the mean throughput during each checkpoint is at
# least this share of the mean since the previous checkpoint ended.
CHECKPOINT_RATIO_TARGET = 0.8

# Columns of results.csv that describe the system or the measurement rather than the
# experiment cell; every other config column that varies becomes a panel or a bar group.
SYSTEM_COLUMNS = {"system", "label", "index", "device", "gc"}
MEASURE_COLUMNS = {"repeat", "ops", "seconds", "mops", "p50_us", "p99_us", "oversubscribed",
                   "status", "reason"}
CONFIG_COLUMNS = ["workload", "distribution", "records", "key_size", "value_size", "batch"]
REQUIRED_COLUMNS = ["label", "threads", "mops", "status"]

PANELS_PER_FILE = 6
PANEL_COLUMNS = 3


class UsageError(Exception):
    """A problem with the invocation or the results folder (exit status 2)."""


# ---------------------------------------------------------------------------------------
# Reading the results folder
# ---------------------------------------------------------------------------------------


def _number(text: str | None) -> float | None:
    if text is None or text.strip() == "":
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


@dataclass
class Run:
    row: dict
    label: str
    threads: int
    repeat: int
    mops: float
    p50_us: float | None
    p99_us: float | None
    oversubscribed: bool


@dataclass
class Results:
    directory: Path
    name: str
    columns: list[str]
    runs: list[Run]
    excluded: list[dict]  # rows with status other than ok, or no usable throughput
    facet_columns: list[str]  # config columns (besides threads) that vary among runs
    cores: int | None
    requested_plots: list[str] | None
    timeline: list[dict] = field(default_factory=list)
    timeline_columns: list[str] = field(default_factory=list)
    checkpoints: list[dict] = field(default_factory=list)  # checkpoints.csv rows
    labels: list[str] = field(default_factory=list)  # every label, in first-seen order


def _find_key(obj, key: str, depth: int = 0):
    """The value of `key` in obj or in a nested dict (breadth-first, shallow)."""
    if not isinstance(obj, dict) or depth > 3:
        return None
    if key in obj:
        return obj[key]
    for value in obj.values():
        found = _find_key(value, key, depth + 1)
        if found is not None:
            return found
    return None


def _machine_cores(meta: dict) -> int | None:
    machine = meta.get("machine") if isinstance(meta, dict) else None
    if isinstance(machine, dict):
        for key in ("cores", "logical_cores", "cpus", "cpu_count", "online_cpus", "threads"):
            value = machine.get(key)
            if isinstance(value, (int, float)) and value > 0:
                return int(value)
            if isinstance(value, str) and value.isdigit():
                return int(value)
    return None


def load_results(directory: Path) -> Results:
    if not directory.is_dir():
        raise UsageError(f"results folder '{directory}' does not exist or is not a folder")
    csv_path = directory / "results.csv"
    if not csv_path.is_file():
        raise UsageError(f"'{csv_path}' is missing: give a folder written by rskv-bench")
    with csv_path.open(newline="") as f:
        reader = csv.DictReader(f)
        columns = list(reader.fieldnames or [])
        rows = list(reader)
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise UsageError(f"'{csv_path}' lacks the column(s) {', '.join(missing)} "
                         f"(has: {', '.join(columns) or 'no header'})")

    meta: dict = {}
    json_path = directory / "results.json"
    if json_path.is_file():
        try:
            meta = json.loads(json_path.read_text())
        except (OSError, ValueError) as e:
            print(f"plot: warning: ignoring '{json_path}': {e}", file=sys.stderr)
            meta = {}

    runs: list[Run] = []
    excluded: list[dict] = []
    labels: list[str] = []
    for row in rows:
        label = (row.get("label") or row.get("system") or "?").strip()
        if label not in labels:
            labels.append(label)
        status = (row.get("status") or "").strip().lower()
        mops = _number(row.get("mops"))
        threads = _number(row.get("threads"))
        if status != "ok" or mops is None or threads is None:
            if status == "ok":
                row = dict(row, reason=(row.get("reason") or "") + " (no throughput value)")
            excluded.append(row)
            continue
        repeat = _number(row.get("repeat"))
        runs.append(Run(row=row, label=label, threads=int(threads),
                        repeat=int(repeat) if repeat is not None else 1, mops=mops,
                        p50_us=_number(row.get("p50_us")), p99_us=_number(row.get("p99_us")),
                        oversubscribed=(row.get("oversubscribed") or "").strip().lower()
                        in ("true", "1", "yes")))

    # Config columns: the known ones, the swept keys (dotted names) and any dotted column.
    sweep = _find_key(meta, "sweep")
    sweep_keys = list(sweep.keys()) if isinstance(sweep, dict) else []
    candidates = [c for c in columns if c in CONFIG_COLUMNS or c in sweep_keys or "." in c]
    candidates = [c for c in candidates
                  if c not in SYSTEM_COLUMNS and c not in MEASURE_COLUMNS and c != "threads"]
    facets = [c for c in candidates if len({r.row.get(c, "") for r in runs}) > 1]

    cores = _machine_cores(meta)
    if cores is None:
        # Derive it from the oversubscribed column: the most threads not oversubscribed.
        fitting = [r.threads for r in runs if not r.oversubscribed]
        if fitting and any(r.oversubscribed for r in runs):
            cores = max(fitting)

    requested = _find_key(meta, "plots")
    if requested is not None and not isinstance(requested, list):
        requested = [requested]

    name = _find_key(meta, "name")
    results = Results(directory=directory, name=name if isinstance(name, str) else directory.name,
                      columns=columns, runs=runs, excluded=excluded, facet_columns=facets,
                      cores=cores, requested_plots=[str(p) for p in requested]
                      if requested is not None else None, labels=labels)

    timeline_path = directory / "timeline.csv"
    if timeline_path.is_file():
        with timeline_path.open(newline="") as f:
            reader = csv.DictReader(f)
            results.timeline_columns = list(reader.fieldnames or [])
            results.timeline = list(reader)
        for row in results.timeline:
            label = (row.get("label") or "").strip()
            if label and label not in results.labels:
                results.labels.append(label)
    checkpoints_path = directory / "checkpoints.csv"
    if checkpoints_path.is_file():
        with checkpoints_path.open(newline="") as f:
            results.checkpoints = list(csv.DictReader(f))
    return results


def parse_detail(text: str | None) -> dict[str, str]:
    """A timeline row's detail column, "kind=foldover id=3", as a dict."""
    out: dict[str, str] = {}
    for part in (text or "").split():
        key, sep, value = part.partition("=")
        if sep:
            out[key] = value
    return out


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------


@dataclass
class Stat:
    median: float
    low: float
    high: float
    n: int


def summarize(values: list[float]) -> Stat:
    return Stat(statistics.median(values), min(values), max(values), len(values))


def facet_key(results: Results, run: Run, exclude: tuple[str, ...] = ()) -> tuple:
    return tuple(run.row.get(c, "") for c in results.facet_columns if c not in exclude)


def facet_title(results: Results, key: tuple, exclude: tuple[str, ...] = ()) -> str:
    names = [c for c in results.facet_columns if c not in exclude]
    return ", ".join(f"{n}={v}" for n, v in zip(names, key)) if names else ""


_UNITS = {"": 1, "k": 1e3, "m": 1e6, "g": 1e9, "kb": 1e3, "mb": 1e6, "gb": 1e9,
          "kib": 2.0**10, "mib": 2.0**20, "gib": 2.0**30, "b": 1, "ms": 1e-3, "s": 1,
          "us": 1e-6}


def _sort_value(text: str):
    """Sort key that orders numbers, sizes (256MiB < 1GiB), counts (16M) and durations by
    value, and other text alphabetically after them."""
    number = _number(text)
    if number is None:
        match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([A-Za-z]*)\s*", str(text))
        if match and match.group(2).lower() in _UNITS:
            number = float(match.group(1)) * _UNITS[match.group(2).lower()]
    return (0, number, "") if number is not None else (1, 0.0, str(text))


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "unnamed"


def repeats_note(counts: list[int]) -> str:
    low, high = min(counts), max(counts)
    if high <= 1:
        return "one run per point (no repeats, so no error bars)"
    span = f"{low}" if low == high else f"{low}-{high}"
    return f"median of {span} repeats; error bars: min to max"


class Palette:
    """One colour per label, the same in every figure."""

    def __init__(self, labels: list[str]):
        import matplotlib

        cmap = matplotlib.colormaps["tab10" if len(labels) <= 10 else "tab20"]
        self._colors = {label: cmap(i % cmap.N) for i, label in enumerate(labels)}

    def __call__(self, label: str):
        return self._colors.get(label, "black")


@dataclass
class Figure:
    name: str  # file stem
    caption: str


class Plotter:
    def __init__(self, results: Results, out_dir: Path):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        plt.rcParams.update({
            "figure.dpi": 100, "savefig.dpi": 150, "font.size": 10, "axes.titlesize": 10,
            "legend.fontsize": 8, "axes.grid": True, "grid.alpha": 0.3,
            "pdf.fonttype": 42, "ps.fonttype": 42,  # TrueType in PDFs (journals ask for it)
        })
        self.plt = plt
        self.results = results
        self.out_dir = out_dir
        self.palette = Palette(results.labels)
        self.figures: list[Figure] = []

    def save(self, fig, stem: str, caption: str) -> None:
        fig.savefig(self.out_dir / f"{stem}.png", bbox_inches="tight")
        fig.savefig(self.out_dir / f"{stem}.pdf", bbox_inches="tight")
        self.plt.close(fig)
        self.figures.append(Figure(stem, caption))

    def figure_legend(self, fig, handles, title: str) -> None:
        """One legend for all panels, below them (labels keep one colour per figure)."""
        fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0),
                   ncol=min(len(handles), 4), title=title, frameon=False)

    def oversubscribed_note(self, threads: list[int]) -> str:
        cores = self.results.cores
        over = [t for t in threads if cores is not None and t > cores]
        if not over:
            return ""
        over = sorted(set(over))
        which = ", ".join(str(t) for t in over) if len(over) <= 3 else f"{over[0]} to {over[-1]}"
        return f"oversubscribed: {which} threads > {cores} cores"

    def setting(self, exclude: tuple[str, ...] = ()) -> str:
        """The config columns that hold one value in every run, e.g. "ycsb-c, uniform keys,
        1000000 records, 8 B keys, 8 B values" (for figure titles)."""
        r = self.results
        parts = []
        for column, fmt in (("workload", "{}"), ("distribution", "{} keys"),
                            ("records", "{} records"), ("key_size", "{} B keys"),
                            ("value_size", "{} B values"), ("batch", "batch {}")):
            if column not in r.columns or column in r.facet_columns or column in exclude:
                continue
            values = {run.row.get(column, "") for run in r.runs}
            if len(values) == 1:
                value = values.pop()
                if value and not (column == "batch" and value == "1"):
                    if column == "records" and value.isdigit():
                        value = f"{int(value):,}"
                    parts.append(fmt.format(value))
        return ", ".join(parts)

    def title(self, what: str, exclude: tuple[str, ...] = ()) -> str:
        setting = self.setting(exclude)
        return f"{what} — {self.results.name}" + (f"\n{setting}" if setting else "")

    def panel_grid(self, count: int, width: float = 4.6, height: float = 3.4,
                   columns: int = PANEL_COLUMNS):
        cols = min(columns, count)
        rows = math.ceil(count / cols)
        fig, axes = self.plt.subplots(rows, cols, figsize=(width * cols, height * rows + 0.6),
                                      squeeze=False)
        flat = [ax for row in axes for ax in row]
        for ax in flat[count:]:
            ax.set_visible(False)
        return fig, flat[:count]

    # -----------------------------------------------------------------------------------
    # throughput vs threads
    # -----------------------------------------------------------------------------------

    def throughput_vs_threads(self) -> None:
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        r = self.results
        groups: dict[tuple, dict[str, dict[int, list[float]]]] = OrderedDict()
        for run in r.runs:
            key = facet_key(r, run)
            groups.setdefault(key, defaultdict(lambda: defaultdict(list)))
            groups[key][run.label][run.threads].append(run.mops)
        keys = sorted(groups, key=lambda k: [_sort_value(v) for v in k])
        all_threads = sorted({run.threads for run in r.runs})
        counts = [len(v) for g in groups.values() for per in g.values() for v in per.values()]
        note = repeats_note(counts)
        cores = r.cores
        for part, start in enumerate(range(0, len(keys), PANELS_PER_FILE)):
            chunk = keys[start:start + PANELS_PER_FILE]
            fig, axes = self.panel_grid(len(chunk))
            for ax, key in zip(axes, chunk):
                for label in [lab for lab in r.labels if lab in groups[key]]:
                    per = groups[key][label]
                    xs = sorted(per)
                    stats = [summarize(per[x]) for x in xs]
                    ax.errorbar(xs, [s.median for s in stats],
                                yerr=[[s.median - s.low for s in stats],
                                      [s.high - s.median for s in stats]],
                                marker="o", markersize=4, capsize=3, linewidth=1.5,
                                color=self.palette(label), label=label)
                if len(all_threads) > 1 and all_threads[-1] / max(all_threads[0], 1) >= 8:
                    ax.set_xscale("log", base=2)
                ax.set_xticks(all_threads)
                ax.set_xticklabels([str(t) for t in all_threads])
                ax.minorticks_off()
                if cores is not None and all_threads[-1] > cores:
                    ax.axvspan(cores + 0.5 if ax.get_xscale() == "linear" else cores * 1.2,
                               all_threads[-1] * 1.5, color="0.85", alpha=0.5, zorder=0)
                    ax.set_xlim(right=all_threads[-1] * (1.15 if ax.get_xscale() == "log"
                                                         else 1.0) + 0.3)
                ax.set_ylim(bottom=0)
                ax.set_xlabel("Threads")
                ax.set_ylabel("Throughput (Mops/s)")
                ax.set_title(facet_title(r, key))
            title = self.title("Throughput vs threads")
            over = self.oversubscribed_note(all_threads)
            if over:
                title += f"\n(shaded: {over})"
            fig.suptitle(title)
            fig.tight_layout()
            present = [lab for lab in r.labels if any(lab in groups[k] for k in chunk)]
            handles = [Line2D([], [], color=self.palette(lab), marker="o", label=lab)
                       for lab in present]
            if over:
                handles.append(Patch(color="0.85", label=f"threads > {cores} cores"))
            self.figure_legend(fig, handles, f"label (system as run) — {note}")
            stem = "throughput_vs_threads" + (f"_{part + 1}" if len(keys) > PANELS_PER_FILE else "")
            caption = (f"Throughput (Mops/s) against thread count, one line per label; one panel "
                       f"per combination of {', '.join(r.facet_columns) or 'the (single) cell'}. "
                       f"{note[0].upper() + note[1:]}.")
            if over:
                caption += f" Shaded region: {over} (the machine is oversubscribed there)."
            self.save(fig, stem, caption)

    # -----------------------------------------------------------------------------------
    # latency
    # -----------------------------------------------------------------------------------

    def latency(self) -> None:
        r = self.results
        runs = [run for run in r.runs if run.p50_us is not None or run.p99_us is not None]
        groups: dict[tuple, dict[int, dict[str, dict[str, list[float]]]]] = OrderedDict()
        for run in runs:
            key = facet_key(r, run)
            per = groups.setdefault(key, defaultdict(lambda: defaultdict(lambda: defaultdict(list))))
            if run.p50_us is not None:
                per[run.threads][run.label]["p50"].append(run.p50_us)
            if run.p99_us is not None:
                per[run.threads][run.label]["p99"].append(run.p99_us)
        keys = sorted(groups, key=lambda k: [_sort_value(v) for v in k])
        counts = [len(v) for g in groups.values() for t in g.values() for lab in t.values()
                  for v in lab.values()]
        note = repeats_note(counts)
        without = sorted({run.label for run in r.runs} - {run.label for run in runs})
        from matplotlib.patches import Patch
        from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

        for part, start in enumerate(range(0, len(keys), PANELS_PER_FILE)):
            chunk = keys[start:start + PANELS_PER_FILE]
            widths = []
            for key in chunk:
                bars = sum(len(per) for per in groups[key].values())
                widths.append(bars)
            fig, axes = self.panel_grid(len(chunk), width=max(4.6, 0.45 * max(widths) + 1.5),
                                        columns=2 if max(widths) > 8 else PANEL_COLUMNS)
            for ax, key in zip(axes, chunk):
                per_threads = groups[key]
                threads = sorted(per_threads)
                labels = [lab for lab in r.labels if any(lab in per_threads[t] for t in threads)]
                slot = 0.8 / max(1, len(labels))
                for ti, t in enumerate(threads):
                    for li, label in enumerate(labels):
                        values = per_threads[t].get(label)
                        if not values:
                            continue
                        x = ti - 0.4 + slot * (li + 0.5)
                        for pct, offset, hatch, alpha in (("p50", -0.2, "", 1.0),
                                                          ("p99", 0.2, "//", 0.45)):
                            if not values.get(pct):
                                continue
                            s = summarize(values[pct])
                            ax.bar(x + offset * slot, s.median, width=slot * 0.4,
                                   color=self.palette(label), alpha=alpha, hatch=hatch,
                                   edgecolor=self.palette(label), linewidth=0.8,
                                   yerr=[[s.median - s.low], [s.high - s.median]], capsize=2,
                                   error_kw={"elinewidth": 0.8})
                ax.set_xticks(range(len(threads)))
                ax.set_xticklabels([f"{t} thread{'s' if t != 1 else ''}"
                                    + (" *" if r.cores is not None and t > r.cores else "")
                                    for t in threads])
                ax.set_yscale("log")
                # Ticks at 1, 2, 5 per decade with plain numbers: readable over short spans.
                ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
                ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
                ax.yaxis.set_minor_formatter(NullFormatter())
                ax.set_ylabel("Latency (µs, log scale)")
                ax.set_title(facet_title(r, key))
            all_threads = sorted({run.threads for run in runs})
            title = self.title("Latency percentiles")
            over = self.oversubscribed_note(all_threads)
            if over:
                title += f"\n(* {over})"
            fig.suptitle(title)
            footer = note
            if without:
                footer += f"; no latency reported by: {', '.join(without)}"
            fig.tight_layout()
            present = [lab for lab in r.labels
                       if any(lab in t for k in chunk for t in groups[k].values())]
            handles = [Patch(color=self.palette(lab), label=lab) for lab in present]
            handles += [Patch(facecolor="0.5", label="p50 (solid)"),
                        Patch(facecolor="0.5", alpha=0.45, hatch="//", label="p99 (hatched)")]
            self.figure_legend(fig, handles, f"label (system as run) — {footer}")
            stem = "latency" + (f"_{part + 1}" if len(keys) > PANELS_PER_FILE else "")
            caption = (f"Operation latency percentiles (µs, log scale): p50 solid, p99 hatched, "
                       f"per label and thread count. {note[0].upper() + note[1:]}.")
            if without:
                caption += f" Not shown (no latency reported): {', '.join(without)}."
            if over:
                caption += f" Thread counts marked * : {over}."
            self.save(fig, stem, caption)

    # -----------------------------------------------------------------------------------
    # one bar chart per workload
    # -----------------------------------------------------------------------------------

    def workload_bars(self) -> None:
        r = self.results
        has_workload = "workload" in r.columns
        by_workload: dict[str, list[Run]] = OrderedDict()
        for run in r.runs:
            by_workload.setdefault(run.row.get("workload", "") if has_workload else "", []).append(run)
        from matplotlib.patches import Patch

        for workload, runs in by_workload.items():
            # Bar groups: the other varying parameters and the thread count.
            groups: dict[tuple, dict[str, list[float]]] = OrderedDict()
            for run in runs:
                key = facet_key(r, run, exclude=("workload",)) + (run.threads,)
                groups.setdefault(key, defaultdict(list))[run.label].append(run.mops)
            keys = sorted(groups, key=lambda k: [_sort_value(str(v)) for v in k])
            labels = [lab for lab in r.labels if any(lab in groups[k] for k in keys)]
            thread_values = sorted({run.threads for run in runs})
            show_threads = len(thread_values) > 1
            names = [c for c in r.facet_columns if c != "workload"]

            def group_name(key: tuple) -> str:
                parts = [f"{v}" if n in ("distribution",) else f"{n}={v}"
                         for n, v in zip(names, key[:-1])]
                t = key[-1]
                if show_threads or (r.cores is not None and t > r.cores):
                    parts.append(f"{t} thr" + (" *" if r.cores is not None and t > r.cores else ""))
                return "\n".join(parts) if parts else ""

            slot = 0.8 / max(1, len(labels))
            longest = max((max((len(x) for x in group_name(k).split("\n")), default=0)
                           for k in keys), default=0)
            per_group = max(0.35 * max(1, len(labels)), 0.09 * longest + 0.3)
            width = max(5.5, per_group * len(keys) + 3.0)
            fig, ax = self.plt.subplots(figsize=(min(width, 18), 4.2))
            counts = []
            annotate = len(keys) * len(labels) <= 24
            for gi, key in enumerate(keys):
                for li, label in enumerate(labels):
                    values = groups[key].get(label)
                    if not values:
                        continue
                    counts.append(len(values))
                    s = summarize(values)
                    x = gi - 0.4 + slot * (li + 0.5)
                    ax.bar(x, s.median, width=slot * 0.9, color=self.palette(label),
                           yerr=[[s.median - s.low], [s.high - s.median]], capsize=2,
                           error_kw={"elinewidth": 0.8})
                    if annotate:
                        ax.annotate(f"{s.median:.3g}", (x, s.high), xytext=(0, 2),
                                    textcoords="offset points", ha="center", va="bottom",
                                    fontsize=7)
            ax.set_xticks(range(len(keys)))
            ax.set_xticklabels([group_name(k) for k in keys])
            if not any(group_name(k) for k in keys):
                ax.set_xticks([])
            ax.set_ylabel("Throughput (Mops/s)")
            ax.set_ylim(bottom=0, top=ax.get_ylim()[1] * 1.08)
            ax.legend(handles=[Patch(color=self.palette(lab), label=lab) for lab in labels],
                      title="label (system as run)", loc="upper left", bbox_to_anchor=(1.01, 1))
            note = repeats_note(counts)
            # Systems with no successful run of this workload: say why they are missing.
            missing: dict[str, str] = OrderedDict()
            for row in r.excluded:
                label = (row.get("label") or row.get("system") or "?").strip()
                if (not has_workload or row.get("workload", "") == workload) and label not in labels:
                    missing.setdefault(label, (row.get("reason") or row.get("status") or "").strip())
            if missing:
                note += "\nnot shown: " + "; ".join(f"{lab} ({why})" if why else lab
                                                    for lab, why in missing.items())
            title = self.title(f"Throughput by system, workload {workload or '(unnamed)'}",
                               exclude=("workload",))
            over = self.oversubscribed_note(thread_values)
            if over:
                title += f"\n(* {over})"
            ax.set_title(title)
            fig.text(0.5, -0.01, note, ha="center", va="top", fontsize=8)
            fig.tight_layout()
            stem = "workload_bars" + (f"_{slug(workload)}" if workload else "")
            caption = (f"Workload {workload or '(unnamed)'}: throughput (Mops/s) per label"
                       + (f", grouped by {', '.join(names + ['threads'])}" if keys[0:2] else "")
                       + f". {note[0].upper() + note[1:]}.")
            if over:
                caption += f" Groups marked *: {over}."
            if missing:
                caption += " Not shown (no successful run): " + "; ".join(
                    f"{lab} ({why})" if why else lab for lab, why in missing.items()) + "."
            self.save(fig, stem, caption)

    # -----------------------------------------------------------------------------------
    # throughput over time
    # -----------------------------------------------------------------------------------

    def timeline(self) -> None:
        r = self.results
        rows = r.timeline
        cells: dict[str, list[dict]] = OrderedDict()
        for row in rows:
            cells.setdefault(row.get("cell", ""), []).append(row)
        keys = list(cells)
        all_repeats = sorted({row.get("repeat", "") for row in rows}, key=_sort_value)
        # An event's legend entry: its name, or "checkpoint (foldover)" for start/end pairs
        # whose detail names a kind (both ends and the span share that entry's colour).
        def event_key(row: dict) -> str:
            event = (row.get("event") or "").strip()
            kind = parse_detail(row.get("detail")).get("kind")
            if kind:
                return f"{re.sub(r'[_ -]?(start|begin|end|done|stop)$', '', event)} ({kind})"
            return event

        event_names = sorted({event_key(row) for row in rows
                              if (row.get("event") or "").strip()})
        import matplotlib

        ev_cmap = matplotlib.colormaps["Dark2"]
        ev_color = {e: ev_cmap(i % ev_cmap.N) for i, e in enumerate(event_names)}
        from matplotlib.lines import Line2D

        # ratio of each checkpoint (checkpoints.csv), by (cell, repeat, label, id)
        ratios: dict[tuple, float] = {}
        for c in r.checkpoints:
            value = _number(c.get("ratio"))
            if value is not None:
                ratios[(c.get("cell", ""), c.get("repeat", ""), (c.get("label") or "").strip(),
                        c.get("id", ""))] = value

        for part, start in enumerate(range(0, len(keys), PANELS_PER_FILE)):
            chunk = keys[start:start + PANELS_PER_FILE]
            cols = min(2, len(chunk))
            nrows = math.ceil(len(chunk) / cols)
            fig, axes = self.plt.subplots(nrows, cols, figsize=(6.5 * cols, 3.6 * nrows + 0.6),
                                          squeeze=False)
            flat = [ax for row in axes for ax in row]
            for ax in flat[len(chunk):]:
                ax.set_visible(False)
            legend_labels: list[str] = []
            legend_events: list[str] = []
            legend_repeats: list[str] = []
            styles = ["-", "--", ":", "-."]
            for ax, cell in zip(flat, chunk):
                series: dict[tuple, list[tuple[float, float]]] = OrderedDict()
                events: list[tuple[float, str, str, str, dict]] = []
                threads = set()
                for row in cells[cell]:
                    t = _number(row.get("t_ms"))
                    if t is None:
                        continue
                    label = (row.get("label") or "").strip()
                    th = _number(row.get("threads"))
                    if th is not None:
                        threads.add(int(th))
                    event = (row.get("event") or "").strip()
                    mops = _number(row.get("mops"))
                    if event:
                        events.append((t / 1000.0, event, label, row.get("repeat", ""),
                                       dict(parse_detail(row.get("detail")),
                                            _key=event_key(row))))
                    elif mops is not None:
                        series.setdefault((label, row.get("repeat", "")), []).append(
                            (t / 1000.0, mops))
                repeats = sorted({rep for (_, rep) in series}, key=_sort_value)
                for (label, rep), points in series.items():
                    points.sort()
                    first = rep == repeats[0]
                    ax.plot([p[0] for p in points], [p[1] for p in points],
                            linestyle=styles[all_repeats.index(rep) % len(styles)],
                            linewidth=1.4 if first else 1.0, alpha=1.0 if first else 0.7,
                            color=self.palette(label), label=label if first else None)
                # Events: a vertical line each; a span shaded between X_start and X_end,
                # labelled with the checkpoint's ratio (checkpoints.csv) for the first repeat.
                open_at: dict[tuple, float] = {}
                for when, event, label, rep, detail in sorted(events, key=lambda e: e[0]):
                    key = detail["_key"]
                    ax.axvline(when, color=ev_color[key], linestyle="--", linewidth=0.8,
                               alpha=0.8)
                    base = re.sub(r"[_ -]?(start|begin|end|done|stop)$", "", event)
                    span = (base, label, rep, detail.get("id", ""))
                    if re.search(r"(start|begin)$", event):
                        open_at[span] = when
                    elif re.search(r"(end|done|stop)$", event) and span in open_at:
                        begin = open_at.pop(span)
                        ax.axvspan(begin, when, color=ev_color[key], alpha=0.18, zorder=0)
                        ratio = ratios.get((cell, rep, label, detail.get("id", "")))
                        if ratio is not None and rep == (repeats[0] if repeats else rep):
                            ax.annotate(f"{ratio:.2f}", xy=((begin + when) / 2, 0.99),
                                        xycoords=("data", "axes fraction"), ha="center",
                                        va="top", fontsize=6, color=ev_color[key],
                                        bbox={"boxstyle": "round,pad=0.15", "fc": "white",
                                              "ec": "none", "alpha": 0.8})
                ax.set_xlabel("Time since measurement start (s)")
                ax.set_ylabel("Throughput (Mops/s)")
                ax.set_ylim(bottom=0)
                title = f"cell {cell}" if cell else "timeline"
                if threads:
                    t = max(threads)
                    title += f" — {t} thread{'s' if t != 1 else ''}"
                    if r.cores is not None and t > r.cores:
                        title += f" (oversubscribed: > {r.cores} cores)"
                ax.set_title(title)
                for (label, _) in series:
                    if label not in legend_labels:
                        legend_labels.append(label)
                for *_, detail in events:
                    if detail["_key"] not in legend_events:
                        legend_events.append(detail["_key"])
                for rep in repeats:
                    if rep not in legend_repeats:
                        legend_repeats.append(rep)
            fig.suptitle(self.title("Throughput over time"))
            fig.tight_layout()
            handles = [Line2D([], [], color=self.palette(lab), label=lab)
                       for lab in r.labels if lab in legend_labels]
            handles += [Line2D([], [], color=ev_color[e], linestyle="--", label=f"event: {e}")
                        for e in event_names if e in legend_events]
            if len(legend_repeats) > 1:
                handles += [Line2D([], [], color="0.4", linestyle=styles[i % len(styles)],
                                   label=f"repeat {rep}") for i, rep in enumerate(all_repeats)
                        if rep in legend_repeats]
            self.figure_legend(fig, handles, "label (system as run), events, repeats")
            stem = "timeline" + (f"_{part + 1}" if len(keys) > PANELS_PER_FILE else "")
            caption = ("Throughput (Mops/s) per timeline interval against time (s), one panel "
                       "per cell, one colour per label (line style: repeat). Dashed vertical "
                       "lines mark events" + (f" ({', '.join(event_names)})" if event_names
                                              else "") +
                       "; shading spans an event's start to its end" +
                       ("; the number above a checkpoint's span is its throughput during / "
                        "since the previous checkpoint ended (checkpoints.csv, first repeat)"
                        if ratios else "") + ".")
            self.save(fig, stem, caption)


    # -----------------------------------------------------------------------------------
    # periodic checkpoints: throughput during each / since the previous one ended
    # -----------------------------------------------------------------------------------

    def checkpoints(self) -> None:
        r = self.results
        cells: dict[str, list[dict]] = OrderedDict()
        for row in r.checkpoints:
            cells.setdefault(row.get("cell", ""), []).append(row)
        keys = list(cells)
        kinds = sorted({(row.get("kind") or "").strip() for row in r.checkpoints} - {""})
        markers = {k: m for k, m in zip(kinds, ["o", "s", "^", "D", "v"])}
        from matplotlib.lines import Line2D

        summary: list[str] = []
        for part, start in enumerate(range(0, len(keys), PANELS_PER_FILE)):
            chunk = keys[start:start + PANELS_PER_FILE]
            cols = min(2, len(chunk))
            nrows = math.ceil(len(chunk) / cols)
            fig, axes = self.plt.subplots(nrows, cols, figsize=(6.5 * cols, 3.4 * nrows + 0.6),
                                          squeeze=False)
            flat = [ax for row in axes for ax in row]
            for ax in flat[len(chunk):]:
                ax.set_visible(False)
            legend_labels: list[str] = []
            for ax, cell in zip(flat, chunk):
                by_series: dict[tuple, list[tuple[float, float]]] = OrderedDict()
                failed: list[str] = []
                top = 1.2
                for row in cells[cell]:
                    label = (row.get("label") or "").strip()
                    kind = (row.get("kind") or "").strip()
                    status = (row.get("status") or "").strip()
                    t = _number(row.get("start_ms"))
                    ratio = _number(row.get("ratio"))
                    if status == "failed":
                        failed.append(f"#{row.get('number', '?')} {kind}")
                    if t is None or ratio is None:
                        continue
                    by_series.setdefault((label, kind), []).append((t / 1000.0, ratio))
                    top = max(top, ratio * 1.1)
                for (label, kind), points in by_series.items():
                    points.sort()
                    ax.plot([p[0] for p in points], [p[1] for p in points],
                            marker=markers.get(kind, "o"), linestyle=":", linewidth=0.8,
                            color=self.palette(label))
                    if label not in legend_labels:
                        legend_labels.append(label)
                    values = [p[1] for p in points]
                    below = sum(v < CHECKPOINT_RATIO_TARGET for v in values)
                    summary.append(f"cell {cell} {label} {kind}: {len(values)} checkpoint(s), "
                                   f"ratio min {min(values):.2f}, median "
                                   f"{statistics.median(values):.2f}, {below} below "
                                   f"{CHECKPOINT_RATIO_TARGET}")
                ax.axhline(CHECKPOINT_RATIO_TARGET, color="firebrick", linestyle="--",
                           linewidth=1.0)
                ax.axhline(1.0, color="0.5", linestyle="-", linewidth=0.8)
                ax.set_ylim(0, top)
                ax.set_xlabel("Checkpoint start, time since measurement start (s)")
                ax.set_ylabel("Throughput during / before")
                title = f"cell {cell}" if cell else "checkpoints"
                if failed:
                    title += f" — failed: {', '.join(failed)}"
                ax.set_title(title)
            fig.suptitle(self.title("Throughput during each checkpoint relative to before it"))
            fig.tight_layout()
            handles = [Line2D([], [], color=self.palette(lab), label=lab)
                       for lab in r.labels if lab in legend_labels]
            handles += [Line2D([], [], color="0.3", marker=markers[k], linestyle="none",
                               label=f"kind: {k}") for k in kinds]
            handles.append(Line2D([], [], color="firebrick", linestyle="--",
                                  label=f"target {CHECKPOINT_RATIO_TARGET}"))
            self.figure_legend(fig, handles, "label (system as run), checkpoint kind")
            stem = "checkpoints" + (f"_{part + 1}" if len(keys) > PANELS_PER_FILE else "")
            caption = ("Per periodic checkpoint (checkpoints.csv, status ok): the mean throughput "
                       "while it ran (operation counters read at its start and its end) divided "
                       "by the mean throughput since the previous checkpoint ended (the "
                       "measurement's start for the first), against its start time; one marker "
                       "per kind, one colour per label, every repeat; dashed red line: issue 8's "
                       f"target {CHECKPOINT_RATIO_TARGET}, grey line: no impact. " +
                       "; ".join(summary))
            self.save(fig, stem, caption)


# ---------------------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------------------


def applicable(results: Results) -> dict[str, str]:
    """Plot name -> "" when it applies, else why not."""
    why: dict[str, str] = {}
    threads = {run.threads for run in results.runs}
    why["throughput_vs_threads"] = ("" if len(threads) > 1 else
                                    "threads was not varied (a single thread count)" if results.runs
                                    else "no successful runs")
    has_latency = any(run.p50_us is not None or run.p99_us is not None for run in results.runs)
    why["latency"] = "" if has_latency else "no run reports latency (p50_us/p99_us blank)"
    why["workload_bars"] = "" if results.runs else "no successful runs"
    has_timeline = any(_number(row.get("mops")) is not None or (row.get("event") or "").strip()
                       for row in results.timeline)
    why["timeline"] = "" if has_timeline else "no timeline.csv (or it has no rows)"
    has_ratio = any(_number(row.get("ratio")) is not None for row in results.checkpoints)
    why["checkpoints"] = ("" if has_ratio else
                          "no checkpoints.csv (store.checkpoint_every not set)"
                          if not results.checkpoints else
                          "no checkpoint in checkpoints.csv has a ratio (none completed "
                          "inside the measurement)")
    return why


def write_readme(results: Results, plotter: Plotter, skipped: dict[str, str]) -> Path:
    lines = [f"Figures for results folder: {results.directory}",
             f"Experiment: {results.name}",
             f"Runs plotted: {len(results.runs)} (status ok); runs left out: "
             f"{len(results.excluded)}", ""]
    if results.cores is not None:
        lines.append(f"Machine cores: {results.cores} (more threads than this = oversubscribed)")
        lines.append("")
    lines.append("Figures (each as .png and .pdf):")
    for fig in plotter.figures:
        lines.append(f"  {fig.name}: {fig.caption}")
    if not plotter.figures:
        lines.append("  (none)")
    if skipped:
        lines.append("")
        lines.append("Plots not drawn:")
        for name, reason in skipped.items():
            lines.append(f"  {name}: {reason}")
    lines.append("")
    lines.append("Runs left out of every figure (status skipped or failed, or no throughput):")
    if results.excluded:
        for row in results.excluded:
            shown = list(dict.fromkeys(["workload", "distribution", "threads", "repeat"] +
                                       results.facet_columns))
            where = ", ".join(f"{c}={row.get(c, '')}" for c in shown if c in row)
            lines.append(f"  {row.get('label', '?')} [{where}] status="
                         f"{row.get('status', '')}: {row.get('reason', '') or '(no reason given)'}")
    else:
        lines.append("  (none)")
    path = plotter.out_dir / "README.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="plot", description="Write PNG and PDF figures for an rskv-bench results folder "
        "into RESULTS_DIR/figures/.")
    parser.add_argument("results_dir", metavar="RESULTS_DIR", help="folder with results.csv")
    parser.add_argument("--only", metavar="NAME[,NAME]",
                        help=f"draw only these plots ({', '.join(PLOT_NAMES)}); default: the "
                        "results.json 'plots' list, else all that apply")
    args = parser.parse_args(argv)

    try:
        results = load_results(Path(args.results_dir))
    except UsageError as e:
        print(f"plot: {e}", file=sys.stderr)
        return 2

    why = applicable(results)
    if args.only:
        wanted = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in wanted if n not in PLOT_NAMES]
        if unknown:
            print(f"plot: unknown plot name(s) {', '.join(unknown)} for --only "
                  f"(valid: {', '.join(PLOT_NAMES)})", file=sys.stderr)
            return 2
        explicit = True
    elif results.requested_plots is not None:
        wanted = []
        for n in results.requested_plots:
            if n in PLOT_NAMES:
                wanted.append(n)
            else:
                print(f"plot: warning: results.json asks for plot '{n}', which this script "
                      f"does not know (valid: {', '.join(PLOT_NAMES)}); skipped", file=sys.stderr)
        explicit = True
    else:
        wanted = list(PLOT_NAMES)
        explicit = False

    out_dir = results.directory / "figures"
    out_dir.mkdir(exist_ok=True)
    plotter = Plotter(results, out_dir)
    skipped: dict[str, str] = {}
    for name in PLOT_NAMES:
        if name not in wanted:
            if explicit:
                skipped[name] = "not asked for (results.json 'plots' or --only)"
            continue
        reason = why[name]
        # A requested throughput_vs_threads with one thread count is still drawn (points).
        if reason and not (explicit and name == "throughput_vs_threads" and results.runs):
            skipped[name] = reason
            if explicit:
                print(f"plot: note: {name} not drawn: {reason}", file=sys.stderr)
            continue
        getattr(plotter, name)()

    readme = write_readme(results, plotter, skipped)
    for fig in plotter.figures:
        print(f"{out_dir / fig.name}.png  (+ .pdf)")
    print(f"{readme}")
    if results.excluded:
        print(f"plot: {len(results.excluded)} run(s) left out (status not ok); listed in {readme}",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
