"""The contention control: how many cores the machine actually gave us.

A speedup measured while other processes hold the cores says more about
them than about the work. The control runs GIL-free work (SHA-256 of a 1 MiB
buffer, which CPython hashes with the GIL released) in ``n`` threads for a
short while, interleaved with the measurements, and reads how much CPU time
the threads got per second of wall time: ``n`` on a machine with ``n`` free
cores, less when other work competes (two busy processes on two cores leave
about 1.0 of 2). CPU time, not a ratio of wall times, so one sample takes
50 ms and a stalled sample cannot pass for a fast one.

Scaling conclusions are only drawn when the control saw at least
``SUFFICIENT`` of the requested cores; otherwise they are inconclusive.
"""

import hashlib
import os
import statistics
import threading
import time

from ._runtime import available_cpus

SAMPLE_SECONDS = 0.05
SUFFICIENT = 0.85  # of the requested cores, for a scaling conclusion to count
_BLOCK = bytes(1 << 20)  # hashed with the GIL released (blocks over 2 KiB are)


def load_average():
    """The 1-minute load average, or None where the OS has none."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def cores_available(threads, seconds=SAMPLE_SECONDS):
    """CPU seconds per wall second that ``threads`` GIL-free threads got just now."""
    cpu = [0.0] * threads
    barrier = threading.Barrier(threads + 1)

    def spin(i):
        barrier.wait()
        start, end = time.thread_time(), time.perf_counter() + seconds
        while time.perf_counter() < end:
            hashlib.sha256(_BLOCK)
        cpu[i] = time.thread_time() - start

    workers = [threading.Thread(target=spin, args=(i,), name="nogilkit-control", daemon=True)
               for i in range(threads)]
    for worker in workers:
        worker.start()
    barrier.wait()
    start = time.perf_counter()
    for worker in workers:
        worker.join()
    return min(float(threads), sum(cpu) / (time.perf_counter() - start))


class Control:
    """Samples of the cores available to ``workers`` threads (at most the CPUs
    this process may use), taken whenever ``sample()`` is called, and the load
    average at the start and at ``summary()``."""

    def __init__(self, workers):
        self.cores = max(1, min(int(workers), available_cpus()))
        self.samples = []
        self.load_before = load_average()

    def sample(self):
        self.samples.append(round(cores_available(self.cores), 3))

    @property
    def available(self):
        """The median sample (None before any)."""
        return statistics.median(self.samples) if self.samples else None

    def summary(self):
        """The figures, as saved in a report's provenance (see ``describe``)."""
        available = self.available
        return {"cores_requested": self.cores, "cores_available": available,
                "sufficient": available is None or available >= SUFFICIENT * self.cores,
                "samples": list(self.samples), "load_before": self.load_before,
                "load_after": load_average()}


def describe(summary):
    """'cores available: 1.2 of 2 (load average 3.1 -> 3.4)' from a Control's
    summary."""
    if not summary or summary.get("cores_available") is None:
        return "cores available: not measured"
    loads = (f"load average {summary['load_before']} -> {summary['load_after']}"
             if summary.get("load_before") is not None else "no load average here")
    return (f"cores available: {summary['cores_available']:.1f} of "
            f"{summary['cores_requested']} ({loads})")


def busy(summary):
    """Whether a Control's summary says the machine gave too few cores for
    scaling to be judged (False when there was no control)."""
    return bool(summary) and not summary.get("sufficient", True)


__all__ = ["Control", "SUFFICIENT", "busy", "cores_available", "describe", "load_average"]
