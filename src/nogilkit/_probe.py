"""Does a function release the GIL, and how should it be run in parallel?

``probe(fn, args, kwargs)`` calls ``fn(*args, **kwargs)`` many times and
measures four things:

call_time
    Seconds per call, timeit-style: the number of calls is raised (1, 2, 5,
    10, 20, ...) until one measurement lasts at least ``min_time``; then the
    median of 5 such measurements, divided by the number of calls.
speedups
    The same calls spread over 1, 2, 4, ... threads (up to the available CPUs,
    or the counts given in ``threads``): throughput on n threads over
    throughput on one thread, the median of 5 measurements each, taken in
    interleaved rounds, with a 95% bootstrap interval. The total number of
    calls is rounded up to a multiple of n so that every thread does the same
    number of calls. A call that mostly waits (it releases the GIL and uses
    under half a CPU while it runs, as ``time.sleep`` or I/O) is also tried
    on more threads than cores (up to 32): waiting scales past them.
control
    The contention control (``nogilkit._control``), sampled once per round of
    the scaling phase: how many cores the machine actually gave. When it saw
    too few, a lack of speedup is "inconclusive", not a reason to stay
    serial.
gil_held
    The fraction of wall time the GIL is held while ``fn`` runs in one thread,
    read by a monitor thread that needs the GIL every millisecond (see
    ``nogilkit._measure.gil_held_fraction``). Resolution: each change between
    holding and releasing is placed within about 6 ms, so the figure is
    meaningful for stretches longer than that; a function that switches
    faster (say, 0.1 ms of Python between short nogil calls) lets the monitor
    in at every release and reads as releasing. On Linux the time the OS kept
    the monitor waiting for a CPU (its run-queue wait, from schedstat) is
    left out, so a busy machine does not read as GIL time
    (``scheduling_delay_excluded``); elsewhere the figure includes it. The
    switch interval is restored afterwards.
pickle cost
    Seconds and bytes of ``pickle.dumps``/``loads`` of ``(fn, args, kwargs)``
    and of the result: what a process pool pays per call, beyond its own
    overhead. A function or argument that cannot be pickled (a lambda, a
    lock) gives ``None`` and ``pickle_error`` says why.

Verdict: "releases" if ``gil_held < 0.25``, "holds" if above 0.75, else
"partial"; on an interpreter running without a GIL (free-threaded build),
``gil_held`` is None and the verdict "no-gil". The recommendation follows
from the measured speedups and, when threads do not help, from the pickle
cost against the call time.

Native thread pools (BLAS, OpenMP, and nogilkit's own kernels' ``threads=None``)
are limited to one thread during the probe with threadpoolctl, also those a
``-s SETUP`` already loaded (``blas_pinned`` says whether every pool found is
at one thread), so that the threads measured are the only parallelism.

Every call runs in a daemon thread; ``fn`` must be safe to call from several
threads at once with the same arguments. ``timeout`` bounds the whole probe:
when it passes, TimeoutError is raised and no further calls are started, but
a call that never returns cannot be killed: its thread is left running as a
daemon thread (it does not keep the interpreter from exiting) until the call
returns. An exception raised by ``fn`` is re-raised with a note naming the
phase it came from.
"""

from __future__ import annotations

import statistics
import time
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ._control import Control, busy, describe
from ._measure import Deadline, gil_held_fraction, pickle_cost, run_calls
from ._provenance import provenance
from ._runtime import available_cpus, gil_enabled, native_pools_limited
from ._stats import ratio_interval
from ._text import format_seconds, format_table
from ._validation import finite_float, positive_int, sequence

__all__ = ["ProbeResult", "Statement", "probe"]

REPEATS = 5  # measurements of call_time (median)
SCALING_REPEATS = 5  # measurements per thread count (median, interval), interleaved
WAITING_CPU_SHARE = 0.5  # a call using less CPU than this share of its time waits
MAX_WAITING_THREADS = 32  # thread counts tried past the cores for waiting calls
RELEASES_BELOW, HOLDS_ABOVE = 0.25, 0.75  # gil_held thresholds of the verdict
USEFUL_SPEEDUP = 1.2  # threads are recommended from this speedup on
PICKLE_SHARE = 0.1  # processes pay off when pickling costs under this share of a call
MIN_PROCESS_CALL = 1e-3  # seconds: shorter calls cost less than a process hand-off


@dataclass(frozen=True)
class ProbeResult:
    """What ``probe`` measured, and what it recommends.

    Attributes
    ----------
    call_time : float
        Seconds per call (one thread).
    gil_held : float or None
        Fraction of the call's wall time the GIL was held (None without a GIL).
    speedups : dict
        Thread count -> throughput over that of one thread.
    speedup_intervals : dict
        Thread count -> (low, high), the speedup's 95% bootstrap interval.
    cpu_share : float
        CPU seconds per wall second of a call on one thread (under 0.5: it waits).
    pickle_time, pickle_bytes : float or None, int or None
        Pickle round trip of (fn, args, kwargs) and of the result; None if
        they cannot be pickled.
    pickle_error : str or None
        Why pickling failed.
    verdict : str
        "releases", "holds", "partial" or "no-gil".
    recommendation : str
        What to use and why, in one or two sentences.
    blas_pinned : bool
        Whether every native thread pool threadpoolctl found was limited to one
        thread.
    scheduling_delay_excluded : bool
        Whether ``gil_held`` leaves out the time the OS kept the monitor from
        a CPU (Linux); elsewhere it includes that scheduling delay.
    control : dict
        The contention control's summary (``nogilkit._control``).
    provenance : dict
        Where the figures came from (see the provenance table of docs/saved-results.md).
    """

    call_time: float
    gil_held: object
    speedups: dict
    pickle_time: object
    pickle_bytes: object
    pickle_error: object
    verdict: str
    recommendation: str
    blas_pinned: bool
    speedup_intervals: dict = None
    cpu_share: float = None
    scheduling_delay_excluded: bool = False
    control: dict = None
    provenance: dict = None

    def to_dict(self):
        """A JSON-ready dict (thread counts as string keys), provenance first."""
        d = asdict(self)
        d["speedups"] = {str(n): s for n, s in self.speedups.items()}
        d["speedup_intervals"] = {str(n): list(i) for n, i in (self.speedup_intervals or {}).items()}
        return {"provenance": d.pop("provenance"), **d}

    def __str__(self):
        held = ("n/a (no GIL)" if self.gil_held is None else f"{self.gil_held:.0%}" + (
            "" if self.scheduling_delay_excluded else " (scheduling delay included)"))
        rows = [("call time", format_seconds(self.call_time)), ("GIL held", held)]
        if self.cpu_share is not None:
            rows.append(("CPU use while running", f"{self.cpu_share:.0%}"))
        intervals = self.speedup_intervals or {}
        rows += [(f"speedup, {n} threads", f"{s:.2f}x" + (
                  f" [{intervals[n][0]:.2f}-{intervals[n][1]:.2f}]" if n in intervals else ""))
                 for n, s in self.speedups.items() if n > 1]
        if self.pickle_error is None:
            rows.append(("pickle round trip",
                         f"{format_seconds(self.pickle_time)}, {self.pickle_bytes} bytes"))
        else:
            rows.append(("pickle round trip", f"fails: {self.pickle_error}"))
        rows += [("native pools pinned", "yes" if self.blas_pinned else "no"),
                 ("contention control", describe(self.control)),
                 ("verdict", self.verdict)]
        lines = format_table(("measure", "value"), rows)
        return "\n".join([*lines, "", self.recommendation])


def probe(fn: Callable[..., Any], args: Sequence[Any] = (), kwargs: Mapping[str, Any] | None = None,
          *, threads: int | None = None, min_time: float = 0.2,
          timeout: float = 300.0) -> ProbeResult:
    """Measure whether ``fn(*args, **kwargs)`` releases the GIL and how it scales.

    Parameters
    ----------
    fn : callable
        The function to probe; called many times, from several threads.
    args : sequence, optional
        Positional arguments, as for ``threading.Thread``.
    kwargs : mapping, optional
        Keyword arguments.
    threads : sequence of int, optional
        Thread counts (each >= 1) to measure; 1 is always added. Default:
        1, 2, 4, ... and the number of available CPUs.
    min_time : float, optional
        Seconds that one timing measurement lasts at least (default 0.2).
    timeout : float, optional
        Seconds for the whole probe (default 300, as ``nogilkit probe``). It
        stops a call that never returns and must not stop a slow one that
        does: each scaling measurement makes at least as many calls as it has
        threads, so a 0.1 s call that holds the GIL takes nearly four minutes
        on 64 CPUs (5 rounds of 1, 2, 4, ... 64 threads, 6.4 s each).

    Returns
    -------
    ProbeResult

    Raises
    ------
    TypeError, ValueError
        For a bad argument, before anything is called.
    TimeoutError
        If the probe is not done within ``timeout``.
    Exception
        Whatever ``fn`` raised, with a note naming the phase.
    """
    args, kwargs, counts, min_time, timeout = _validate(fn, args, kwargs, threads,
                                                        min_time, timeout)
    deadline = Deadline(timeout)

    def call():
        return fn(*args, **kwargs)

    with native_pools_limited() as pinned:
        number, call_time, cpu_share, result = _time_calls(call, min_time, deadline)
        gil_held, excluded = None, False
        if gil_enabled():
            gil_held, _, excluded = gil_held_fraction(call, call_time, min_time, deadline)
        verdict = _verdict(gil_held)
        if threads is None and verdict in ("releases", "no-gil") and cpu_share < WAITING_CPU_SHARE:
            counts = _waiting_counts(counts)
        control = Control(max(counts))
        speedups, intervals = _scaling(call, number, counts, deadline, control)
    deadline.check("pickle")
    pickle_time, pickle_bytes, pickle_error = pickle_cost(fn, args, kwargs, result)
    summary = control.summary()
    recommendation = _recommend(verdict, gil_held, call_time, speedups, intervals, summary,
                                pickle_time, pickle_error)
    return ProbeResult(call_time, gil_held, speedups, pickle_time, pickle_bytes,
                       pickle_error, verdict, recommendation, bool(pinned), intervals,
                       cpu_share, excluded, summary, provenance(control))


# Arguments -----------------------------------------------------------------

def _validate(fn, args, kwargs, threads, min_time, timeout):
    """Checked (args, kwargs, thread counts, min_time, timeout)."""
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    args = sequence("args", args, what="a sequence of positional arguments")
    if kwargs is None:
        kwargs = {}
    else:
        try:
            kwargs = dict(kwargs)
        except (TypeError, ValueError):
            raise TypeError(f"kwargs must be a mapping, got {type(kwargs).__name__}") from None
    return args, kwargs, _thread_counts(threads), _positive("min_time", min_time), \
        _positive("timeout", timeout)


def _thread_counts(threads):
    """Sorted distinct thread counts, 1 included."""
    if threads is None:
        cpus = available_cpus()
        counts = {cpus}
        n = 1
        while n < cpus:
            counts.add(n)
            n *= 2
        return sorted(counts | {1})
    if isinstance(threads, (str, bytes)) or not hasattr(threads, "__iter__"):
        raise TypeError(f"threads must be a sequence of ints, got {type(threads).__name__}")
    counts = [positive_int(f"threads[{i}]", n) for i, n in enumerate(threads)]
    if not counts:
        raise ValueError("threads must not be empty")
    return sorted(set(counts) | {1})


# Seconds: a day of probing is already a mistake; far larger waits overflow
# the threading module's timeouts.
MAX_SECONDS = 86400.0


def _positive(name, value):
    value = finite_float(name, value, maximum=MAX_SECONDS)
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {value}")
    return value


# Phases --------------------------------------------------------------------

def _time_calls(call, min_time, deadline):
    """(calls per measurement, median seconds per call, CPU seconds per wall
    second, a result), timeit-style."""
    number = None
    for number in _numbers():
        elapsed, result = run_calls(call, [number], deadline, "timing")
        if elapsed >= min_time:
            break
    cpu = time.process_time()
    times = [run_calls(call, [number], deadline, "timing")[0] for _ in range(REPEATS)]
    cpu_share = (time.process_time() - cpu) / sum(times)
    return number, statistics.median(times) / number, min(cpu_share, 1.0), result


def _waiting_counts(counts):
    """``counts`` and more threads than cores, for a call that mostly waits."""
    more = {n for n in (2 * max(counts), 4 * max(counts), 16, MAX_WAITING_THREADS)
            if n <= MAX_WAITING_THREADS}
    return sorted(set(counts) | more)


def _numbers():
    """1, 2, 5, 10, 20, 50, ..."""
    scale = 1
    while True:
        for step in (1, 2, 5):
            yield step * scale
        scale *= 10


def _scaling(call, number, counts, deadline, control):
    """(thread count -> throughput over that of one thread, thread count ->
    its 95% interval), measured in interleaved rounds, ``control`` sampled
    once per round."""
    total = max(number, max(counts))
    per_call = {n: [] for n in counts}  # seconds per call, one per round
    for _ in range(SCALING_REPEATS):
        control.sample()
        for n in counts:
            per_thread = -(-total // n)  # ceil
            elapsed = run_calls(call, [per_thread] * n, deadline, "scaling")[0]
            per_call[n].append(elapsed / (per_thread * n))
    intervals = {n: ratio_interval(per_call[1], per_call[n]) for n in counts}
    return ({n: i.value for n, i in intervals.items()},
            {n: (i.low, i.high) for n, i in intervals.items() if n > 1})


# Verdict and advice --------------------------------------------------------

def _verdict(gil_held):
    if gil_held is None:
        return "no-gil"
    if gil_held < RELEASES_BELOW:
        return "releases"
    if gil_held > HOLDS_ABOVE:
        return "holds"
    return "partial"


def _recommend(verdict, gil_held, call_time, speedups, intervals, control, pickle_time,
               pickle_error):
    """One or two sentences: what to use, the measured gain, why.

    Threads are recommended on a gain of ``USEFUL_SPEEDUP`` whose interval
    excludes 1x, never for a call holding the GIL (a speedup measured then is
    noise). When the control saw a busy machine, a missing gain is
    inconclusive, not a reason to stay serial.
    """
    if verdict == "partial":
        why = f"the call holds the GIL {gil_held:.0%} of the time"
    else:
        why = {"releases": "the call releases the GIL", "holds": "the call holds the GIL",
               "no-gil": "this interpreter runs without a GIL"}[verdict]
    if len(speedups) == 1:
        gain = "threads not measured (only 1 thread)"
        best_n, best, low = 1, 1.0, 1.0
    else:
        best_n, best = max(((n, s) for n, s in speedups.items() if n > 1),
                           key=lambda item: item[1])
        low, high = intervals[best_n]
        gain = f"threads give {best:.1f}x [{low:.2f}-{high:.2f}] on {best_n} threads"
    crowded = busy(control)
    if verdict == "holds" and best >= USEFUL_SPEEDUP:
        # A call that holds the GIL cannot run faster on threads: one speedup
        # measured on a noisy machine does not overrule the GIL reading.
        gain = (f"threads measured {best:.1f}x on {best_n} threads, which a call holding the "
                "GIL cannot gain: noise")
    elif best >= USEFUL_SPEEDUP and low > 1.0:
        return f"Use threads: {best:.1f}x [{low:.2f}-{high:.2f}] on {best_n} threads; {why}."
    elif best >= USEFUL_SPEEDUP:
        return (f"Probably threads: {best:.1f}x on {best_n} threads, but uncertain: the "
                f"interval [{low:.2f}-{high:.2f}] includes no difference; {why}.")
    if verdict in ("releases", "no-gil"):
        if len(speedups) == 1:
            return f"Use threads: {why} (scaling not measured: only 1 thread asked for)."
        if crowded:
            return (f"Inconclusive, probably threads: {why}, but the machine was busy "
                    f"({describe(control)}), so {gain} says little; measure again on free cores.")
        return (f"Stay serial: {gain} although {why}; the call may be limited by "
                "memory bandwidth or by a lock.")
    if pickle_error is not None:
        return (f"Stay serial: {why} ({gain}), and processes are ruled out: "
                f"pickling fails ({pickle_error}).")
    if call_time < MIN_PROCESS_CALL:
        return (f"Stay serial, or batch calls for processes: {why} ({gain}), and a "
                f"{format_seconds(call_time)} call is shorter than a process hand-off.")
    if pickle_time > PICKLE_SHARE * call_time:
        return (f"Stay serial: {why} ({gain}); pickling its arguments and result "
                f"costs {format_seconds(pickle_time)} against a {format_seconds(call_time)} call.")
    return (f"Use processes: {why} ({gain}); pickling its arguments and result costs "
            f"{format_seconds(pickle_time)} against a {format_seconds(call_time)} call.")


class Statement:
    """A statement and the namespace it runs in, as a callable that pickles.

    What ``nogilkit probe`` probes. Pickled, it carries its source, the
    setup's values (the data another process would need) and the names of
    the modules the setup imported, imported again on the other side; so
    the pickle round trip measures what shipping the work to a process
    costs.
    """

    def __init__(self, source, namespace):
        self.source = source
        self.namespace = namespace
        self._code = _compile(source)

    def __call__(self):
        return eval(self._code, self.namespace)  # an exec code object evaluates to None

    def __getstate__(self):
        values, modules = {}, {}
        for name, value in self.namespace.items():
            if name.startswith("__"):
                continue
            if isinstance(value, types.ModuleType):
                modules[name] = value.__name__
            else:
                values[name] = value
        return {"source": self.source, "values": values, "modules": modules}

    def __setstate__(self, state):
        import importlib

        self.namespace = dict(state["values"])
        self.namespace.update({name: importlib.import_module(module)
                               for name, module in state["modules"].items()})
        self.source = state["source"]
        self._code = _compile(self.source)


def _compile(source):
    """An expression's code (its value is the call's result), else a statement's."""
    try:
        return compile(source, "<statement>", "eval")
    except SyntaxError:
        return compile(source, "<statement>", "exec")
