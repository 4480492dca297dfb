"""Workload ``mandelbrot``: escape counts, rows of very uneven cost.

Chunks are interleaved sets of rows. Sizes (width x height, max_iter): tiny 48x32/64,
small 480x360/256, medium 1000x800/256, large 2000x2000/256. The expected
image is the pure-Python reference for tiny and small, and the NumPy version
(equal to it bit for bit, see tests/test_mandelbrot.py) above that.
"""

import numpy as np

from .._mandelbrot import DEFAULT_REGION
from .base import CheckFailed, Problem, Workload


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
        # Interleaved rows (chunk k takes rows k, k + n, k + 2n, ...): rows near
        # the set cost far more than rows far from it, and interleaving gives
        # every chunk the same mix, so no worker is left with the slow ones.
        n = max(1, min(n_chunks, problem.params["height"]))
        return [(k, n) for k in range(n)]

    def run_chunk(self, params, arrays, spec, implementation):
        first, stride = spec
        width, height, max_iter, region = (params[k] for k in ("width", "height", "max_iter", "region"))
        rows = range(first, height, stride)
        if implementation == "python":
            from ..reference import mandelbrot_row

            return np.array([mandelbrot_row(y, width, height, max_iter, region) for y in rows],
                            dtype=np.int32).reshape(-1, width)
        if implementation == "numpy":
            from ..vectorized import mandelbrot_rows

            return mandelbrot_rows(width, height, max_iter, region, np.arange(first, height, stride))
        out = np.empty((len(rows), width), dtype=np.int32)
        if implementation == "cython":
            from .._ext.mandelbrot import mandelbrot_strided
        elif implementation == "numba":
            from ._numba import mandelbrot_strided
        else:
            raise ValueError(f"unknown implementation {implementation!r}")
        mandelbrot_strided(out, height, first, stride, *region, max_iter)
        return out

    def combine(self, problem, specs, partials):
        p = problem.params
        image = np.empty((p["height"], p["width"]), dtype=np.int32)
        for (first, stride), rows in zip(specs, partials):
            image[first::stride] = rows
        return image

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
