"""The comparison's report: rows, derived figures, a table, a reading in words,
JSON and a plot.

Speedups are ratios of medians from the same run: against the pure-Python
serial row ("vs python") and against the same implementation's serial row
("vs serial"). Parallel efficiency is the latter divided by the workers;
the Karp-Flatt metric e = (1/S - 1/p) / (1 - 1/p) estimates, from a speedup S
on p workers, the fraction of the work that did not run in parallel.
"""

import platform
from dataclasses import dataclass, field

from ._table import JsonReport


PLOT_COLOURS = {"python": "#c44e52", "numpy": "#4c72b0", "cython": "#55a868", "numba": "#8172b3"}
INTERPRETER_STYLES = ("-", "--", ":")  # across Pythons, the first, second, third
PLOT_STYLES = {  # strategy -> (line style, marker)
    "threads": ("-", "o"), "processes": ("--", "s"), "asyncio": (":", "x"),
    "asyncio+threads": ("-.", "o"), "asyncio+processes": ("-.", "s"),
    "openmp": ("-", "^"), "numba-parallel": ("-", "v"),
}


def karp_flatt(speedup, workers):
    """Serial fraction estimated from a measured speedup on ``workers`` (> 1) workers."""
    if workers <= 1 or not speedup:
        return None
    return (1 / speedup - 1 / workers) / (1 - 1 / workers)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


@dataclass
class Report(JsonReport):
    rows: list
    config: dict = field(default_factory=dict)
    machine: dict = field(default_factory=dict)

    # -- derived figures -------------------------------------------------------------

    def _serial(self, workload, implementation, interpreter=""):
        for r in self.rows:
            if (r.ok and r.workload == workload and r.implementation == implementation
                    and r.strategy == "serial" and r.interpreter == interpreter):
                return r.median
        return None

    def figures(self, row):
        """Speedups, efficiency and Karp-Flatt for one row (None where undefined)."""
        if not row.ok:
            return {}
        python = self._serial(row.workload, "python", row.interpreter)
        own = self._serial(row.workload, row.implementation, row.interpreter)
        vs_serial = own / row.median if own else None
        return {
            "vs_python": python / row.median if python else None,
            "vs_serial": vs_serial,
            "efficiency": vs_serial / row.workers if vs_serial else None,
            "karp_flatt": karp_flatt(vs_serial, row.workers),
            "over_ideal": row.median / row.ideal_seconds if row.ideal_seconds else None,
        }

    def workloads(self):
        return list(dict.fromkeys(r.workload for r in self.rows))

    def interpreters(self):
        """The interpreter labels of a comparison across Pythons (empty otherwise)."""
        return [i for i in dict.fromkeys(r.interpreter for r in self.rows) if i]

    def _only(self, interpreter):
        return Report([r for r in self.rows if r.interpreter == interpreter], self.config,
                      self.machine)

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

        def best(implementation, strategy):
            found = [r for r in rows if r.implementation == implementation
                     and r.strategy == strategy and r.workers == most]
            return found[0] if found else None

        parts = []
        for implementation in ("cython", "numba", "numpy", "python"):
            row = best(implementation, "threads")
            if row and most > 1:
                s = self.figures(row)["vs_serial"]
                why = ""
                if implementation == "python" and s < 1.3:
                    why = ": the GIL serialises pure-Python threads"
                elif implementation == "python":
                    why = " (pure Python in parallel: this interpreter runs without a GIL)"
                elif implementation in ("cython", "numba") and s >= 1.3:
                    why = " (the kernel releases the GIL)"
                parts.append(f"{implementation} on threads {s:.2f}x{why}")
        for implementation in ("python", "cython"):
            row = best(implementation, "processes")
            if row and most > 1:
                s = self.figures(row)["vs_serial"]
                parts.append(f"{implementation} on processes {s:.2f}x, "
                             f"after {row.startup_seconds:.2f} s of start-up")
        row = best("python", "asyncio") or best("cython", "asyncio")
        if row:
            s = self.figures(row)["vs_serial"]
            parts.append(f"{row.implementation} as asyncio coroutines {s:.2f}x "
                         "(one thread: coroutines take turns)")
        for strategy, shape in (("dask", f"{most} processes x 1 thread"),
                                ("dask-threads", f"1 process x {most} threads"),
                                ("interpreters", "subinterpreters")):
            for implementation in ("python", "cython"):
                row = best(implementation, strategy)
                if row and most > 1:
                    parts.append(f"{implementation} on {strategy} ({shape}) "
                                 f"{self.figures(row)['vs_serial']:.2f}x")
        for strategy in ("openmp", "numba-parallel"):
            row = best("cython" if strategy == "openmp" else "numba", strategy)
            if row and most > 1:
                parts.append(f"{strategy} {self.figures(row)['vs_serial']:.2f}x")
        where = f"on {most} workers" if most > 1 else "on 1 worker"
        return f"{workload} {where}: " + "; ".join(parts) + "." if parts else f"{workload}: see the table."

    def _waiting_reading(self, workload, rows, most):
        """For a workload that waits (io): each strategy against the ideal time."""
        parts = []
        for row in rows:
            if row.workers == most or row.strategy == "serial":
                note = (f", after {row.startup_seconds:.2f} s of start-up"
                        if row.startup_seconds and row.startup_seconds > 0.1 else "")
                parts.append(f"{row.implementation}+{row.strategy} x{row.workers} "
                             f"{self.figures(row)['over_ideal']:.2f}x{note}")
        return (f"{workload}: time against the ideal, requests x latency / workers (1.00x is "
                f"perfect): " + "; ".join(parts) + ".")

    # -- output ----------------------------------------------------------------------

    def table(self, workload):
        # Across Pythons, a first column says which one ran the row.
        interpreters = self.interpreters()
        width = max(map(len, interpreters)) + 2 if interpreters else 0
        # processes:forkserver and the like are wider than the built-in names.
        named = max((len(r.strategy) + 2 for r in self.rows if r.workload == workload), default=0)
        sw = max(19, named)
        # Without a pure-Python serial row (your own function), "vs python" is empty.
        vs_python = any(self.figures(r).get("vs_python") for r in self.rows
                        if r.workload == workload)
        header = (f"{'python':<{width}}" if width else "") + (f"{'implementation':<15}{'strategy':<{sw}}{'workers':>7}{'median s':>10}"
                  f"{'min s':>9}{'max s':>9}" + (f"{'vs python':>10}" if vs_python else "") + f"{'vs serial':>10}{'effic.':>7}"
                  f"{'K-F':>7}{'start s':>8}{'cpu s':>8}{'peak MiB':>9}")
        lines = [header]

        def num(value, spec, unit=""):
            width = int(spec.split(".")[0].lstrip(">"))
            if value is None:
                return format("-", f">{width + len(unit)}")
            text = format(value, spec)
            # Keep columns aligned when a figure is huge (Karp-Flatt of a slowdown).
            return (text if len(text) <= width else format(">" + "9" * (width - 2), f">{width}")) + unit

        skipped = {}  # reason -> combinations, in order
        for r in self.rows:
            if r.workload != workload:
                continue
            if not r.ok:
                status = "FAILED CHECK: " if r.status == "failed" else ""
                combos = skipped.setdefault(status + r.reason, [])
                combo = (f"{r.interpreter} " if r.interpreter else "") + f"{r.implementation}+{r.strategy}" + (
                    f" x{r.workers}" if r.status == "failed" else "")
                if combo not in combos:
                    combos.append(combo)
                continue
            f = self.figures(r)
            lines.append(
                (f"{r.interpreter:<{width}}" if width else "") +
                f"{r.implementation:<15}{r.strategy:<{sw}}{r.workers:>7}{r.median:>10.4f}"
                f"{r.min:>9.4f}{r.max:>9.4f}{num(f['vs_python'], '>9.1f', 'x') if vs_python else ''}"
                f"{num(f['vs_serial'], '>9.2f', 'x')}{num(f['efficiency'], '>7.2f')}"
                f"{num(f['karp_flatt'], '>7.2f')}{num(r.startup_seconds, '>8.3f')}"
                f"{num(r.cpu_seconds, '>8.3f')}{num(r.peak_bytes and r.peak_bytes / 2**20, '>9.0f')}"
            )
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
        return "\n\n".join(blocks)

    def failed(self):
        return [r for r in self.rows if r.status == "failed"]

    def to_dict(self):
        return {
            "config": self.config,
            "machine": self.machine,
            "rows": [dict(r.to_dict(), **self.figures(r)) for r in self.rows],
            "readings": {w: self.reading(w) for w in self.workloads()},
        }

    def plot(self, path):
        """Speedup against workers, one line per implementation+strategy, the ideal
        line, one panel per workload (needs the plot extra)."""
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            raise ImportError("plotting needs matplotlib: pip install 'nogilkit[plot]'") from None
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
                points.sort()
                style, marker = PLOT_STYLES.get(strategy.split(":")[0], ("-", "o"))
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
        fig.savefig(path, dpi=120)
        plt.close(fig)
