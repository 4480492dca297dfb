"""Workload ``mandelbrot``: escape counts, rows of very uneven cost.

Chunks are bands of rows. Sizes (width x height, max_iter): tiny 48x32/64,
small 480x360/256, medium 1000x800/256, large 2000x2000/256. The expected
image is the pure-Python reference for tiny and small, and the NumPy version
(equal to it bit for bit, see tests/test_mandelbrot.py) above that.
"""

import numpy as np

from .._mandelbrot import DEFAULT_REGION
from .base import Problem, Workload, CheckFailed, even_ranges


class Mandelbrot(Workload):
    name = "mandelbrot"
    summary = "Mandelbrot escape counts: independent rows of very uneven cost"
    sizes = {
        "tiny": {"width": 48, "height": 32, "max_iter": 64},
        "small": {"width": 480, "height": 360, "max_iter": 256},
        "medium": {"width": 1000, "height": 800, "max_iter": 256},
        "large": {"width": 2000, "height": 2000, "max_iter": 256},
    }
    implementations = ("python", "numpy", "cython", "numba")

    def prepare(self, size):
        from .. import reference, vectorized

        params = dict(self.sizes[size], region=DEFAULT_REGION)
        exact = reference if size in ("tiny", "small") else vectorized
        expected = exact.mandelbrot(params["width"], params["height"], params["max_iter"],
                                    region=DEFAULT_REGION)
        return Problem(self.name, size, params, expected=expected,
                       description=f"{params['width']}x{params['height']}, max_iter {params['max_iter']}")

    def split(self, problem, n_chunks):
        return even_ranges(problem.params["height"], n_chunks)

    def run_chunk(self, params, arrays, spec, implementation):
        start, stop = spec
        width, height, max_iter, region = (params[k] for k in ("width", "height", "max_iter", "region"))
        if implementation == "python":
            from ..reference import mandelbrot_row

            return np.array([mandelbrot_row(y, width, height, max_iter, region)
                             for y in range(start, stop)], dtype=np.int32).reshape(-1, width)
        if implementation == "numpy":
            from ..vectorized import mandelbrot_band

            return mandelbrot_band(width, height, max_iter, region, start, stop)
        if implementation == "cython":
            from .._ext.mandelbrot import mandelbrot_band

            out = np.empty((stop - start, width), dtype=np.int32)
            mandelbrot_band(out, height, start, *region, max_iter)
            return out
        if implementation == "numba":
            from ._numba import mandelbrot_band

            out = np.empty((stop - start, width), dtype=np.int32)
            mandelbrot_band(out, height, start, *region, max_iter)
            return out
        raise ValueError(f"unknown implementation {implementation!r}")

    def combine(self, problem, specs, partials):
        return np.concatenate(partials, axis=0)

    def check(self, problem, result):
        if result.shape != problem.expected.shape:
            raise CheckFailed(f"image has shape {result.shape}, expected {problem.expected.shape}")
        wrong = int(np.count_nonzero(result != problem.expected))
        if wrong:
            raise CheckFailed(f"{wrong} of {result.size} pixels differ from the reference")

    def openmp(self, problem, workers):
        from .._ext.mandelbrot import mandelbrot_openmp

        p = problem.params
        out = np.empty((p["height"], p["width"]), dtype=np.int32)
        mandelbrot_openmp(out, *p["region"], p["max_iter"], workers)
        return out

    def numba_parallel(self, problem, workers):
        from ._numba import mandelbrot_parallel, numba_threads

        p = problem.params
        out = np.empty((p["height"], p["width"]), dtype=np.int32)
        with numba_threads(workers):
            mandelbrot_parallel(out, *p["region"], p["max_iter"])
        return out
