"""Run combinations (workload x implementation x strategy x workers) and measure them.

Per combination: start the strategy's pools (timed apart: start-up), one
untimed warm-up run, then at least ``repeats`` timed samples, interleaved with
those of the other strategies of the same workload and implementation, and
more rounds (within a time budget) until each speedup's confidence interval
is within +-5%. A sample lasts at least ``MIN_SAMPLE_SECONDS`` (0.1 s): a
run shorter than that is repeated ``number`` times within the sample, as
timeit does, so that a scheduler's few milliseconds elsewhere cannot decide
it. A contention control, if given, is sampled once per round. Every run's
result is checked; a wrong answer makes the row a failed check, never a time. Wall time
is ``time.perf_counter``; CPU time is this process's ``time.process_time``
plus, under process strategies, the thread CPU time the workers spent on the
chunks; peak memory is this process's peak resident set during the run
(reset before each run where the OS allows it: Linux), plus each worker
process's peak over its life.
"""

import contextlib
import math
import statistics
import time
from dataclasses import asdict, dataclass, field, fields

from .. import _simd
from .._measure import peak_rss, reset_peak_rss
from .._runtime import add_note
from .._stats import TARGET, median_interval, ratio_interval
from .._text import one_line
from ..strategies.base import MainReimported, WorkerLost
from ..workloads import CheckFailed


@dataclass
class Row:
    workload: str
    size: str
    implementation: str
    strategy: str
    workers: int
    status: str  # "ok", "unavailable" or "failed"
    reason: str = ""
    times: list = field(default_factory=list)
    cpu_seconds: float = None
    startup_seconds: float = None
    peak_bytes: int = None
    chunks: int = None
    ideal_seconds: float = None  # a waiting workload's bound (io: requests x latency / workers)
    interpreter: str = ""  # which Python ran it, when a comparison spans several
    number: int = 1  # runs per timed sample; ``times`` are per run
    calls: int = None  # rounds of chunks a run hands out (a strategy's per-call costs)

    @property
    def ok(self):
        return self.status == "ok"

    @property
    def median(self):
        return statistics.median(self.times) if self.times else None

    @property
    def min(self):
        return min(self.times) if self.times else None

    @property
    def max(self):
        return max(self.times) if self.times else None

    @classmethod
    def from_dict(cls, data):
        """A Row from ``to_dict()``'s output (derived figures are ignored)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def to_dict(self):
        d = asdict(self)
        d.update(median=self.median, min=self.min, max=self.max)
        return d


MIN_SAMPLE_SECONDS = 0.1  # a timed sample lasts at least this long
MAX_ROUNDS_FACTOR = 4  # at most this many times ``repeats`` rounds


def _measure_run(session, workload, problem, implementation, number=1):
    """(wall s, cpu s, peak bytes, results, chunks, calls) of ``number`` runs
    back to back; the times, chunks and calls are per run."""
    calls = session.calls
    reset_peak_rss()
    cpu_start = time.process_time()
    results, outcomes = [], []
    start = time.perf_counter()
    for _ in range(number):
        result, more = session.run(workload, problem, implementation)
        results.append(result)
        outcomes.extend(more)
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    peak = peak_rss()
    if session.remote:
        cpu += sum(o.cpu_seconds for o in outcomes)
        per_worker = {}
        for o in outcomes:
            per_worker[o.pid] = max(per_worker.get(o.pid, 0), o.peak_rss)
        peak += sum(per_worker.values())
    return (wall / number, cpu / number, peak, results, len(outcomes) // number,
            (session.calls - calls) // number)


def _calibrate(session, workload, problem, implementation, first, min_sample):
    """(runs per sample, seconds per run) so that a sample lasts ``min_sample``,
    as timeit's autorange does. A first run is often slower (caches, page
    faults), and a run timed alone carries overheads that runs back to back
    share, so a short one is followed by a block of runs lasting about a tenth
    of a sample; the faster per run sets the count. (Timed alone, a 61 µs
    Mandelbrot read 143 µs: samples came out at 43 ms, not 100.) The block's
    results are checked too."""
    if first >= min_sample:
        return 1, first
    block = max(1, min(1000, int(min_sample / 10 / max(first, 1e-9))))
    second, _, _, results, _, _ = _measure_run(session, workload, problem, implementation, block)
    _check_all(workload, problem, results)
    per_run = min(first, second)
    return max(1, math.ceil(min_sample / max(per_run, 1e-9))), per_run


def _check_all(workload, problem, results):
    for result in results:
        workload.check(problem, result)


def _settled(rows, serial, precision):
    """Whether every row's speedup over ``serial`` (or, without one, its median)
    is known within ``precision`` (relative half-width of its interval)."""
    for row in rows:
        if row.status == "failed" or len(row.times) < 2:
            continue
        interval = (ratio_interval(serial.times, row.times) if serial is not None
                    and serial is not row and serial.times else median_interval(row.times))
        if interval is not None and interval.relative_half_width > precision:
            return False
    return True


def run_combination(workload, problem, implementation, strategy, workers, options, **kwargs):
    """One combination measured on its own: ``run_group`` with a single member."""
    return run_group(workload, problem, implementation, [(strategy, workers)], options,
                     **kwargs)[0]


class _RunCounter:
    """Runs done out of runs planned, for a progress callback; the plan shrinks
    as combinations turn out unavailable, failed or slow (fewer repeats)."""

    def __init__(self, progress, total):
        self.progress, self.total, self.done = progress, total, 0

    def next(self, label):
        if self.progress:
            self.progress(self.done, self.total, label)
        self.done += 1

    def drop(self, runs):
        self.total -= runs


def _failure(exc, workload, implementation, strategy, workers):
    """The reason a row failed, on one line: a wrong result, a worker process that
    died, or an error the workload reports as a failed row (a user's function);
    any other error is raised, with a note (for a built-in workload it is a bug).
    A worker that re-imported an unguarded main script stops the comparison."""
    if isinstance(exc, MainReimported):
        raise exc
    if isinstance(exc, CheckFailed):
        return f"wrong result: {one_line(exc, limit=None)}"
    if isinstance(exc, WorkerLost):
        return f"the run failed: {one_line(exc)}"
    reason = workload.run_failed(exc) if isinstance(exc, Exception) else None
    if reason is None:
        add_note(exc, f"while running workload {workload.name!r} ({implementation}) "
                      f"with strategy {strategy.name!r} on {workers} workers")
        raise exc
    return one_line(reason, limit=None)


def run_group(workload, problem, implementation, combos, options, *,
              repeats=5, min_repeats=3, max_seconds=5.0, progress=None, control=None,
              min_sample=MIN_SAMPLE_SECONDS, precision=TARGET):
    """Measured, checked Rows for ``combos`` [(strategy, workers)] of one
    workload and implementation, their timed samples interleaved.

    Every session is started (start-up timed apart) and warmed up first; then
    each round takes one sample of every combination. A shared machine's
    speed drifts over seconds; interleaving spreads that drift over all the
    rows, where measuring one combination after another would hand it to
    whichever ran at a slow moment. Samples slower than ``max_seconds /
    repeats`` get fewer repeats (never fewer than ``min(min_repeats,
    repeats)``), so slow pure-Python rows do not dominate the comparison's
    time. After ``repeats`` rounds, further rounds run while some speedup's
    interval is wider than ``precision`` (+-5%), up to ``MAX_ROUNDS_FACTOR *
    repeats`` rounds and ``max_seconds`` per row in all (``precision`` None:
    no extra rounds). A sample lasts at least ``min_sample`` seconds (0: one
    run per sample). ``control`` (a Control) is sampled once per round. ``progress``, if given, is called as ``progress(done,
    total, label)`` before each sample.
    """
    counter = _RunCounter(progress, len(combos) * (repeats + 1))
    rows = [Row(workload.name, problem.size, implementation, strategy.name, workers,
                "unavailable", ideal_seconds=workload.ideal_seconds(problem, workers))
            for strategy, workers in combos]
    active = []  # (index, row, session, strategy, repeats, cpus, peaks)
    # Sessions that fork start first, before other sessions' threads exist: a
    # fork copies one thread only, and a lock another thread held stays locked.
    order = sorted(range(len(combos)), key=lambda i: not combos[i][0].forks(options))
    with contextlib.ExitStack() as stack:
        # Chunks set the vector path their implementation needs (cython-baseline
        # the baseline): whatever this process's kernels ran with before is back after.
        stack.enter_context(_simd.preserved())
        for index in order:
            row, (strategy, workers) = rows[index], combos[index]
            reason = workload.unavailable(implementation) or strategy.unavailable(
                workload, implementation, options)
            if reason:
                row.reason = one_line(reason, limit=None)
                counter.drop(repeats + 1)
                continue
            counter.next(f"{strategy.name} x{workers}: start, warm-up")
            try:
                session = stack.enter_context(strategy.start(workers, options))
                session.share_inputs(problem.arrays)
                row.startup_seconds = session.startup_seconds
                first, _, _, results, _, _ = _measure_run(session, workload, problem, implementation)
                _check_all(workload, problem, results)  # the warm-up run is checked too
                row.number, first = _calibrate(session, workload, problem, implementation,
                                               first, min_sample)
            except BaseException as exc:
                row.reason = _failure(exc, workload, implementation, strategy, workers)
                row.status = "failed"
                counter.drop(repeats)
                continue
            sample = first * row.number
            n = repeats
            if sample * repeats > max_seconds:
                n = max(min(min_repeats, repeats), int(max_seconds / max(sample, 1e-9)))
            counter.drop(repeats - n)
            active.append((index, row, session, strategy, n, [], []))
        active.sort(key=lambda entry: entry[0])  # rounds run in the rows' order
        active = [entry[1:] for entry in active]
        serial = next((a[0] for a in active if a[2].name == "serial"), None)
        spent = 0.0
        round_ = 0
        while True:
            planned = [a for a in active if round_ < a[3] and a[0].status != "failed"]
            if not planned:
                # The planned rounds are done: go on while an interval is wide,
                # with the rows that can still afford a sample.
                extra = [a for a in active if a[0].status != "failed"
                         and a[0].median * a[0].number * (round_ + 1) <= max_seconds]
                if (precision is None or round_ >= MAX_ROUNDS_FACTOR * repeats or not extra
                        or _settled([a[0] for a in extra], serial, precision)
                        or spent > max_seconds * len(active)):
                    break
                planned = extra
                counter.total += len(planned)
            if control is not None:
                control.sample()
            # Each round starts one row later, so that no row always runs just
            # after the same other (a process pool's workers still winding down).
            shift = round_ % len(planned)
            for row, session, strategy, n, cpus, peaks in planned[shift:] + planned[:shift]:
                if row.status == "failed":
                    continue
                counter.next(f"{strategy.name} x{row.workers}: sample {round_ + 1}")
                try:
                    wall, cpu, peak, results, chunks, calls = _measure_run(
                        session, workload, problem, implementation, row.number)
                    _check_all(workload, problem, results)
                except BaseException as exc:
                    row.reason = _failure(exc, workload, implementation, strategy, row.workers)
                    row.status, row.times = "failed", []
                    counter.drop(max(0, n - round_ - 1))
                    continue
                spent += wall * row.number
                row.times.append(wall)
                cpus.append(cpu)
                peaks.append(peak)
                row.chunks, row.calls = chunks, calls
            round_ += 1
        for row, session, strategy, n, cpus, peaks in active:
            if row.status != "failed":
                row.status = "ok"
                row.cpu_seconds = statistics.median(cpus)
                row.peak_bytes = max(peaks)
    return rows


__all__ = ["Row", "run_combination", "run_group"]
