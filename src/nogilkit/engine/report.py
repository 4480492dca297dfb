"""The comparison's report: rows, derived figures, a table, a reading in words,
JSON and a plot.

Speedups are ratios of medians from the same run: against the pure-Python
serial row ("vs python") and against the same implementation's serial row
("vs serial", with its 95% bootstrap interval). Parallel efficiency is the
latter divided by the workers; the Karp-Flatt metric e = (1/S - 1/p) / (1 -
1/p) estimates, from a speedup S > 1 on p workers, the fraction of the work
that did not run in parallel (below 1x it means nothing and is left out).

Readings are built from facts: whether the interpreter had a GIL comes from
the interpreter, not from a speedup; a one-worker row faster than serial is
labelled noise; a speedup whose interval includes 1x is "no clear
difference"; and when the contention control saw too few cores, scaling is
inconclusive, never "no speedup".

Every column of the table is one ``Column`` in COLUMNS: its header, how a
row's cell is computed and written, and when the column is shown. The
figures a column computes also go into the JSON under its key.
"""

import os
from dataclasses import dataclass, field
from typing import Callable

from .._control import busy, describe
from .._stats import ratio_interval
from .._text import JsonReport, check_output, format_seconds, format_table, write_atomically
from ..strategies import get_strategy
from ..workloads import get_workload
from .harness import Row

__all__ = ["COLUMNS", "Column", "Report", "karp_flatt", "plot_path"]

PLOT_COLOURS = {"python": "#c44e52", "numpy": "#4c72b0", "cython": "#55a868",
                "cython-baseline": "#937860", "numba": "#8172b3"}
INTERPRETER_STYLES = ("-", "--", ":")  # across Pythons, the first, second, third


def _pyplot():
    """matplotlib.pyplot, drawing to files; ImportError naming the extra when missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plotting needs matplotlib: pip install 'nogilkit[plot]'") from None
    return plt


def plot_path(path, name="plot"):
    """The file a plot at ``path`` goes to (``.png`` added to a path without an
    extension), checked before any work: ValueError for a format matplotlib
    cannot write, or a path that cannot take a file."""
    path = os.fspath(path)
    extension = os.path.splitext(path)[1].lstrip(".").lower()
    if not extension:
        path, extension = path + ".png", "png"
    _pyplot()
    from matplotlib.backend_bases import FigureCanvasBase

    formats = FigureCanvasBase.get_supported_filetypes()
    if extension not in formats:
        raise ValueError(f"{name}: matplotlib cannot write .{extension} files; give a path "
                         f"ending in one of {', '.join('.' + f for f in sorted(formats))}")
    check_output(name, path)
    return path


def karp_flatt(speedup, workers):
    """Serial fraction estimated from a measured speedup on ``workers`` (> 1) workers."""
    if workers <= 1 or not speedup:
        return None
    return (1 / speedup - 1 / workers) / (1 - 1 / workers)


def _number(spec, unit=""):
    """A cell writer: the value in ``spec`` with ``unit``, "-" for None."""
    return lambda value: "-" if value is None else format(value, spec) + unit


def _time(value):
    """A time cell: seconds in s, ms, µs or ns, three significant digits."""
    return format_seconds(value, fixed=True)


@dataclass(frozen=True)
class Column:
    """One column of the table.

    Attributes
    ----------
    header : str
    value : callable
        ``value(report, row)``: the cell's value (None where undefined).
    text : callable
        ``text(value)``: how the value is written.
    key : str
        The derived figure's name in the JSON, or "" for a column that only
        shows a field the row has already.
    shown : callable
        ``shown(report, rows)``: whether the table of these rows has the column.
    left : bool
        Left-aligned (names) rather than right-aligned (numbers).
    """

    header: str
    value: Callable
    text: Callable = str
    key: str = ""
    shown: Callable = lambda report, rows: True
    left: bool = False


def _vs_python(report, row):
    python = report.serial_median(row, "python")
    return python / row.median if python else None


def _vs_serial(report, row):
    own = report.serial_median(row, row.implementation)
    return own / row.median if own else None


def _efficiency(report, row):
    speedup = _vs_serial(report, row)
    return speedup / row.workers if speedup else None


def _interval(report, row):
    """The 95% interval of ``row``'s speedup over its serial row, or None."""
    serial = report.serial_row(row, row.implementation)
    if serial is None or serial is row:
        return None
    return ratio_interval(serial.times, row.times)


def _karp_flatt(report, row):
    """Karp-Flatt where it means something: a speedup above 1x, beyond its
    interval where there is one."""
    speedup, interval = _vs_serial(report, row), _interval(report, row)
    if speedup is None or speedup <= 1.0 or interval is not None and interval.low <= 1.0:
        return None
    return karp_flatt(speedup, row.workers)


def _note(report, row):
    """What to beware of in a row's speedup, or None."""
    if row.strategy == "serial" or row.workers != 1:
        return None
    interval = _interval(report, row)
    if interval is not None and interval.low > 1.0:
        return "noise: 1 worker cannot beat serial"
    return None


COLUMNS = (
    Column("python", lambda report, row: row.interpreter, left=True,
           shown=lambda report, rows: bool(report.interpreters())),
    Column("implementation", lambda report, row: row.implementation, left=True),
    Column("strategy", lambda report, row: row.strategy, left=True),
    Column("workers", lambda report, row: row.workers),
    # Times in the unit that suits each (12.3 ms, 45.6 µs); the JSON keeps seconds.
    Column("median", lambda report, row: row.median, _time),
    Column("min", lambda report, row: row.min, _time),
    Column("max", lambda report, row: row.max, _time),
    # Without a pure-Python serial row (your own function), "vs python" is left out.
    Column("vs python", _vs_python, _number(".1f", "x"), key="vs_python",
           shown=lambda report, rows: any(_vs_python(report, r) for r in rows)),
    Column("vs serial", _vs_serial, _number(".2f", "x"), key="vs_serial"),
    Column("95% CI", _interval, lambda i: "-" if i is None else f"{i.low:.2f}-{i.high:.2f}",
           key="vs_serial_interval"),
    Column("effic.", _efficiency, _number(".2f"), key="efficiency"),
    Column("K-F", _karp_flatt, _number(".2f"), key="karp_flatt"),
    Column("start", lambda report, row: row.startup_seconds, _time),
    Column("cpu", lambda report, row: row.cpu_seconds, _time),
    Column("peak MiB", lambda report, row: row.peak_bytes and row.peak_bytes / 2**20,
           _number(".0f")),
    # A waiting workload's time against its ideal (io: requests x latency / workers).
    Column("vs ideal", lambda report, row: row.median / row.ideal_seconds
           if row.ideal_seconds else None, _number(".2f", "x"), key="over_ideal",
           shown=lambda report, rows: any(r.ideal_seconds for r in rows)),
    Column("note", _note, lambda text: text or "", key="note", left=True,
           shown=lambda report, rows: any(r.ok and _note(report, r) for r in rows)),
)


@dataclass
class Report(JsonReport):
    rows: list
    config: dict = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)

    # -- derived figures -------------------------------------------------------------

    def serial_row(self, row, implementation):
        """``implementation``'s measured serial row of ``row``'s workload and
        interpreter, or None."""
        for r in self.rows:
            if (r.ok and r.workload == row.workload and r.implementation == implementation
                    and r.strategy == "serial" and r.interpreter == row.interpreter):
                return r
        return None

    def serial_median(self, row, implementation):
        """The median of ``implementation``'s serial row (as ``serial_row``), or None."""
        serial = self.serial_row(row, implementation)
        return serial.median if serial is not None else None

    def figures(self, row):
        """The derived figures of one row (None where undefined; {} for a row that
        did not run), one per keyed column."""
        if not row.ok:
            return {}
        figures = {c.key: c.value(self, row) for c in COLUMNS if c.key}
        if figures["vs_serial_interval"] is not None:
            figures["vs_serial_interval"] = figures["vs_serial_interval"].to_dict()
        return figures

    def workloads(self):
        return list(dict.fromkeys(r.workload for r in self.rows))

    def interpreters(self):
        """The interpreter labels of a comparison across Pythons (empty otherwise)."""
        return [i for i in dict.fromkeys(r.interpreter for r in self.rows) if i]

    def _only(self, interpreter):
        others = self.config.get("provenance_per_python") or []
        labels = [p["label"] for p in self.config.get("interpreters", [])]
        own = (others[labels.index(interpreter)] if interpreter in labels
               and labels.index(interpreter) < len(others) else None)
        return Report([r for r in self.rows if r.interpreter == interpreter], self.config,
                      own or self.provenance)

    def control(self):
        """The contention control's summary (None when not measured)."""
        return (self.provenance or {}).get("control")

    def gil_enabled(self):
        """Whether the interpreter that measured ran with a GIL (True when unknown)."""
        return (self.provenance or {}).get("gil_enabled", True)

    # -- words -----------------------------------------------------------------------

    def reading(self, workload):
        """One line in plain words: what scaled on this machine, by how much, and why not."""
        if len(self.interpreters()) > 1:
            return "\n".join(f"[{i}] {self._only(i).reading(workload)}" for i in self.interpreters())
        rows = [r for r in self.rows if r.workload == workload and r.ok]
        if not rows:
            return f"{workload}: nothing ran."
        most = max(r.workers for r in rows)
        if any(r.ideal_seconds for r in rows):
            return self._waiting_reading(workload, rows, most)
        clauses = []
        for name in dict.fromkeys(r.strategy for r in rows):
            strategy = get_strategy(name)
            at_most = [r for r in rows if r.strategy == name and r.workers == most]
            if strategy.phrase is None or not at_most or most == 1:
                continue
            parts = []
            for row in at_most:
                speedup, interval = _vs_serial(self, row), _interval(self, row)
                if speedup is None:
                    continue
                text = f"{row.implementation} {speedup:.2f}x"
                if interval is not None:
                    text += f" [{interval.low:.2f}-{interval.high:.2f}]"
                calls = row.calls or 1
                if row.median and row.median < 2 * strategy.floor_seconds * calls:
                    # The strategy's floor is most of the time: it, not the GIL
                    # or the work, decides the speedup.
                    per = f" x {calls} calls" if calls > 1 else " a run"
                    text += (f" ({strategy.floor_cause}, {format_seconds(strategy.floor_seconds)}"
                             f"{per}, is over half of its {format_seconds(row.median)})")
                elif interval is not None and interval.includes(1.0):
                    # No gain beyond noise: only an explanation of no gain fits.
                    text += (strategy.note(row.implementation, 1.0, self.gil_enabled())
                             or " (no clear difference from serial)")
                else:
                    text += strategy.note(row.implementation, speedup, self.gil_enabled())
                parts.append(text)
            start = ""
            if strategy.starts_workers:
                start = f" ({format_seconds(max(r.startup_seconds or 0.0 for r in at_most))} to start)"
            if parts:
                clauses.append(f"{strategy.phrase.format(workers=most)}{start}: "
                               + ", ".join(parts))
        if not clauses:
            return f"{workload}: see the table."
        where = f"on {most} workers" if most > 1 else "on 1 worker"
        text = f"{workload} {where}, speedup over serial [95% interval]: " + "; ".join(clauses) + "."
        if busy(self.control()):
            # Too few cores were free: a low speedup says nothing about the work.
            text = (f"Inconclusive: the machine was busy ({describe(self.control())}); "
                    "speedups below are lower bounds, not findings. " + text)
        return text + self._vector_reading(rows)

    def _vector_reading(self, rows):
        """What vector instructions buy: serial cython (the best instruction set)
        against serial cython-baseline, or "" without both."""
        serial = {r.implementation: r for r in rows if r.strategy == "serial"}
        if "cython" not in serial or "cython-baseline" not in serial:
            return ""
        interval = ratio_interval(serial["cython-baseline"].times, serial["cython"].times)
        if interval is None:
            return ""
        kernel = get_workload(rows[0].workload).vector_kernel  # nbody's is nbody_direct
        path = (self.provenance or {}).get("simd", {}).get(kernel, "the best instruction set")
        verdict = ("no clear difference" if interval.includes(1.0)
                   else f"{interval.value:.2f}x [{interval.low:.2f}-{interval.high:.2f}]")
        return f" Vector instructions ({path}, one thread, cython against cython-baseline): {verdict}."

    def _waiting_reading(self, workload, rows, most):
        """For a workload that waits (io): each strategy against the ideal time."""
        parts = []
        for row in rows:
            if row.workers == most or row.strategy == "serial":
                note = (f", after {format_seconds(row.startup_seconds)} of start-up"
                        if row.startup_seconds and row.startup_seconds > 0.1 else "")
                parts.append(f"{row.implementation}+{row.strategy} x{row.workers} "
                             f"{self.figures(row)['over_ideal']:.2f}x{note}")
        return (f"{workload}: time against the ideal, requests x latency / workers (1.00x is "
                f"perfect): " + "; ".join(parts) + ".")

    # -- output ----------------------------------------------------------------------

    def table(self, workload):
        """The rows of ``workload`` as aligned text; rows that did not run are
        listed below it with the reason."""
        rows = [r for r in self.rows if r.workload == workload]
        measured = [r for r in rows if r.ok]
        columns = [c for c in COLUMNS if c.shown(self, rows)]
        cells = [[c.text(c.value(self, r)) for c in columns] for r in measured]
        left = [i for i, c in enumerate(columns) if c.left]
        lines = format_table([c.header for c in columns], cells, left=left)
        skipped = {}  # reason -> combinations, in order
        for r in rows:
            if r.ok:
                continue
            status = "FAILED: " if r.status == "failed" else ""
            combos = skipped.setdefault(status + r.reason, [])
            combo = (f"{r.interpreter} " if r.interpreter else "") + f"{r.implementation}+{r.strategy}" + (
                f" x{r.workers}" if r.status == "failed" else "")
            if combo not in combos:
                combos.append(combo)
        if skipped:
            lines.append("not measured:")
            lines.extend(f"  {', '.join(combos)}: {reason}" for reason, combos in skipped.items())
        return "\n".join(lines)

    def __str__(self):
        blocks = []
        for workload in self.workloads():
            size = next(r.size for r in self.rows if r.workload == workload)
            description = self.config.get("descriptions", {}).get(workload, "")
            blocks.append(f"== {workload} ({size}: {description}) ==\n{self.table(workload)}\n"
                          f"{self.reading(workload)}")
        if self.control():
            blocks.append(f"Contention control: {describe(self.control())}" + (
                ": too few for scaling conclusions." if busy(self.control()) else "."))
        return "\n\n".join(blocks)

    @classmethod
    def from_dict(cls, data):
        """A Report from ``to_dict()``'s output (a saved JSON report); reports
        saved before provenance existed keep their ``machine`` block instead."""
        return cls(rows=[Row.from_dict(r) for r in data["rows"]], config=data.get("config", {}),
                   provenance=data.get("provenance") or data.get("machine") or {})

    def failed(self):
        return [r for r in self.rows if r.status == "failed"]

    def to_dict(self):
        return {
            "config": self.config,
            "provenance": self.provenance,
            "rows": [dict(r.to_dict(), **self.figures(r)) for r in self.rows],
            "readings": {w: self.reading(w) for w in self.workloads()},
        }

    def plot(self, path):
        """Speedup against workers, one line per implementation+strategy, the ideal
        line, one panel per workload (needs the plot extra). A path without an
        extension gets ``.png``; returns the path written (whole or not at all)."""
        plt = _pyplot()
        path = plot_path(path)
        workloads = self.workloads()
        fig, axes = plt.subplots(1, len(workloads), figsize=(4.8 * len(workloads) + 2.2, 4.4),
                                 squeeze=False)
        for ax, workload in zip(axes[0], workloads):
            rows = [r for r in self.rows if r.workload == workload and r.ok]
            most = max((r.workers for r in rows), default=1)
            ax.plot([1, most], [1, most], color="0.6", linestyle="--", linewidth=1, label="ideal")
            series = {}
            for r in rows:
                if r.strategy != "serial":  # serial is the baseline, 1.0 by definition
                    series.setdefault((r.interpreter, r.implementation, r.strategy), []).append(
                        (r.workers, self.figures(r)["vs_serial"]))
            interpreters = self.interpreters()
            for (interpreter, implementation, strategy), points in series.items():
                points = sorted(p for p in points if p[1] is not None)
                if not points:
                    continue
                style, marker = get_strategy(strategy).plot_style
                if len(interpreters) > 1:  # across Pythons: the line style tells them apart
                    style = INTERPRETER_STYLES[interpreters.index(interpreter) % 3]
                ax.plot(*zip(*points), color=PLOT_COLOURS.get(implementation, "0.3"),
                        linestyle=style, marker=marker,
                        label=(f"{interpreter} " if interpreter else "")
                        + f"{implementation}+{strategy}")
            ax.set_title(f"{workload} ({rows[0].size})" if rows else workload)
            ax.set_xlabel("workers")
            ax.set_ylabel("speedup over the same implementation, serial")
            ax.set_xticks(sorted({r.workers for r in rows}) or [1])
            ax.set_ylim(bottom=0)
            ax.grid(alpha=0.3)
        handles, labels = axes[0][0].get_legend_handles_labels()
        for ax in axes[0][1:]:
            for h, label in zip(*ax.get_legend_handles_labels()):
                if label not in labels:
                    handles.append(h)
                    labels.append(label)
        fig.legend(handles, labels, loc="center right", fontsize=8)
        fig.tight_layout(rect=(0, 0, 1 - 2.0 / fig.get_figwidth(), 1))
        extension = os.path.splitext(path)[1].lstrip(".")
        try:
            write_atomically(path, lambda f: fig.savefig(f, dpi=120, format=extension))
        finally:
            plt.close(fig)
        return path
