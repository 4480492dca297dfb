"""Dimensionless figures that survive a noisy shared machine: speedups and
parallel efficiency, each a ratio of medians measured in the same process.
These are what the regression gate watches.
"""

import hashlib
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import nogilkit
from nogilkit import reference

from .common import CPUS

REGION = (-2.0, 0.5, -1.25, 1.25)


def paired_ratio(slow, fast, repeats=15):
    """Median over repeats of time(slow) / time(fast), the two timed back to back.

    The speed of a shared machine drifts over a fraction of a second; timing
    the pair together cancels the drift that two separate medians would keep.
    """
    slow(), fast()  # warm-up: pool start, caches
    ratios = []
    for _ in range(repeats):
        start = time.perf_counter()
        slow()
        middle = time.perf_counter()
        fast()
        ratios.append((middle - start) / (time.perf_counter() - middle))
    return statistics.median(ratios)


# Large enough (about 40 ms on one core) that the figures measure scaling,
# not the time a sleeping core takes to wake.
WIDTH, HEIGHT = 800, 600


def kernel(threads):
    out = np.empty((HEIGHT, WIDTH), dtype=np.int32)
    return lambda: nogilkit.mandelbrot(WIDTH, HEIGHT, 256, threads=threads, out=out)


def track_speedup_2_threads():
    return paired_ratio(kernel(1), kernel(2))


track_speedup_2_threads.unit = "x"


def track_speedup_all_cores():
    return paired_ratio(kernel(1), kernel(CPUS))


track_speedup_all_cores.unit = "x"


def track_efficiency_all_cores():
    return paired_ratio(kernel(1), kernel(CPUS)) / CPUS


track_efficiency_all_cores.unit = "ratio"


def track_speedup_over_python():
    rows = range(0, HEIGHT, HEIGHT // 10)  # ten evenly spaced rows, scaled to the whole image

    def python():
        return [reference.mandelbrot_row(y, WIDTH, HEIGHT, 256, REGION) for y in rows]

    return paired_ratio(python, kernel(1), repeats=5) * HEIGHT / len(rows)


track_speedup_over_python.unit = "x"


# The control: how much of two cores this run actually had. Hashing releases
# the GIL (CPython does for buffers over 2 KiB) and owes nothing to nogilkit,
# so it reads 2x on two free cores at any commit and sinks when something
# else takes a core; the gate does not judge the scaling figures of a run
# whose control sank.
_BLOCKS = [bytes(range(256)) * 4096] * 32  # 32 MiB in 1 MiB blocks


def hashing(threads, pool):
    share = len(_BLOCKS) // threads
    parts = [_BLOCKS[i * share:(i + 1) * share] for i in range(threads)]
    return lambda: list(pool.map(lambda part: [hashlib.sha256(b).digest() for b in part], parts))


def track_control_speedup_2_threads():
    with ThreadPoolExecutor(2) as pool:
        return paired_ratio(hashing(1, pool), hashing(2, pool))


track_control_speedup_2_threads.unit = "x"
