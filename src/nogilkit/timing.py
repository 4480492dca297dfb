"""Wall-clock measurement: warm up, repeat, report the median and the spread."""

import statistics
import time
from dataclasses import dataclass


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
