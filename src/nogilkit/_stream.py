"""nogilkit.triad and nogilkit.total: kernels bound by memory bandwidth."""

import numpy as np

from . import _validation
from ._ext.stream import SUM_BLOCK_SIZE, TotalJob, TriadJob
from ._parallel import resolve_threads, run_job

# Elements per claimed chunk: large enough that claiming costs nothing,
# small enough (512 KiB per array) that threads balance.
TRIAD_CHUNK = 65536
TOTAL_BLOCKS_PER_CHUNK = 16


def _same_or_disjoint(name, array, other_name, other):
    """Elementwise in-place is safe when the arrays are the same or never overlap."""
    same = (
        array.__array_interface__["data"][0] == other.__array_interface__["data"][0]
        and array.shape == other.shape
    )
    if not same and np.shares_memory(array, other):
        raise ValueError(f"{name} must be {other_name} itself or not overlap it")


def triad(a, b, c, scalar, *, threads=None):
    """The STREAM triad, in place: ``a[:] = b + scalar * c``.

    Parameters
    ----------
    a : numpy.ndarray
        Output: 1-D, float64, C-contiguous, writeable. It may be ``b`` or
        ``c`` itself but must not partly overlap them.
    b, c : numpy.ndarray
        1-D float64 C-contiguous arrays of a's length. Other arrays are
        rejected, not copied: a copy would add the traffic being measured.
    scalar : float
        Finite.
    threads : int or None
        Threads (None: every available CPU). Each element is computed the
        same way by any thread, so the result never depends on ``threads``.

    Returns
    -------
    numpy.ndarray
        ``a``. Bit for bit ``b + scalar * c`` as NumPy computes it (no fused
        multiply-add). It moves 24 bytes per element (STREAM's count).
    """
    a = _validation.contiguous_float64("a", a, writeable=True)
    b = _validation.contiguous_float64("b", b)
    c = _validation.contiguous_float64("c", c)
    if not (a.shape == b.shape == c.shape):
        raise ValueError(f"a, b and c must have the same length, got {a.size}, {b.size}, {c.size}")
    _same_or_disjoint("a", a, "b", b)
    _same_or_disjoint("a", a, "c", c)
    scalar = _validation.finite_float("scalar", scalar)
    threads = resolve_threads(threads)
    run_job(TriadJob(a, b, c, scalar, TRIAD_CHUNK).work, threads)
    return a


def total(a, *, threads=None):
    """Sum of a float64 array, the same bit for bit for any number of threads.

    The values are summed in fixed blocks of 4096, each with 8 interleaved
    accumulators, and the block sums are combined pairwise: the order never
    depends on ``threads``, and the rounding error grows like that of NumPy's
    pairwise sum (not like a naive running sum). ``nogilkit.reference.total``
    follows the same order.

    Parameters
    ----------
    a : array_like, 1-D
        Real numbers; converted to a C-contiguous float64 array (copied only
        if it is not one already). NaN and infinities propagate as in any sum.
    threads : int or None
        Threads (None: every available CPU).

    Returns
    -------
    float
        0.0 for an empty array. It reads 8 bytes per element.
    """
    a = np.asarray(a)
    if a.dtype.kind not in "iuf":
        raise TypeError(f"a must be an array of real numbers, got dtype {a.dtype}")
    if a.ndim != 1:
        raise ValueError(f"a must be 1-dimensional, got {a.ndim} dimensions")
    a = np.ascontiguousarray(a, dtype=np.float64)
    threads = resolve_threads(threads)
    sums = np.empty(-(-a.size // SUM_BLOCK_SIZE))
    job = TotalJob(a, sums, TOTAL_BLOCKS_PER_CHUNK)
    run_job(job.work, threads)
    return job.result()
