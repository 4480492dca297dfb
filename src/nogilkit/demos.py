"""Measured demonstrations of why the kernels are written the way they are.

histogram_race
    Threads that share one histogram lose counts (a data race) or, made
    safe with atomics or a lock, run slowly; a histogram per thread, added
    up at the end, is both exact and fast.
"""

from dataclasses import dataclass

import numpy as np

from . import _validation
from ._ext.histogram_demos import SharedHistogramJob
from ._histogram import CHUNK, check_histogram_args, histogram
from ._parallel import available_cpus, resolve_threads, run_job
from .timing import Timing, measure

# The variants of histogram_race, in table order: (name, how threads count).
VARIANTS = (
    ("racy", "shared counts, unsynchronised += (a data race)"),
    ("atomic", "shared counts, atomic increment"),
    ("mutex", "shared counts, a mutex around each increment"),
    ("private", "a histogram per thread, added at the end"),
)

DEFAULT_SIZE = 4_000_000
DEFAULT_SEED = 0


@dataclass(frozen=True)
class VariantResult:
    """How one variant did over the timed runs of histogram_race.

    ``expected`` is the number of values numpy.histogram counts; ``counted``
    and ``wrong_bins`` hold, for each timed run, the total the variant
    counted and the number of bins where it differs from numpy.histogram.
    """

    name: str
    description: str
    timing: Timing
    expected: int
    counted: tuple
    wrong_bins: tuple

    @property
    def lost(self):
        """Counts lost in each timed run: ``expected - counted``."""
        return tuple(self.expected - c for c in self.counted)

    @property
    def exact(self):
        """Whether every run equalled numpy.histogram in every bin."""
        return not any(self.wrong_bins)


@dataclass(frozen=True)
class RaceResult:
    """The outcome of histogram_race: one VariantResult per variant, and the setting."""

    size: int
    bins: int
    threads: int
    available_cpus: int
    repeats: int
    variants: tuple

    def __getitem__(self, name):
        """The VariantResult named ``name``."""
        for variant in self.variants:
            if variant.name == name:
                return variant
        raise KeyError(name)

    def __str__(self):
        baseline = self["private"].timing.median
        header = ("variant", "median s", "vs private", "lost (worst run)",
                  "wrong bins (worst)", "runs losing", "how threads count")
        rows = [
            (
                v.name,
                f"{v.timing.median:.4f}",
                f"{v.timing.median / baseline:.1f}x",
                f"{max(v.lost):,}",
                f"{max(v.wrong_bins):,}",
                f"{sum(lost > 0 for lost in v.lost)}/{len(v.lost)}",
                v.description,
            )
            for v in self.variants
        ]
        widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]

        def line(row):
            # Left-align the first and last columns (names), right-align numbers.
            cells = [row[0].ljust(widths[0])]
            cells += [cell.rjust(width) for cell, width in zip(row[1:-1], widths[1:-1])]
            return "  ".join(cells + [row[-1]])

        title = (
            f"histogram of {self.size:,} values in {self.bins} bins, {self.threads} threads, "
            f"{self.available_cpus} CPUs available; median of {self.repeats} runs"
        )
        lines = [title, line(header), *map(line, rows)]
        if min(self.threads, self.available_cpus) < 2:
            lines.append(
                "note: with one thread or one CPU the threads never run at the same "
                "moment, so the race cannot show; run with threads >= 2 on >= 2 CPUs"
            )
        return "\n".join(lines)


def _shared_counts(data, edges, increment, threads):
    counts = np.zeros(len(edges) - 1, dtype=np.int64)
    job = SharedHistogramJob(data, edges, counts, increment, CHUNK)
    run_job(job.work, threads)
    return counts


def histogram_race(data=None, bins=100, range=None, *, threads=2, repeats=5):
    """Count one histogram from several threads four ways; time them and check them.

    Every variant runs its counting loop with the GIL released, on the same
    chunks of ``data`` handed out from a shared atomic counter to ``threads``
    threads of nogilkit's pool (the caller's among them), so they differ
    only in how a count is incremented:

    racy
        one counts array shared by all threads, incremented with a plain
        read-modify-write. When two threads increment the same bin at once,
        one increment is overwritten: a deliberate data race, which loses
        counts whenever the threads run on different cores at the same time.
        It never crashes (every index is in range) and never gains counts.
    atomic
        the shared array, incremented with an atomic fetch-and-add: exact,
        but cores contend for the same cache lines.
    mutex
        the shared array, each increment under one mutex
        (``cython.pymutex``): exact, and slower still.
    private
        nogilkit.histogram: each thread counts into its own histogram and
        the histograms are added at the end. Exact and the fastest.

    Parameters
    ----------
    data : array_like, optional
        1-D float64 values (as for nogilkit.histogram). The default is
        4,000,000 standard normal values from ``numpy.random.default_rng(0)``.
    bins : int
        Number of equal bins; few bins mean more collisions between threads.
    range : (float, float), optional
        As for nogilkit.histogram. The default, like numpy.histogram's, is
        ``(data.min(), data.max())``, or ``(0, 1)`` for empty data; pass one
        for data with NaN or infinities.
    threads : int or None
        Threads counting at once (None: every available CPU).
    repeats : int
        Timed runs of each variant, after one untimed warm-up run.

    Returns
    -------
    RaceResult
        Per variant: the timing (``timing.median``), and for each timed run
        the total counted, the counts lost against numpy.histogram
        (``lost``) and the bins that differ from it (``wrong_bins``). It
        prints as a table. ``available_cpus`` says how many CPUs the threads
        could use: with one, nothing runs at once and the race loses nothing.
    """
    if data is None:
        data = np.random.default_rng(DEFAULT_SEED).standard_normal(DEFAULT_SIZE)
    data = _validation.input_array("data", data, np.float64, 1)
    if range is None:
        range = (data.min(), data.max()) if data.size else (0.0, 1.0)
    data, edges = check_histogram_args(data, bins, range)
    threads = resolve_threads(threads)
    repeats = _validation.positive_int("repeats", repeats)
    # The validated bins and range, as floats, for nogilkit and numpy alike.
    bins, range = len(edges) - 1, (edges[0], edges[-1])
    truth = np.histogram(data, bins, range)[0]

    def run(name):
        if name == "private":
            return histogram(data, bins, range, threads=threads)
        return _shared_counts(data, edges, name, threads)

    variants = []
    for name, description in VARIANTS:
        runs = []
        timing, _ = measure(lambda: runs.append(run(name)), repeats)
        timed = runs[-repeats:]  # measure's warm-up run is not reported
        variants.append(VariantResult(
            name=name,
            description=description,
            timing=timing,
            expected=int(truth.sum()),
            counted=tuple(int(counts.sum()) for counts in timed),
            wrong_bins=tuple(int(np.count_nonzero(counts != truth)) for counts in timed),
        ))
    return RaceResult(
        size=len(data),
        bins=bins,
        threads=threads,
        available_cpus=available_cpus(),
        repeats=repeats,
        variants=tuple(variants),
    )
