"""The stream family: kernels bound by memory bandwidth.

``triad`` (STREAM's a = b + scalar * c) and ``total`` (a sum, the same bit
for bit for any number of threads), their pure-Python definitions, NumPy
twins and the workload ``total``: moving data costs more than computing.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numpy.typing import ArrayLike

from .. import _validation
from .._ext.stream import SUM_BLOCK_SIZE, TotalJob, TriadJob
from .._workload import CheckFailed, Problem, Workload, even_ranges
from ._family import Benchmark, Family
from ._pool import resolve_threads, run_job

__all__ = ["total", "triad"]

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


def triad(a: np.ndarray, b: ArrayLike, c: ArrayLike, scalar: float, *,
          threads: int | None = None) -> np.ndarray:
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
        Threads (None: ``nogilkit.default_threads()``). Each element is computed the
        same way by any thread, so the result never depends on ``threads``.

    Returns
    -------
    numpy.ndarray
        ``a``. Bit for bit ``b + scalar * c`` as NumPy computes it (no fused
        multiply-add). It moves 24 bytes per element (STREAM's count).

    Examples
    --------
    >>> import numpy as np, nogilkit
    >>> a = np.zeros(3)
    >>> nogilkit.triad(a, np.ones(3), np.arange(3.0), 2.0).tolist()
    [1.0, 3.0, 5.0]
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
    run_job(TriadJob(a, b, c, scalar, TRIAD_CHUNK), threads)
    return a


def total(a: ArrayLike, *, threads: int | None = None) -> float:
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
        Threads (None: ``nogilkit.default_threads()``).

    Returns
    -------
    float
        0.0 for an empty array. It reads 8 bytes per element.

    Examples
    --------
    >>> import numpy as np, nogilkit
    >>> nogilkit.total(np.arange(10.0))
    45.0
    """
    a = _validation.real_array("a", a, ndim=1, finite=False)
    threads = resolve_threads(threads)
    sums = np.empty(-(-a.size // SUM_BLOCK_SIZE))
    job = TotalJob(a, sums, TOTAL_BLOCKS_PER_CHUNK)
    run_job(job, threads)
    return job.result()


# -- the definitions, in pure Python -----------------------------------------------------


def reference_triad(a, b, c, scalar):
    """Pure-Python nogilkit.triad: ``a[i] = b[i] + scalar * c[i]`` in place; returns a."""
    for i, (x, y) in enumerate(zip(b.tolist(), c.tolist())):
        a[i] = x + scalar * y
    return a


def _pairwise(values):
    if len(values) == 1:
        return values[0]
    half = len(values) // 2
    return _pairwise(values[:half]) + _pairwise(values[half:])


def reference_total(a):
    """Pure-Python nogilkit.total: the same float, bit for bit.

    Blocks of SUM_BLOCK_SIZE values; in a block, value i goes to running sum
    i % 8 and the 8 sums combine as ((s0+s1)+(s2+s3))+((s4+s5)+(s6+s7));
    the block sums combine pairwise.
    """
    values = np.asarray(a, dtype=np.float64).tolist()
    if not values:
        return 0.0
    block_sums = []
    for start in range(0, len(values), SUM_BLOCK_SIZE):
        s = [0.0] * 8
        for i, x in enumerate(values[start:start + SUM_BLOCK_SIZE]):
            s[i % 8] += x
        block_sums.append(((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])))
    return _pairwise(block_sums)


# -- the NumPy twin ----------------------------------------------------------------------


def numpy_triad(a, b, c, scalar):
    """NumPy nogilkit.triad in two in-place passes (no temporary): a = scalar*c; a += b."""
    np.multiply(c, scalar, out=a)
    np.add(a, b, out=a)
    return a


# -- the workload ------------------------------------------------------------------------


class TotalWorkload(Workload):
    """Workload ``total``: the sum of a large array, bound by memory bandwidth.

    Chunks are slices of the array; almost no arithmetic per byte, so the cost
    of moving the data (pickling slices to processes, or sharing it once) shows.
    Sizes (float64 values): tiny 10,000; small 2,000,000; medium 20,000,000;
    large 50,000,000. Checked against math.fsum with a rounding-error bound.
    """

    name = "total"
    implementations = ("python", "numpy", "cython", "cython-baseline")
    vector_kernel = "total"
    summary = "sum of a large array: memory-bound, so moving data costs more than computing"
    sizes = {
        "tiny": {"n": 10_000},
        "small": {"n": 2_000_000},
        "medium": {"n": 20_000_000},
        "large": {"n": 50_000_000},
    }

    def prepare(self, size):
        n = self.sizes[size]["n"]
        values = np.random.default_rng(7).normal(size=n)
        exact = math.fsum(values.tolist())
        bound = 4 * n * np.finfo(float).eps * float(np.abs(values).sum())
        return Problem(self.name, size, {"n": n}, arrays={"values": values},
                       expected=(exact, bound), description=f"{n:,} float64 values")

    def split(self, problem, n_chunks):
        return even_ranges(problem.params["n"], n_chunks)

    def run_chunk(self, params, arrays, spec, implementation):
        start, stop = spec
        part = arrays["values"][start:stop]
        if implementation == "python":
            return reference_total(part)
        if implementation == "numpy":
            return float(np.sum(part))
        if implementation == "cython":
            return total(part, threads=1)
        raise ValueError(f"unknown implementation {implementation!r}")

    def combine(self, problem, specs, partials):
        result = 0.0
        for partial in partials:  # in chunk order
            result += partial
        return result

    def check(self, problem, result):
        exact, bound = problem.expected
        if not abs(result - exact) <= bound:
            raise CheckFailed(f"total {result!r} is {abs(result - exact):.3g} from the exact "
                              f"sum {exact!r} (allowed {bound:.3g})")


def _triad(threads):
    rng = np.random.default_rng(2)
    a, b, c = np.empty(4_000_000), rng.normal(size=4_000_000), rng.normal(size=4_000_000)
    return functools.partial(triad, a, b, c, 3.0, threads=threads)


def _total(threads):
    values = np.random.default_rng(2).normal(size=4_000_000)
    return functools.partial(total, values, threads=threads)


FAMILY = Family(
    name="stream",
    kernels=(triad, total),
    workload=TotalWorkload(),
    references={"triad": reference_triad, "total": reference_total},
    numpy={"triad": numpy_triad},
    benchmarks=(Benchmark("triad", "Stream", _triad), Benchmark("total", "Stream", _total)),
)
