"""Every vectorised kernel on every instruction-set path, one thread.

``time_kernel(kernel, path)`` over the kernels of ``nogilkit._simd.KERNELS``
and the paths of ``nogilkit._simd.PATHS``: what each path buys, kernel by
kernel, where bench_kernels times only the path chosen at import. The inputs
are bench_kernels' (each family's ``Benchmark``), so the auto path here is
bench_kernels' one-thread time. A path this CPU or the kernel lacks is skipped. Setup
checks that the path's result is the baseline path's bit for bit (the tests
check the baseline against the pure-Python reference), so a wrong answer is
never timed.
"""

import pickle
import time

from nogilkit import _simd
from nogilkit.kernels import FAMILIES

from .common import skip

BENCHMARKS = {b.name: b for family in FAMILIES for b in family.benchmarks if b.name in _simd.KERNELS}


def result_bytes(result):
    """The result's bits (floats, arrays, and the tuples and records holding them),
    copied: triad returns the array it overwrites."""
    return pickle.dumps(result)


class VectorPaths:
    params = [list(BENCHMARKS), list(_simd.PATHS)]
    param_names = ["kernel", "path"]
    timer = time.perf_counter

    def setup(self, kernel, path):
        if path not in _simd.supported():
            skip(f"this CPU has no {path}")
        with _simd.forced(path) as paths:
            if paths[kernel] != path:
                skip(f"{kernel} has no {path} path")
        benchmark = BENCHMARKS[kernel]
        self.call = benchmark.prepare(1 if benchmark.threaded else None)
        with _simd.forced("baseline"):
            expected = result_bytes(self.call())
        with _simd.forced(path):
            if result_bytes(self.call()) != expected:  # also the warm-up
                raise AssertionError(f"{kernel} on {path} differs from its baseline path")
        _simd.use(path)

    def teardown(self, kernel, path):
        _simd.use_default()

    def time_kernel(self, kernel, path):
        self.call()
