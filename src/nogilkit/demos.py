"""Measured demonstrations of why the kernels are written the way they are.

histogram_race
    Threads that share one histogram lose counts (a data race) or, made
    safe with atomics or a lock, run slowly; a histogram per thread, added
    up at the end, is both exact and fast.

counter_race
    Plain Python threads that add 1 to one shared counter with a read,
    then a write back, lose updates when a thread switch falls between the
    two; the same read-modify-write under a threading.Lock, or increments
    sent through a queue.Queue to one thread that owns the counter, are
    exact.

lock_contention
    The time per lock-protected increment of one shared int (acquire,
    increment, release) as more threads contend for one threading.Lock,
    with the total number of increments fixed; the final count is checked.
"""

import contextlib
import queue
import threading
import time
from dataclasses import dataclass
from functools import partial

import numpy as np

from . import _validation
from ._ext.histogram_demos import SharedHistogramJob
from ._measure import Timing, measure
from ._runtime import available_cpus
from ._text import ByName, format_seconds, format_table
from .kernels._histogram import CHUNK, check_histogram_args, histogram
from .kernels._pool import resolve_threads, run_job

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
class RaceResult(ByName):
    """The outcome of histogram_race: one VariantResult per variant, and the setting."""

    size: int
    bins: int
    threads: int
    available_cpus: int
    repeats: int
    variants: tuple

    def __str__(self):
        baseline = self["private"].timing.median
        header = ("variant", "median", "vs private", "lost (worst run)",
                  "wrong bins (worst)", "runs losing", "how threads count")
        rows = [
            (
                v.name,
                format_seconds(v.timing.median, fixed=True),
                f"{v.timing.median / baseline:.1f}x",
                f"{max(v.lost):,}",
                f"{max(v.wrong_bins):,}",
                f"{sum(lost > 0 for lost in v.lost)}/{len(v.lost)}",
                v.description,
            )
            for v in self.variants
        ]
        title = (
            f"histogram of {self.size:,} values in {self.bins} bins, {self.threads} threads, "
            f"{self.available_cpus} CPUs available; median of {self.repeats} runs"
        )
        lines = [title, *format_table(header, rows, left=(0, -1))]
        if min(self.threads, self.available_cpus) < 2:
            lines.append(
                "note: with one thread or one CPU the threads never run at the same "
                "moment, so the race cannot show; run with threads >= 2 on >= 2 CPUs"
            )
        return "\n".join(lines)


def _shared_counts(data, edges, increment, threads):
    counts = np.zeros(len(edges) - 1, dtype=np.int64)
    job = SharedHistogramJob(data, edges, counts, increment, CHUNK)
    run_job(job, threads)
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
        Threads counting at once (None: ``nogilkit.default_threads()``).
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
    data = _validation.real_array("data", data, ndim=1, convert=False, finite=False)
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


# ---------------------------------------------------------------------------
# Shared state in plain Python threads: counter_race and lock_contention.

# The variants of counter_race, in table order: (name, how threads update the counter).
COUNTER_VARIANTS = (
    ("natural", "counter.value += 1, nothing forced: lost only where threads truly overlap"),
    ("unsynchronised", "read, then write back read + 1 (others write in between)"),
    ("lock", "the same read-modify-write under one threading.Lock"),
    ("queue", "+1s put on a queue.Queue; one owner thread adds them up"),
)

# counter_race forces a thread switch between the read and the write of every
# SWITCH_EVERY-th increment, the first included (see _Switch). A switch costs
# some microseconds, so forcing one on every increment would take about a
# second at the defaults; one in 32 loses updates just as surely, quickly.
SWITCH_EVERY = 32

DEFAULT_CONTENTION_THREADS = (1, 2, 4, 8)


class _Counter:
    """The shared state of the threading tutorial: an object with an int ``value``."""

    __slots__ = ("value",)

    def __init__(self):
        self.value = 0


def _run_threads(targets, name, *, unstarted=None):
    """Run each of ``targets`` (callables) in a new thread; seconds they took together.

    The threads wait at a start gate until every one of them has started, so
    that they begin together and thread creation is not timed: the time runs
    from opening the gate to joining the last thread. Every thread started
    is joined, also when starting another fails; then ``unstarted(n)`` is
    first called with the number ``n`` of targets left without a thread, so
    that those started need not wait for them. An exception raised in a
    thread is re-raised here, after all are joined.
    """
    targets = list(targets)
    gate = threading.Event()
    errors = []

    def body(target):
        try:
            gate.wait()
            target()
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)

    started = []
    start = None
    try:
        for i, target in enumerate(targets):
            thread = threading.Thread(target=body, args=(target,), name=f"nogilkit-{name}-{i}")
            thread.start()
            started.append(thread)
    finally:
        if unstarted is not None and len(started) < len(targets):
            unstarted(len(targets) - len(started))
        start = time.perf_counter()
        gate.set()
        for thread in started:
            thread.join()
    seconds = time.perf_counter() - start
    if errors:
        raise errors[0]
    return seconds


def _measure_threads(run, repeats):
    """``run()`` -> (seconds, result), once untimed then ``repeats`` times.

    Like timing.measure, but the time is what ``run`` reports (threads at
    work, without their creation). Returns (Timing, results of the timed runs).
    """
    run()  # warm-up
    times, results = [], []
    for _ in range(repeats):
        seconds, result = run()
        times.append(seconds)
        results.append(result)
    return Timing(tuple(times)), tuple(results)


class _Switch:
    """A forced thread switch between a read of the counter and the write back.

    ``time.sleep(0)`` lets other threads run, but does not make them: one
    whose CPU the OS gave to another process may not run before the sleeper
    takes the GIL back and writes, and short runs then lose nothing. So a
    thread at a switch yields (``time.sleep(0)``) until the counter has
    changed, that is, another thread wrote between its read and its write;
    or until every thread is *idle*: waiting at a switch or for the lock, or
    finished. Then no other thread can write, and the thread goes on, so a
    switch never deadlocks. As every thread waits at its first increment,
    the first write comes when all have read 0: each run of ``threads``
    threads loses at least ``threads - 1`` updates, however they are
    scheduled.
    """

    def __init__(self, threads):
        self._threads = threads
        self._idle = 0  # threads waiting at a switch or for the lock, or finished
        self._lock = threading.Lock()

    def _add_idle(self, n):
        with self._lock:
            self._idle += n

    @contextlib.contextmanager
    def idle(self):
        """Count the calling thread as idle in the ``with`` block."""
        self._add_idle(1)
        try:
            yield
        finally:
            self._add_idle(-1)

    def finished(self, threads=1):
        """Count the calling thread (or ``threads`` that never started) as idle from now on."""
        self._add_idle(threads)

    def wait(self, counter, value):
        """Yield until ``counter.value`` is no longer ``value``, or every thread is idle."""
        with self.idle():
            while counter.value == value and self._idle < self._threads:
                time.sleep(0)


def _read_switch_write(counter, increments, switch, lock=None):
    """Add 1 to ``counter.value`` ``increments`` times: read, (switch), write read + 1."""
    try:
        for i in range(increments):
            if lock is not None and not lock.acquire(blocking=False):
                with switch.idle():
                    lock.acquire()
            try:
                value = counter.value
                if i % SWITCH_EVERY == 0:
                    switch.wait(counter, value)  # other threads run here
                counter.value = value + 1
            finally:
                if lock is not None:
                    lock.release()
    finally:
        switch.finished()


def _plain_increments(counter, increments):
    for _ in range(increments):
        counter.value += 1  # a read, an add and a write: not atomic


def _count_via_queue(counter, threads, increments):
    """The targets of the queue variant: ``threads`` workers, then the owner."""
    updates = queue.Queue()
    done = object()  # each worker's last message

    def worker():
        try:
            for _ in range(increments):
                updates.put(1)
        finally:
            updates.put(done)

    def owner():
        running = threads
        while running:
            item = updates.get()
            if item is done:
                running -= 1
            else:
                counter.value += item

    # The owner is started last: if starting any thread fails, the owner is
    # not waiting for a worker that never started, and all that did finish.
    return [worker] * threads + [owner]


def _count_once(variant, threads, increments):
    """(seconds, final count) of one run of counter_race's ``variant``."""
    counter = _Counter()
    unstarted = None
    if variant == "queue":
        targets = _count_via_queue(counter, threads, increments)
    elif variant == "natural":
        targets = [partial(_plain_increments, counter, increments)] * threads
    else:
        lock = threading.Lock() if variant == "lock" else None
        switch = _Switch(threads)
        targets = [partial(_read_switch_write, counter, increments, switch, lock)] * threads
        unstarted = switch.finished  # a thread that never started never writes
    seconds = _run_threads(targets, f"counter-{variant}", unstarted=unstarted)
    return seconds, counter.value


def _timing_dict(timing):
    return {"times": list(timing.times), "median": timing.median,
            "min": timing.min, "max": timing.max}


@dataclass(frozen=True)
class CounterVariant:
    """How one variant of counter_race did over the timed runs.

    ``expected`` is ``threads * increments``; ``final`` holds the counter's
    value after each timed run.
    """

    name: str
    description: str
    timing: Timing
    expected: int
    final: tuple

    @property
    def lost(self):
        """Updates lost in each timed run: ``expected - final``."""
        return tuple(self.expected - f for f in self.final)

    @property
    def exact(self):
        """Whether every timed run counted every update."""
        return not any(self.lost)

    def to_dict(self):
        return {
            "name": self.name,
            "description": self.description,
            "expected": self.expected,
            "final": list(self.final),
            "lost": list(self.lost),
            "exact": self.exact,
            "timing": _timing_dict(self.timing),
        }


@dataclass(frozen=True)
class CounterResult(ByName):
    """The outcome of counter_race: one CounterVariant per variant, and the setting."""

    threads: int
    increments: int
    available_cpus: int
    repeats: int
    variants: tuple

    @property
    def expected(self):
        """The count every run should reach: ``threads * increments``."""
        return self.threads * self.increments

    def __str__(self):
        baseline = self["lock"].timing.median
        header = ("variant", "median", "vs lock", "final (worst run)", "lost (worst run)",
                  "runs losing", "how threads update the counter")
        rows = [
            (
                v.name,
                format_seconds(v.timing.median, fixed=True),
                f"{v.timing.median / baseline:.2f}x" if baseline > 0 else "-",
                f"{min(v.final):,}",
                f"{max(v.lost):,}",
                f"{sum(lost > 0 for lost in v.lost)}/{len(v.lost)}",
                v.description,
            )
            for v in self.variants
        ]
        title = (
            f"counter: {self.threads} threads x {self.increments:,} increments = "
            f"{self.expected:,}, {self.available_cpus} CPUs available; "
            f"median of {self.repeats} runs"
        )
        lines = [title, *format_table(header, rows, left=(0, len(header) - 1))]
        lines.append(
            f"note: the unsynchronised and lock times include a thread switch forced once "
            f"every {SWITCH_EVERY} increments (in the lock variant, its holder waits there "
            f"for all the others to block); lock_contention times the lock alone"
        )
        if self.threads < 2:
            lines.append(
                "note: with one thread no other thread writes between its read and "
                "its write, so nothing is lost; run with threads >= 2"
            )
        return "\n".join(lines)

    def to_dict(self):
        """The setting and every variant's runs, as JSON-ready dicts and lists."""
        return {
            "threads": self.threads,
            "increments": self.increments,
            "expected": self.expected,
            "available_cpus": self.available_cpus,
            "repeats": self.repeats,
            "switch_every": SWITCH_EVERY,
            "variants": [v.to_dict() for v in self.variants],
        }


def counter_race(threads=4, increments=10_000, *, repeats=3):
    """Add 1 to one shared counter from several Python threads three ways; check and time them.

    The counter is an object with an int attribute ``value``, updated from
    ``threads`` plain ``threading.Thread`` threads (started together at a
    gate), each adding 1 ``increments`` times:

    natural
        ``counter.value += 1`` with nothing forced. With the GIL, threads
        switch only at some instructions, so updates are lost rarely, if
        ever; a free-threaded CPython runs the threads truly at once, and
        they lose updates by the thousand. Not exact in general: the one
        variant whose result depends on the interpreter.
    unsynchronised
        the threading tutorial's read-modify-write,
        ``value = counter.value; counter.value = value + 1``, with a thread
        switch forced between the read and the write of every 32nd
        increment (``SWITCH_EVERY``), the first included: the thread yields
        (``time.sleep(0)``) until another thread has written, or until no
        other thread can (all wait too, or have finished). The updates
        written in between are overwritten by the stale ``value + 1``: with
        ``threads >= 2`` every run loses at least ``threads - 1`` updates
        (usually nearly all but one thread's), on one CPU or many, with the
        GIL or without, however the OS schedules the threads. A write never
        adds more than one, so the count is never too high. The switch is
        forced because CPython with the GIL switches threads only at some
        instructions, rarely between these two, and a bare ``time.sleep(0)``
        lets other threads run but does not make them (one may not be on a
        CPU); without it the race is real but shows only now and then.
    lock
        the same read-modify-write, forced switch included, under one
        ``threading.Lock``: a thread switched out between its read and its
        write still holds the lock, so no one else writes meanwhile (its
        switch ends once the others all wait for the lock). Exact.
    queue
        no shared counter: a single owner thread holds it, and the workers
        put their +1s on a ``queue.Queue``, each ending with a sentinel; the
        owner adds them up until it has every worker's sentinel. Exact.

    Every thread started is joined before this returns, also on error.

    Parameters
    ----------
    threads : int
        Worker threads (the queue variant adds one owner thread).
    increments : int
        Increments each worker makes: every run should count
        ``threads * increments``.
    repeats : int
        Timed runs of each variant, after one untimed warm-up run.

    Returns
    -------
    CounterResult
        Per variant: the timing (``timing.median``, seconds from starting
        the threads together to joining the last), and for each timed run
        the final count (``final``) and the updates lost (``lost``,
        ``expected - final``). It prints as a table; ``to_dict()`` is
        JSON-ready.

    Raises
    ------
    TypeError, ValueError
        If ``threads``, ``increments`` or ``repeats`` is not a positive int.
    """
    threads = _validation.positive_int("threads", threads)
    increments = _validation.positive_int("increments", increments)
    repeats = _validation.positive_int("repeats", repeats)
    variants = []
    for name, description in COUNTER_VARIANTS:
        timing, final = _measure_threads(
            partial(_count_once, name, threads, increments), repeats
        )
        variants.append(CounterVariant(
            name=name,
            description=description,
            timing=timing,
            expected=threads * increments,
            final=final,
        ))
    return CounterResult(
        threads=threads,
        increments=increments,
        available_cpus=available_cpus(),
        repeats=repeats,
        variants=tuple(variants),
    )


def _thread_counts(value):
    """``value`` as a non-empty tuple of positive ints, else TypeError/ValueError."""
    expected = f"threads must be a sequence of positive integers, got {type(value).__name__}"
    if isinstance(value, (str, bytes)):
        raise TypeError(expected)
    try:
        counts = tuple(value)
    except TypeError:
        raise TypeError(expected) from None
    if not counts:
        raise ValueError("threads must contain at least one thread count, got none")
    return tuple(_validation.positive_int(f"threads[{i}]", n) for i, n in enumerate(counts))


def _shares(total, parts):
    """``total`` split into ``parts`` shares that differ by at most one."""
    return [total // parts + (i < total % parts) for i in range(parts)]


def _locked_increments(counter, lock, operations):
    for _ in range(operations):
        with lock:
            counter.value += 1


def _contend_once(threads, operations):
    """(seconds, final count) of ``operations`` locked increments split among ``threads``."""
    counter = _Counter()
    lock = threading.Lock()
    targets = [partial(_locked_increments, counter, lock, share)
               for share in _shares(operations, threads)]
    seconds = _run_threads(targets, "contention")
    return seconds, counter.value


@dataclass(frozen=True)
class ContentionEntry:
    """lock_contention with one number of threads: its timing and final counts.

    ``final`` holds the shared count after each timed run; each should
    equal ``operations``.
    """

    threads: int
    operations: int
    timing: Timing
    final: tuple

    @property
    def seconds_per_operation(self):
        """Median seconds per lock-protected increment."""
        return self.timing.median / self.operations

    @property
    def exact(self):
        """Whether every timed run counted every increment."""
        return all(f == self.operations for f in self.final)

    def to_dict(self):
        return {
            "threads": self.threads,
            "operations": self.operations,
            "final": list(self.final),
            "exact": self.exact,
            "seconds_per_operation": self.seconds_per_operation,
            "timing": _timing_dict(self.timing),
        }


@dataclass(frozen=True)
class ContentionResult:
    """The outcome of lock_contention: one ContentionEntry per thread count, in order."""

    operations: int
    threads: tuple
    available_cpus: int
    repeats: int
    entries: tuple

    def __getitem__(self, threads):
        """The (first) ContentionEntry for ``threads`` threads."""
        for entry in self.entries:
            if entry.threads == threads:
                return entry
        raise KeyError(threads)

    @property
    def baseline(self):
        """The entry the ratios are taken against: the one with fewest threads (1 by default)."""
        return min(self.entries, key=lambda entry: entry.threads)

    @property
    def ratios(self):
        """Each entry's time per operation over the baseline's, in entry order."""
        base = self.baseline.seconds_per_operation
        return tuple(
            e.seconds_per_operation / base if base > 0 else float("nan") for e in self.entries
        )

    def __str__(self):
        base = self.baseline.threads
        header = ("threads", "time per op", f"vs {base} thread{'s' if base != 1 else ''}",
                  "final count (each run)", "exact")
        rows = [
            (
                str(e.threads),
                format_seconds(e.seconds_per_operation, fixed=True),
                f"{ratio:.2f}x",
                ", ".join(f"{f:,}" for f in e.final),
                "yes" if e.exact else "NO",
            )
            for e, ratio in zip(self.entries, self.ratios)
        ]
        title = (
            f"lock contention: {self.operations:,} increments under one threading.Lock, "
            f"split among the threads, {self.available_cpus} CPUs available; "
            f"median of {self.repeats} runs"
        )
        return "\n".join([title, *format_table(header, rows)])

    def to_dict(self):
        """The setting and every entry's runs, as JSON-ready dicts and lists."""
        return {
            "operations": self.operations,
            "threads": list(self.threads),
            "available_cpus": self.available_cpus,
            "repeats": self.repeats,
            "baseline_threads": self.baseline.threads,
            "entries": [
                dict(e.to_dict(), ratio=ratio) for e, ratio in zip(self.entries, self.ratios)
            ],
        }


def lock_contention(threads=DEFAULT_CONTENTION_THREADS, operations=20_000, *, repeats=3):
    """Time a lock-protected increment as more threads contend for one lock.

    For each number of threads ``n`` in ``threads``, ``n`` plain Python
    threads (started together at a gate) share ``operations`` increments of
    one shared int (split as evenly as can be), each increment being:
    acquire one ``threading.Lock``, add 1, release. The total work is the
    same for every ``n``, so the time per operation compares directly: with
    no contention, more threads cost nothing extra per operation; what they
    add is the cost of contending for the lock (and, with the GIL, for the
    interpreter). The final count is checked against ``operations``.

    Parameters
    ----------
    threads : sequence of int
        The numbers of threads to try, in the order they are reported.
    operations : int
        Lock-protected increments in all, split among the threads.
    repeats : int
        Timed runs per number of threads, after one untimed warm-up run.

    Returns
    -------
    ContentionResult
        One entry per item of ``threads``, in order: the timing (seconds
        from starting the threads together to joining the last),
        ``seconds_per_operation`` (median), the final count of each timed
        run (``final``) and whether all equal ``operations`` (``exact``).
        ``ratios`` compares each entry's time per operation with the entry
        with fewest threads (1 thread by default). It prints as a table (ns
        per operation); ``to_dict()`` is JSON-ready.

    Raises
    ------
    TypeError, ValueError
        If ``threads`` is not a non-empty sequence of positive ints, or
        ``operations`` or ``repeats`` is not a positive int.
    """
    threads = _thread_counts(threads)
    operations = _validation.positive_int("operations", operations)
    repeats = _validation.positive_int("repeats", repeats)
    entries = []
    for n in threads:
        timing, final = _measure_threads(partial(_contend_once, n, operations), repeats)
        entries.append(ContentionEntry(
            threads=n, operations=operations, timing=timing, final=final
        ))
    return ContentionResult(
        operations=operations,
        threads=threads,
        available_cpus=available_cpus(),
        repeats=repeats,
        entries=tuple(entries),
    )


__all__ = ["ContentionResult", "CounterResult", "RaceResult", "counter_race", "histogram_race",
           "lock_contention"]
