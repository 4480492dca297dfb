"""The spectral-norm family: the Benchmarks Game's spectral norm, threads meeting
between products.

``spectral_norm`` (the nogil kernel), its pure-Python definition, its NumPy
twin and the workload ``spectral_norm``: phases separated by barriers.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .. import _validation
from .._ext.spectral_norm import PowerJob, dot, product_band
from .._workload import CheckFailed, Problem, Workload, even_ranges
from ._family import Benchmark, Family
from ._pool import resolve_threads, run_job

__all__ = ["spectral_norm"]

# A[i, j]'s denominator is computed in int64: (i+j)(i+j+1) must not overflow.
MAX_N = 2**30
BANDS_PER_THREAD = 16


def check_spectral_norm_args(n, iterations):
    return (
        _validation.positive_int("n", n, maximum=MAX_N),
        _validation.positive_int("iterations", iterations),
    )


def spectral_norm(n: int, iterations: int = 10, *, threads: int | None = None) -> float:
    """Spectral norm of the Benchmarks Game's infinite matrix A, truncated to n x n.

    ``A[i, j] = 1 / ((i+j)(i+j+1)/2 + i + 1)`` (0-based). From ``u = ones(n)``,
    repeat ``iterations`` times ``v = A^T A u; u = A^T A v``, and return
    ``sqrt(u.v / v.v)``. Published values: n=100 gives 1.274219991 and
    n=5500 gives 1.274224153 (9 decimals).

    Parameters
    ----------
    n : int
        Matrix size, 1 <= n <= 2**30. The work is 4 * iterations * n**2 terms.
    iterations : int
        Power iterations, >= 1.
    threads : int or None
        Threads for each matrix-vector product (None: ``nogilkit.default_threads()``).
        Rows are split into bands claimed dynamically; the threads meet at a
        barrier (the end of the product, in C, without the GIL) before the
        next product starts.

    Returns
    -------
    float
        The same value, bit for bit, for any ``threads``, and equal to
        ``nogilkit.reference.spectral_norm``: every sum runs in index order.

    Examples
    --------
    >>> import nogilkit
    >>> f"{nogilkit.spectral_norm(100):.9f}"  # the Benchmarks Game's published value
    '1.274219991'
    """
    n, iterations = check_spectral_norm_args(n, iterations)
    threads = resolve_threads(threads)
    band_rows = max(1, n // (BANDS_PER_THREAD * threads))
    u = np.ones(n)
    v = np.empty(n)
    run_job(PowerJob(u, v, np.empty(n), iterations, band_rows), threads)
    return math.sqrt(dot(u, v) / dot(v, v))


# -- the definition, in pure Python ------------------------------------------------------


def _a_denominator(i, j):
    """1 / A[i, j] of the Benchmarks Game's matrix (an exact integer)."""
    return (i + j) * (i + j + 1) // 2 + i + 1


def product_rows(u, start, stop, transpose):
    """Rows [start, stop) of A @ u (or A.T @ u) as a list, each sum in index order."""
    n = len(u)
    out = []
    for i in range(start, stop):
        s = 0.0
        for j in range(n):
            s += u[j] / (_a_denominator(j, i) if transpose else _a_denominator(i, j))
        out.append(s)
    return out


def _dot(a, b):
    # A running sum in index order: sum() compensates its rounding since 3.12.
    s = 0.0
    for x, y in zip(a, b):
        s += x * y
    return s


def reference_spectral_norm(n, iterations=10):
    """Pure-Python nogilkit.spectral_norm: the same float, bit for bit."""
    n, iterations = check_spectral_norm_args(n, iterations)
    u = [1.0] * n
    for _ in range(iterations):
        v = product_rows(product_rows(u, 0, n, False), 0, n, True)
        u = product_rows(product_rows(v, 0, n, False), 0, n, True)
    return math.sqrt(_dot(u, v) / _dot(v, v))


# -- the NumPy twin ----------------------------------------------------------------------


def numpy_spectral_norm(n, iterations=10):
    """NumPy nogilkit.spectral_norm: A built once, products by BLAS matrix-vector calls.

    Equal to the kernel within rounding (BLAS sums in its own order), not bit
    for bit. Holds A in memory: 8 * n**2 bytes.
    """
    n, iterations = check_spectral_norm_args(n, iterations)
    i = np.arange(n, dtype=np.int64)[:, None]
    j = np.arange(n, dtype=np.int64)[None, :]
    a = 1.0 / ((i + j) * (i + j + 1) // 2 + i + 1)
    u = np.ones(n)
    for _ in range(iterations):
        v = a.T @ (a @ u)
        u = a.T @ (a @ v)
    return float(np.sqrt(u @ v / (v @ v)))


# -- the workload ------------------------------------------------------------------------


class SpectralNormWorkload(Workload):
    """Workload ``spectral_norm``: phases separated by barriers.

    Each of the 4 x iterations matrix-vector products is one round of chunks
    (bands of output rows); every chunk of a round must finish before the next
    round starts, and the new vector is shipped to the workers each round.
    Sizes (n, iterations): tiny 40/2, small 400/10, medium 1000/10, large
    2000/10. Expected value: the pure-Python reference (tiny, small), else the
    kernel on one thread (equal to it bit for bit, tests/test_spectral_norm.py).
    """

    name = "spectral_norm"
    summary = "spectral norm: 40 rounds of row-parallel products, a barrier after each"
    implementations = ("python", "numpy", "cython", "cython-baseline")
    vector_kernel = "spectral_norm"
    sizes = {
        "tiny": {"n": 40, "iterations": 2},
        "small": {"n": 400, "iterations": 10},
        "medium": {"n": 1000, "iterations": 10},
        "large": {"n": 2000, "iterations": 10},
    }

    def prepare(self, size):
        params = dict(self.sizes[size])
        if size in ("tiny", "small"):
            expected = reference_spectral_norm(params["n"], params["iterations"])
        else:
            expected = spectral_norm(params["n"], params["iterations"], threads=1)
        return Problem(self.name, size, params, expected=expected,
                       description=f"n={params['n']}, {params['iterations']} iterations")

    def execute(self, problem, n_chunks, run_round):
        n = problem.params["n"]
        ranges = even_ranges(n, n_chunks)

        def product(vector, transpose):
            specs = [(start, stop, transpose) for start, stop in ranges]
            return np.concatenate(run_round(specs, {"u": vector}))

        u = np.ones(n)
        for _ in range(problem.params["iterations"]):
            v = product(product(u, False), True)
            u = product(product(v, False), True)
        return math.sqrt(float(np.dot(u, v)) / float(np.dot(v, v)))

    def run_chunk(self, params, arrays, spec, implementation):
        start, stop, transpose = spec
        u = arrays["u"]
        if implementation == "python":
            return np.array(product_rows(u.tolist(), start, stop, transpose))
        if implementation == "numpy":
            rows = np.arange(start, stop, dtype=np.int64)[:, None]
            cols = np.arange(len(u), dtype=np.int64)[None, :]
            i, j = (cols, rows) if transpose else (rows, cols)
            return (u[None, :] / ((i + j) * (i + j + 1) // 2 + i + 1)).sum(axis=1)
        if implementation == "cython":
            out = np.empty(stop - start)
            product_band(u, out, start, transpose)
            return out
        raise ValueError(f"unknown implementation {implementation!r}")

    def check(self, problem, result):
        # Rows are exact; the final dot products are summed by NumPy, so allow rounding.
        if not math.isclose(result, problem.expected, rel_tol=1e-12):
            raise CheckFailed(f"spectral norm {result!r}, expected {problem.expected!r}")


FAMILY = Family(
    name="spectral_norm",
    kernels=(spectral_norm,),
    workload=SpectralNormWorkload(),
    references={"spectral_norm": reference_spectral_norm, "product_rows": product_rows},
    numpy={"spectral_norm": numpy_spectral_norm},
    benchmarks=(Benchmark("spectral_norm", "SpectralNorm",
                          lambda threads: functools.partial(spectral_norm, 400, 10,
                                                            threads=threads)),),
)
