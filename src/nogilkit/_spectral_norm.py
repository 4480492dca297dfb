"""nogilkit.spectral_norm: the Benchmarks Game's spectral norm, threads meeting between products."""

import math

import numpy as np

from . import _validation
from ._ext.spectral_norm import ProductJob, dot
from ._parallel import resolve_threads, run_job

# A[i, j]'s denominator is computed in int64: (i+j)(i+j+1) must not overflow.
MAX_N = 2**30
BANDS_PER_THREAD = 16


def check_spectral_norm_args(n, iterations):
    return (
        _validation.positive_int("n", n, maximum=MAX_N),
        _validation.positive_int("iterations", iterations),
    )


def spectral_norm(n, iterations=10, *, threads=None):
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
        Threads for each matrix-vector product (None: every available CPU).
        Rows are split into bands claimed dynamically; the threads meet at a
        barrier (the end of the product) before the next product starts.

    Returns
    -------
    float
        The same value, bit for bit, for any ``threads``, and equal to
        ``nogilkit.reference.spectral_norm``: every sum runs in index order.
    """
    n, iterations = check_spectral_norm_args(n, iterations)
    threads = resolve_threads(threads)
    band_rows = max(1, n // (BANDS_PER_THREAD * threads))
    u = np.ones(n)
    v = np.empty(n)
    scratch = np.empty(n)

    def product(src, dst, transpose):
        run_job(ProductJob(src, dst, transpose, band_rows).work, threads)

    for _ in range(iterations):
        product(u, scratch, False)  # v = A^T (A u)
        product(scratch, v, True)
        product(v, scratch, False)  # u = A^T (A v)
        product(scratch, u, True)
    return math.sqrt(dot(u, v) / dot(v, v))
