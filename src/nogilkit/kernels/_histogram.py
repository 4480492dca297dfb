"""The histogram family: counts of float64 values in uniform bins, as numpy.histogram.

``histogram`` (the nogil kernel), its pure-Python definition (NumPy's twin
is numpy.histogram itself) and the workload ``histogram``: a reduction,
private counts per chunk added at the end.
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.typing import ArrayLike

from .. import _validation
from .._ext.histogram import HistogramJob
from .._workload import CheckFailed, Problem, Workload, even_ranges
from ._family import Benchmark, Family
from ._pool import resolve_threads, run_job

__all__ = ["histogram"]

# Values per chunk that a thread claims (numpy.histogram's block size, 512 KiB
# of float64): large enough that the one atomic add per claim costs nothing,
# small enough that a thread slowed down by others leaves little to wait for.
CHUNK = 65536

# Each thread keeps a private intp count per bin; beyond this, counts alone
# would take 16 GiB per thread.
MAX_BINS = _validation.INT32_MAX


def uniform_edges(bins, range):
    """The ``bins + 1`` edges numpy.histogram uses for ``bins`` equal bins over ``range``.

    The steps are numpy's (``_get_outer_edges`` and ``_get_bin_edges``): an
    empty range is widened by 0.5 each side, the edges come from
    ``np.linspace`` in float64, and bins that linspace cannot make distinct
    are refused.
    """
    bins = _validation.positive_int("bins", bins, maximum=MAX_BINS)
    first, last = _validation.interval("range", range)
    if first == last:
        first, last = first - 0.5, last + 0.5
    # Near the float limit, linspace's bins * step can overflow, but only for
    # the last edge, which linspace then sets to ``last``: nothing to warn of.
    with np.errstate(over="ignore"):
        edges = np.linspace(first, last, bins + 1, endpoint=True, dtype=np.float64)
    if np.any(edges[:-1] >= edges[1:]):
        raise ValueError(
            f"bins={bins} is too many for range ({first!r}, {last!r}): "
            "float64 cannot represent that many distinct edges"
        )
    return edges


def check_histogram_args(data, bins, range):
    """The validated (data, edges) shared by every implementation."""
    data = _validation.real_array("data", data, ndim=1, convert=False, finite=False)
    return data, uniform_edges(bins, range)


def histogram(data: ArrayLike, bins: int, range: tuple[float, float], *,
              threads: int | None = None) -> np.ndarray:
    """Counts of ``data`` in ``bins`` equal bins over ``range``, with the GIL released.

    The result equals ``numpy.histogram(data, bins, range)[0]`` exactly, value
    for value and dtype included: bin ``i`` holds the values ``x`` with
    ``edges[i] <= x < edges[i+1]``, the last bin also holds ``x == range[1]``,
    and NaN, infinities and values outside ``range`` are not counted. The
    edges are numpy's (``numpy.histogram_bin_edges(data, bins, range)``).

    Parameters
    ----------
    data : array_like
        1-D float64 values in native byte order. Other dtypes are rejected
        with TypeError, not converted: numpy.histogram computes float32 data
        in float32, so a silent conversion would give other counts; convert
        explicitly (``data.astype(np.float64)``) where that is what you mean.
        A contiguous, aligned array is read in place; any other float64
        layout (a strided view, say) is first copied into a contiguous array.
    bins : int
        Number of equal-width bins, 1 <= bins <= 2**31 - 1.
    range : (float, float)
        The lower and upper edges ``(first, last)``: finite, ``first <= last``,
        with a finite width ``last - first``. They are converted to float
        (float64) first: the counts equal numpy's for Python floats, numpy
        float64 and ints up to 2**53 in magnitude, whereas numpy computes the edges of a numpy
        float32 range in float32. ``first == last`` is widened to
        ``(first - 0.5, last + 0.5)`` as numpy does. Unlike numpy.histogram,
        ``range`` has no default.
    threads : int or None
        Threads to use: None for ``nogilkit.default_threads()`` (the CPUs
        available to the process, capped by a cgroup quota, OMP_NUM_THREADS and
        threadpoolctl), 1 to run in the calling thread; a number is used as
        given, over those limits. Each thread counts chunks of values claimed
        from a shared counter into its own histogram, and the histograms are
        added at the end; the result does not depend on ``threads``.

    Returns
    -------
    numpy.ndarray
        The counts, an array of ``bins`` ``numpy.intp`` (int64 on 64-bit
        platforms), numpy.histogram's count dtype; a count never exceeds
        ``len(data)``, so it cannot overflow.

    Raises
    ------
    TypeError, ValueError
        For a bad argument, naming it; also where numpy.histogram raises:
        when ``bins`` edges over ``range`` would not all be distinct in float64.

    See Also
    --------
    numpy.histogram : the definition this function reproduces.
    nogilkit.reference.histogram : the same rules in pure Python.

    Notes
    -----
    numpy finds a value's bin in two steps, and so does this function: an
    estimate ``int((x - first) / (last - first) * bins)`` in float64, then a
    move of one bin down or up where ``x`` lies on the other side of the
    ``np.linspace`` edges (near an edge the estimate is often off by one).
    Taking numpy's steps, not only its edges, makes the counts equal by
    construction.

    Examples
    --------
    >>> import numpy as np, nogilkit
    >>> nogilkit.histogram(np.array([0.1, 0.2, 0.7, 1.0]), 2, (0.0, 1.0)).tolist()
    [2, 2]
    """
    data, edges = check_histogram_args(data, bins, range)
    threads = resolve_threads(threads)
    job = HistogramJob(data, edges, CHUNK)
    counts, *others = run_job(job, threads)
    for other in others:
        counts += other
    return counts


# -- the definition, in pure Python ------------------------------------------------------


def reference_histogram(data, bins, range):
    """Pure-Python nogilkit.histogram: numpy.histogram's counts, one value at a time.

    Each value's bin is estimated from its offset, then moved by one bin
    against the edges, in the steps and float64 arithmetic of numpy's
    uniform-bin path; Python floats are IEEE doubles, so the results agree.
    """
    data, edges = check_histogram_args(data, bins, range)
    edges = edges.tolist()
    n = len(edges) - 1
    first, last = edges[0], edges[-1]
    width = last - first
    counts = [0] * n
    for x in data.tolist():
        if not first <= x <= last:  # NaN fails too
            continue
        i = int((x - first) / width * n)
        if i == n:  # x == last belongs to the last bin
            i -= 1
        if x < edges[i]:
            i -= 1
        if x >= edges[i + 1] and i != n - 1:
            i += 1
        counts[i] += 1
    return np.array(counts, dtype=np.intp)


# -- the workload ------------------------------------------------------------------------

BINS = 100
RANGE = (-5.0, 5.0)


class HistogramWorkload(Workload):
    """Workload ``histogram``: a reduction into shared state (counts per bin).

    Chunks are slices of the data; each chunk counts into its own histogram and
    the partial counts are added (integer sums: the order does not matter). The
    data is the large input, so pickling slices to processes costs as much as
    counting them. Sizes (values, 100 bins over (-5, 5)): tiny 10,000; small
    1,000,000; medium 20,000,000; large 50,000,000. Expected: numpy.histogram.
    """

    name = "histogram"
    implementations = ("python", "numpy", "cython", "cython-baseline")
    vector_kernel = "histogram"
    summary = "histogram: a reduction, private counts per chunk added at the end"
    sizes = {
        "tiny": {"n": 10_000},
        "small": {"n": 1_000_000},
        "medium": {"n": 20_000_000},
        "large": {"n": 50_000_000},
    }

    def prepare(self, size):
        n = self.sizes[size]["n"]
        data = np.random.default_rng(3).normal(size=n)
        expected = np.histogram(data, BINS, RANGE)[0]
        return Problem(self.name, size, {"bins": BINS, "range": RANGE}, arrays={"data": data},
                       expected=expected, description=f"{n:,} values, {BINS} bins")

    def split(self, problem, n_chunks):
        return even_ranges(len(problem.arrays["data"]), n_chunks)

    def run_chunk(self, params, arrays, spec, implementation):
        start, stop = spec
        part = arrays["data"][start:stop]
        if implementation == "python":
            return reference_histogram(part, params["bins"], params["range"])
        if implementation == "numpy":
            return np.histogram(part, params["bins"], params["range"])[0]
        if implementation == "cython":
            return histogram(part, params["bins"], params["range"], threads=1)
        raise ValueError(f"unknown implementation {implementation!r}")

    def combine(self, problem, specs, partials):
        return np.sum(partials, axis=0)

    def check(self, problem, result):
        if not np.array_equal(result, problem.expected):
            wrong = int(np.count_nonzero(result != problem.expected))
            raise CheckFailed(f"{wrong} of {BINS} bins differ from numpy.histogram")


def _values(threads):
    data = np.random.default_rng(2).normal(size=4_000_000)
    return functools.partial(histogram, data, 100, (-5.0, 5.0), threads=threads)


FAMILY = Family(
    name="histogram",
    kernels=(histogram,),
    workload=HistogramWorkload(),
    references={"histogram": reference_histogram},
    numpy={},
    benchmarks=(Benchmark("histogram", "Stream", _values, peakmem=True),),
)
