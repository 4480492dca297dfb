"""Dimensionless figures that survive a noisy shared machine: time ratios, each
a median of ratios of times measured back to back in the same process.

Every figure is a ratio of times, lower is better, which is asv's direction
(a speedup, higher is better, showed on asv's Regressions page as a
regression when it rose): ``track_time_ratio_2_threads`` is T(2 threads) /
T(1 thread), about 0.5 when the kernel scales on free cores. The multi-core
ratios need free cores: ``Scaling.setup`` measures the contention control
first and skips them (asv records no value) when the machine is busy, so
the history holds no scaling figure measured while other work held a core.
The control is recorded on its own, every time.
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


def paired_ratio(measured, reference_call, repeats=15):
    """Median over repeats of time(measured) / time(reference_call), the two
    timed back to back.

    The speed of a shared machine drifts over a fraction of a second; timing
    the pair together cancels the drift that two separate medians would keep.
    """
    measured(), reference_call()  # warm-up: pool start, caches
    ratios = []
    for _ in range(repeats):
        start = time.perf_counter()
        measured()
        middle = time.perf_counter()
        reference_call()
        ratios.append((middle - start) / (time.perf_counter() - middle))
    return statistics.median(ratios)


# Large enough (about 40 ms on one core) that the figures measure scaling,
# not the time a sleeping core takes to wake.
WIDTH, HEIGHT = 800, 600


def kernel(threads):
    out = np.empty((HEIGHT, WIDTH), dtype=np.int32)
    return lambda: nogilkit.mandelbrot(WIDTH, HEIGHT, 256, threads=threads, out=out)


# A control ratio above this (a 2-thread speedup under 1.6x) means another
# process held a core: the multi-core ratios are not recorded.
CONTROL_MAX = 1 / 1.6


class Scaling:
    """The kernel on 2 threads and on every core, over 1 thread (free cores only)."""

    def setup(self):
        control = track_control_time_ratio_2_threads()
        if control > CONTROL_MAX:
            raise NotImplementedError(f"machine busy: the control's 2-thread time ratio was "
                                      f"{control:.2f} (free cores: about 0.5)")

    def track_time_ratio_2_threads(self):
        return paired_ratio(kernel(2), kernel(1))

    track_time_ratio_2_threads.unit = "T2/T1"

    def track_time_ratio_all_cores(self):
        return paired_ratio(kernel(CPUS), kernel(1))

    track_time_ratio_all_cores.unit = "Tall/T1"


def track_time_ratio_cython_to_python():
    """The nogil kernel's time over the pure-Python reference's, on one thread."""
    rows = range(0, HEIGHT, HEIGHT // 10)  # ten evenly spaced rows, scaled to the whole image

    def python():
        return [reference.mandelbrot_row(y, WIDTH, HEIGHT, 256, REGION) for y in rows]

    return paired_ratio(kernel(1), python, repeats=5) * len(rows) / HEIGHT


track_time_ratio_cython_to_python.unit = "Tcython/Tpython"


# The control: how much of two cores this run actually had. Hashing releases
# the GIL (CPython does for buffers over 2 KiB) and owes nothing to nogilkit,
# so its 2-thread time ratio is about 0.5 on two free cores at any commit and
# rises when something else takes a core; the gate does not judge the scaling
# figures of a run whose control rose.
_BLOCKS = [bytes(range(256)) * 4096] * 32  # 32 MiB in 1 MiB blocks


def hashing(threads, pool):
    share = len(_BLOCKS) // threads
    parts = [_BLOCKS[i * share:(i + 1) * share] for i in range(threads)]
    return lambda: list(pool.map(lambda part: [hashlib.sha256(b).digest() for b in part], parts))


def track_control_time_ratio_2_threads():
    with ThreadPoolExecutor(2) as pool:
        return paired_ratio(hashing(2, pool), hashing(1, pool))


track_control_time_ratio_2_threads.unit = "T2/T1"
