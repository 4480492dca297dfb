"""Does a callable release the GIL while it runs? A test helper for every kernel.

Method: raise the interpreter's switch interval far above the call's duration,
so a thread that holds the GIL is never forced to give it up. Run the call in
a worker thread and, in the calling thread, count iterations of a pure-Python
loop until the worker finishes. If the call holds the GIL, the loop cannot run
until it returns and counts (almost) nothing; if it releases the GIL, the loop
runs on the other core. The count is compared with what the loop achieves
alone in the same time, which makes the test independent of the machine's
speed; a loaded machine still gives the loop a share of a core.
"""

import sys
import threading
import time


BLOCK = 200  # loop iterations between voluntary GIL releases


def _block():
    """A short stretch of pure-Python work, then a voluntary GIL release.

    The release (time.sleep(0)) lets a worker that finished its nogil section
    take the GIL back to return; without it the long switch interval would
    keep the worker waiting.
    """
    total = 0
    for i in range(BLOCK):
        total += i
    time.sleep(0)
    return total


def _loop_rate(duration=0.05):
    """Blocks per second of the counting loop, running alone."""
    count = 0
    start = time.perf_counter()
    while time.perf_counter() - start < duration:
        _block()
        count += 1
    return count / (time.perf_counter() - start)


def progress_during(fn):
    """Fraction of its solo speed that a pure-Python loop keeps while fn() runs."""
    rate = _loop_rate()
    done = threading.Event()
    elapsed = []

    def worker():
        start = time.perf_counter()
        try:
            fn()
        finally:
            elapsed.append(time.perf_counter() - start)
            done.set()

    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(100.0)
    try:
        thread = threading.Thread(target=worker)
        count = 0
        thread.start()
        while not done.is_set():
            _block()
            count += 1
        thread.join()
    finally:
        sys.setswitchinterval(old_interval)
    return count / (rate * elapsed[0])


def releases_gil(fn, attempts=3, threshold=0.25):
    """True if, in any of ``attempts`` tries, fn() held the GIL for less than
    ``threshold`` of its time, as nogilkit's GIL monitor reads it.

    Not progress_during: a loop's progress is a wall-clock rate, which a
    busy machine lowers as much as a held GIL does (a kernel on 2 threads,
    the loop and other jobs on 2 cores failed it). The monitor takes each
    cycle's wait in the run queue out (Linux schedstat), so load does not
    read as GIL time; the same figure the regression gate judges
    (benchmarks/bench_gil.py).
    """
    from nogilkit._measure import Deadline, gil_held_fraction

    start = time.perf_counter()
    fn()
    seconds = max(time.perf_counter() - start, 1e-6)
    return any(gil_held_fraction(fn, seconds, 0.2, Deadline(120))[0] < threshold
               for _ in range(attempts))
