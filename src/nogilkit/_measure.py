"""Measurement primitives that every measuring program shares.

Wall time (``measure``: warm up, repeat, the median and the spread), peak
resident memory, calls run in daemon threads under a deadline, the share of
time a call holds the GIL, and the cost of pickling a call for another
process.
"""

import math
import os
import pickle
import statistics
import sys
import threading
import time
from dataclasses import dataclass

from ._runtime import add_note
from ._text import describe_exception

INTERVAL = 1e-3  # the GIL monitor's sleep, seconds
SWITCH_INTERVAL = 5e-3  # sys.setswitchinterval while the GIL is measured
LATE = 2e-3  # a monitor cycle later than this counts as GIL held
GIL_PHASE_MIN_TIME = 0.1  # seconds the GIL measurement lasts at least


@dataclass(frozen=True)
class Timing:
    """Seconds per run over ``len(times)`` repeats (warm-up excluded)."""

    times: tuple

    @property
    def median(self):
        return statistics.median(self.times)

    @property
    def min(self):
        return min(self.times)

    @property
    def max(self):
        return max(self.times)


def measure(fn, repeats, *, warmup=1):
    """Time ``fn()`` ``repeats`` times after ``warmup`` untimed calls.

    Returns (Timing, the last result) so the caller can verify what was timed.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    result = None
    for _ in range(warmup):
        result = fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return Timing(tuple(times)), result


# -- memory ------------------------------------------------------------------------------


def reset_peak_rss():
    """Start a new peak-RSS measurement; False where the OS cannot (then peaks are lifetime peaks)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM, the peak resident set size
        return True
    except OSError:
        return False


def peak_rss():
    """Peak resident set size in bytes since the last reset (or since the process started)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import resource  # Unix only
    except ImportError:
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


# -- calls in daemon threads, under a deadline -------------------------------------

class Deadline:
    """The probe's time limit."""

    def __init__(self, timeout):
        self.timeout = timeout
        self.end = time.monotonic() + timeout

    def remaining(self, phase):
        left = self.end - time.monotonic()
        if left <= 0:
            raise TimeoutError(
                f"nogilkit.probe: not done within timeout={self.timeout:g} s "
                f"(in the {phase} phase); a call still running cannot be killed and "
                "is left in a daemon thread until it returns")
        return left

    check = remaining


class _Batch:
    """Daemon threads, thread i making ``shares[i]`` calls, started together."""

    def __init__(self, call, shares, deadline, phase):
        self.phase, self.deadline = phase, deadline
        self.cancelled = threading.Event()
        self.errors, self.results, self.ends = [], [], []
        self.start = None
        barrier = threading.Barrier(len(shares) + 1, action=self._started)
        self.threads = [threading.Thread(target=self._work, args=(call, k, barrier),
                                         name=f"nogilkit-probe-{phase}", daemon=True)
                        for k in shares]
        for thread in self.threads:
            thread.start()
        try:
            barrier.wait(deadline.remaining(phase))
        except (threading.BrokenBarrierError, TimeoutError):
            self.cancelled.set()
            barrier.abort()
            deadline.check(phase)
            raise

    def _started(self):
        self.start = time.perf_counter()

    def _work(self, call, calls, barrier):
        try:
            barrier.wait()
            result = None
            for _ in range(calls):
                if self.cancelled.is_set():
                    return
                result = call()
            self.results.append(result)
        except threading.BrokenBarrierError:
            return
        except BaseException as exc:  # re-raised by wait(), in the caller's thread
            self.errors.append(exc)
        finally:
            self.ends.append(time.perf_counter())

    def running(self):
        return any(thread.is_alive() for thread in self.threads)

    def wait(self):
        """Seconds from the start to the last call's return, and one result."""
        try:
            for thread in self.threads:
                thread.join(self.deadline.remaining(self.phase))
                if thread.is_alive():
                    self.deadline.check(self.phase)
        except TimeoutError:
            self.cancelled.set()
            raise
        if self.errors:
            exc = self.errors[0]
            add_note(exc, f"raised by fn in the {self.phase} phase of nogilkit.probe")
            raise exc
        return max(self.ends) - self.start, self.results[0]


def run_calls(call, shares, deadline, phase):
    """(seconds from the start to the last return, one result) of ``shares[i]``
    calls in thread i, all started together."""
    return _Batch(call, shares, deadline, phase).wait()


# -- the GIL and pickling ----------------------------------------------------------


def run_queue_clock():
    """A function returning the seconds the calling thread has so far spent
    runnable but not running (waiting for a CPU), or None where the OS does
    not say (Linux does: the second field of /proc/self/task/<tid>/schedstat)."""
    try:
        fd = os.open(f"/proc/self/task/{threading.get_native_id()}/schedstat", os.O_RDONLY)
    except (OSError, AttributeError):
        return None

    def waited():
        return int(os.pread(fd, 128, 0).split()[1]) * 1e-9

    try:
        waited()
    except (OSError, ValueError, IndexError):
        os.close(fd)
        return None
    waited.close = lambda: os.close(fd)
    return waited


def gil_held_fraction(call, call_time, min_time, deadline):
    """(fraction of wall time the GIL was held while calls ran in one thread,
    the last call's result, whether scheduling delay was left out).

    A monitor (the calling thread) sleeps ``INTERVAL`` (1 ms) with
    ``time.sleep``, which releases the GIL, and then needs the GIL back to
    run Python code. If the call has released the GIL, the monitor runs at
    once (late by the OS's timer slack, tens of microseconds). If it holds
    it, the monitor waits for the interpreter's switch interval, set to
    ``SWITCH_INTERVAL`` (5 ms) meanwhile, after which CPython forces a
    pure-Python holder to hand the GIL over; native code that holds the GIL
    makes it wait until the native call returns. A monitor cycle (sleep plus
    wait) that ends more than ``LATE`` (2 ms) after its sleep was due is
    counted as GIL held for its whole length. Each change between holding
    and releasing is placed within about one cycle (about 6 ms). A small
    switch interval such as 0.1 ms would not work: the monitor would then
    get the GIL from a pure-Python holder as quickly as from a releasing one.

    On a busy machine a cycle is also late when the OS gives the monitor no
    CPU. On Linux the kernel counts each thread's time in the run queue
    (runnable, not running); a thread waiting for the GIL sleeps on a
    condition and is not in the run queue. That time is taken out of each
    cycle, so a starved CPU does not read as GIL time. Elsewhere it cannot
    be, and the figure includes scheduling delay.
    """
    calls = max(1, math.ceil(max(min_time, GIL_PHASE_MIN_TIME) / call_time))
    held = total = 0.0
    waited = run_queue_clock()
    old = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        batch = _Batch(call, [calls], deadline, "gil")
        last, queued = time.perf_counter(), waited() if waited else 0.0
        while batch.running():
            deadline.check("gil")
            time.sleep(INTERVAL)
            now, in_queue = time.perf_counter(), waited() if waited else 0.0
            # The part of the cycle the OS did not withhold: sleep, GIL wait, slack.
            cycle = max(0.0, (now - last) - (in_queue - queued))
            last, queued = now, in_queue
            total += cycle
            if cycle > INTERVAL + LATE:
                held += cycle
        result = batch.wait()[1]
    finally:
        sys.setswitchinterval(old)
        if waited:
            waited.close()
    return (min(1.0, held / total) if total else 0.0), result, waited is not None


def pickle_cost(fn, args, kwargs, result):
    """(seconds, bytes, None) of a pickle round trip, or (None, None, why)."""
    def round_trip():
        size = 0
        for obj in ((fn, args, kwargs), result):
            data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.loads(data)
            size += len(data)
        return size

    try:
        size = round_trip()
    except Exception as exc:
        return None, None, describe_exception(exc)
    runs, start = 0, time.perf_counter()
    while True:
        round_trip()
        runs += 1
        elapsed = time.perf_counter() - start
        if elapsed >= 0.01 or runs >= 1000:
            return elapsed / runs, size, None
