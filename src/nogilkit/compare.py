"""``nogilkit compare``: the Mandelbrot workload under each implementation and
thread count, every run verified before its time is reported.

Implementations: ``python`` (the pure-Python reference, timed on evenly spaced
rows and scaled to the whole image, because the whole image would take
minutes), ``numpy`` (vectorised, one thread) and ``cython`` (the nogil kernel
on 1..N threads of the shared pool). Speedups are relative to named baselines:
the pure-Python estimate, and the kernel on one thread.
"""

import sys
from dataclasses import dataclass, field

import numpy as np

from . import reference, vectorized
from ._mandelbrot import DEFAULT_REGION, check_mandelbrot_args
from ._mandelbrot import mandelbrot as cython_mandelbrot
from ._parallel import available_cpus, resolve_threads
from .timing import Timing, measure

IMPLEMENTATIONS = ("python", "numpy", "cython")


class VerificationError(AssertionError):
    """A measured run computed a wrong answer; its time is not reported."""


@dataclass(frozen=True)
class Config:
    width: int = 2000
    height: int = 2000
    max_iter: int = 256
    region: tuple = DEFAULT_REGION
    threads: tuple = ()  # empty: 1, 2, 4, ... up to the available CPUs
    repeats: int = 5
    python_rows: int = 20
    implementations: tuple = IMPLEMENTATIONS

    def thread_counts(self):
        if self.threads:
            return tuple(self.threads)
        cpus = available_cpus()
        counts = {cpus}
        n = 1
        while n < cpus:
            counts.add(n)
            n *= 2
        return tuple(sorted(counts))


@dataclass
class Row:
    implementation: str
    threads: int
    timing: Timing
    rows_timed: int  # image rows computed per timed run
    seconds: float  # median time for the whole image (scaled if rows_timed < height)
    verified_against: str
    speedups: dict = field(default_factory=dict)  # baseline name -> speedup


@dataclass
class Report:
    config: Config
    rows: list

    def to_dict(self):
        from .info import system_info

        return {
            "workload": "mandelbrot",
            "config": {
                "width": self.config.width,
                "height": self.config.height,
                "max_iter": self.config.max_iter,
                "region": list(self.config.region),
                "repeats": self.config.repeats,
                "python_rows": self.config.python_rows,
            },
            "system": system_info(),
            "rows": [
                {
                    "implementation": r.implementation,
                    "threads": r.threads,
                    "rows_timed": r.rows_timed,
                    "seconds_median": r.seconds,
                    "run_seconds": list(r.timing.times),
                    "verified_against": r.verified_against,
                    "speedups": r.speedups,
                }
                for r in self.rows
            ],
        }


def _verify(name, got, expected, against):
    if not np.array_equal(got, expected):
        wrong = int(np.count_nonzero(got != expected))
        raise VerificationError(f"{name} differs from {against} in {wrong} pixels")


def run_comparison(config, progress=None):
    """Measure every implementation of ``config``; returns a Report."""
    width, height, max_iter, region = check_mandelbrot_args(
        config.width, config.height, config.max_iter, config.region
    )
    threads = [resolve_threads(t) for t in config.thread_counts()]
    unknown = set(config.implementations) - set(IMPLEMENTATIONS)
    if unknown:
        raise ValueError(
            f"implementations must be among {', '.join(IMPLEMENTATIONS)}; got {sorted(unknown)}"
        )
    say = progress or (lambda message: None)
    args = (width, height, max_iter)
    rows = []

    # The kernel's one-thread image is what the other runs are checked against;
    # it is itself checked against the pure-Python reference on sampled rows.
    expected = cython_mandelbrot(*args, region=region, threads=1)
    sample = np.unique(np.linspace(0, height - 1, min(config.python_rows, height)).astype(int))
    say(f"checking the kernel against the pure-Python reference on {len(sample)} rows")

    def python_rows():
        return np.array(
            [reference.mandelbrot_row(int(y), width, height, max_iter, region) for y in sample],
            dtype=np.int32,
        )

    python_timing = None
    if "python" in config.implementations:
        say(f"python: {len(sample)} rows x {config.repeats} repeats")
        python_timing, got = measure(python_rows, config.repeats, warmup=0)
    else:
        got = python_rows()
    _verify("the cython kernel", expected[sample], got, "the pure-Python reference")
    if python_timing is not None:
        rows.append(Row("python", 1, python_timing, len(sample),
                        python_timing.median * height / len(sample), "definition"))

    if "numpy" in config.implementations:
        say(f"numpy: {config.repeats} repeats")
        timing, got = measure(
            lambda: vectorized.mandelbrot(*args, region=region), config.repeats, warmup=0
        )
        _verify("numpy", got, expected, "the verified kernel")
        rows.append(Row("numpy", 1, timing, height, timing.median, "kernel (threads=1)"))

    if "cython" in config.implementations:
        out = np.empty((height, width), dtype=np.int32)
        for n in threads:
            say(f"cython: threads={n}, {config.repeats} repeats")
            timing, got = measure(
                lambda: cython_mandelbrot(*args, region=region, threads=n, out=out),
                config.repeats,
            )
            _verify(f"cython threads={n}", got, expected, "python rows and kernel (threads=1)")
            rows.append(Row("cython", n, timing, height, timing.median, "python rows"))

    python = next((r.seconds for r in rows if r.implementation == "python"), None)
    one_thread = next(
        (r.seconds for r in rows if r.implementation == "cython" and r.threads == 1), None
    )
    for r in rows:
        if python is not None:
            r.speedups["vs python"] = python / r.seconds
        if one_thread is not None and r.implementation == "cython":
            r.speedups["vs cython 1 thread"] = one_thread / r.seconds
            r.speedups["efficiency"] = one_thread / r.seconds / r.threads
    return Report(config, rows)


def _ratio(speedups, key, unit):
    if key not in speedups:
        return "-"
    return f"{speedups[key]:.1f}{unit}" if unit else f"{speedups[key]:.2f}"


def format_report(report):
    c = report.config
    lines = [
        f"mandelbrot {c.width}x{c.height}, max_iter {c.max_iter}, region {c.region}; "
        f"median of {c.repeats} runs on {available_cpus()} available CPUs; "
        "the kernel's pool start-up is excluded (one untimed warm-up run)",
        "",
        f"{'implementation':<15}{'threads':>8}{'median s':>11}{'min s':>9}{'max s':>9}"
        f"{'vs python':>11}{'vs 1 thread':>13}{'efficiency':>12}",
    ]
    for r in report.rows:
        scale = r.seconds / r.timing.median  # > 1 where only sampled rows were timed
        name = r.implementation + (" (est.)" if r.rows_timed < c.height else "")
        lines.append(
            f"{name:<15}{r.threads:>8}{r.seconds:>11.4f}{r.timing.min * scale:>9.4f}"
            f"{r.timing.max * scale:>9.4f}{_ratio(r.speedups, 'vs python', 'x'):>11}"
            f"{_ratio(r.speedups, 'vs cython 1 thread', 'x'):>13}"
            f"{_ratio(r.speedups, 'efficiency', ''):>12}"
        )
    python = next((r for r in report.rows if r.implementation == "python"), None)
    if python is not None:
        per_pixel = python.timing.median / (python.rows_timed * c.width)
        lines += [
            "",
            f"python (est.): timed on {python.rows_timed} evenly spaced rows, "
            f"{per_pixel * 1e6:.2f} us per pixel, scaled to {c.height} rows.",
        ]
    lines.append("Every run was verified: python rows == kernel rows; numpy and every "
                 "thread count == kernel (threads=1), pixel for pixel.")
    return "\n".join(lines)


def plot_report(report, path):
    """Save a bar chart of whole-image times and speedups (needs the plot extra)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "plotting needs matplotlib: pip install 'nogilkit[plot]'"
        ) from None
    labels = [f"{r.implementation}\n{r.threads} thr" for r in report.rows]
    seconds = [r.seconds for r in report.rows]
    colours = {"python": "#c44e52", "numpy": "#4c72b0", "cython": "#55a868"}
    fig, ax = plt.subplots(figsize=(1.4 * len(labels) + 2, 4.2))
    bars = ax.bar(labels, seconds, color=[colours[r.implementation] for r in report.rows])
    ax.set_yscale("log")
    ax.set_ylabel("seconds for the whole image (log scale)")
    c = report.config
    ax.set_title(f"mandelbrot {c.width}x{c.height}, max_iter {c.max_iter}: median of {c.repeats}")
    for bar, r in zip(bars, report.rows):
        note = f"{r.speedups['vs python']:.0f}x" if "vs python" in r.speedups else ""
        if r.implementation == "python" and r.rows_timed < c.height:
            note = "est."
        ax.annotate(note, (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center", va="bottom", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(args):
    """Entry point of ``nogilkit compare`` (args from the CLI parser)."""
    config = Config(
        width=args.width,
        height=args.height,
        max_iter=args.max_iter,
        threads=tuple(args.threads or ()),
        repeats=args.repeats,
        python_rows=args.python_rows,
        implementations=tuple(args.implementations),
    )
    report = run_comparison(config, progress=lambda m: print(f"... {m}", file=sys.stderr))
    print(format_report(report))
    if args.json:
        import json

        with open(args.json, "w") as f:
            json.dump(report.to_dict(), f, indent=2)
        print(f"wrote {args.json}")
    if args.plot:
        plot_report(report, args.plot)
        print(f"wrote {args.plot}")
    return 0
