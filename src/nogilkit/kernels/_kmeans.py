"""The k-means family: clustering by Lloyd's algorithm with the GIL released.

``kmeans`` (the nogil kernel, as scikit-learn's lloyd), its pure-Python
definition, its NumPy twin and the workload ``kmeans``: a reduction every
iteration, computed by the kernel's own code.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .. import _validation
from .._ext.kmeans import CHUNK_SIZE, FINAL_PASS, MEAN_PASS, UPDATE_PASS, label_points, new_job
from .._workload import CheckFailed, Problem, Workload, even_ranges
from ._family import Benchmark, Family
from ._pool import resolve_threads, run_job

__all__ = ["KMeansResult", "kmeans"]


class KMeansResult(NamedTuple):
    """What ``kmeans`` returns.

    Attributes
    ----------
    labels : numpy.ndarray
        int32 array of shape (n_points,): the index of each point's centre.
    centers : numpy.ndarray
        Array of shape (k, n_features), in the points' dtype.
    n_iter : int
        The number of iterations run (each one labels the points and moves
        the centres).
    inertia : numpy.float64 or numpy.float32
        The sum of the squared distances of the points to their centres, in
        the points' dtype.
    """

    labels: np.ndarray
    centers: np.ndarray
    n_iter: int
    inertia: float


def check_kmeans_args(points, k, init, max_iter, tol, *, finite=True):
    """The validated (points, k, init, max_iter, tol) shared by every implementation.

    ``init=None`` becomes the last k points. ``finite=False`` leaves the
    points' finiteness to the caller.
    """
    points = _validation.real_array("points", points, ndim=2, keep=(np.float32,), finite=finite)
    n_points, n_features = points.shape
    if n_points == 0:
        raise ValueError("points must contain at least one point, got 0")
    if n_features == 0:
        raise ValueError("points must have at least one feature, got 0")
    k = _validation.positive_int("k", k, maximum=_validation.INT32_MAX)
    if k > n_points:
        raise ValueError(f"k must be <= the number of points ({n_points}), got {k}")
    if init is None:
        init = points[n_points - k:]
    else:
        init = _validation.real_array("init", init, ndim=2, dtype=points.dtype)
        if init.shape != (k, n_features):
            raise ValueError(
                f"init must have shape (k, n_features) = {(k, n_features)}, got {init.shape}"
            )
    max_iter = _validation.positive_int("max_iter", max_iter)
    tol = _validation.finite_float("tol", tol, minimum=0.0)
    return points, k, init, max_iter, tol


# Finite points may still overflow (their squares, their sums) to inf and NaN:
# a meaningless result, not an error, in every implementation.
@np.errstate(over="ignore", invalid="ignore")
def scaled_tol(points, tol):
    """``tol`` times the mean of the features' variances, as scikit-learn scales it."""
    if tol == 0.0:
        return 0.0
    return float(np.var(points, axis=0, dtype=np.float64).mean()) * tol


def lloyd(iterate, max_iter, tol):
    """Call ``iterate()`` until convergence; return how many times it ran.

    ``iterate()`` labels the points, moves the centres and returns (whether
    any label changed, total squared shift of the centres). The iterations
    stop when no label changed (the centres are then those of the previous
    iteration), when the shift is <= ``tol`` (already scaled), or after
    ``max_iter`` iterations, as in scikit-learn's Lloyd iterations.
    """
    for n_iter in range(1, max_iter + 1):
        changed, shift = iterate()
        if not changed or shift <= tol:
            break
    return n_iter


def _run_pass(job, mode, threads):
    job.start(mode, threads)
    run_job(job, threads)
    return job.finish()


def kmeans(points: ArrayLike, k: int, *, init: ArrayLike | None = None, max_iter: int = 300,
           tol: float = 0.0, threads: int | None = None) -> KMeansResult:
    """k-means clustering by Lloyd's algorithm, computed with the GIL released.

    Each iteration labels every point with its nearest centre (the first
    one, on a tie), then moves each centre to the mean of its points.

    Parameters
    ----------
    points : array_like of shape (n_points, n_features)
        The points, finite. float32 and float64 arrays keep their dtype;
        any other real array is converted to float64. An array that is not
        C-contiguous is copied.
    k : int
        The number of clusters, 1 <= k <= n_points.
    init : array_like of shape (k, n_features), optional
        The initial centres, finite, converted to the points' dtype. None
        (the default) takes the last k points.
    max_iter : int
        The most iterations to run, >= 1.
    tol : float
        Relative tolerance, >= 0. As in scikit-learn, it is multiplied by the
        mean of the features' variances, and the iterations stop once the
        sum over centres of their squared shifts is <= that. Whatever
        ``tol``, they stop when no label changes.
    threads : int or None
        Threads to use: None for ``nogilkit.default_threads()`` (the CPUs
        available to the process, capped by a cgroup quota, OMP_NUM_THREADS and
        threadpoolctl), 1 to run in the calling thread; a number is used as
        given, over those limits. The result does not depend on ``threads``.

    Returns
    -------
    KMeansResult
        ``(labels, centers, n_iter, inertia)``: int32 labels of shape
        (n_points,); the centres, shape (k, n_features), and the inertia (the
        sum of squared distances of the points to their centres) in the
        points' dtype; the number of iterations run. The labels and the
        inertia are those of the returned centres.

    Notes
    -----
    This is scikit-learn's ``KMeans(algorithm="lloyd", n_init=1, init=...)``
    with the same stopping rules and iteration count, and, like it, works on
    points centred on their mean, with squared distances computed as
    ``||c||**2 - 2 x.c``. It differs on one point: an empty cluster keeps its
    previous centre, where scikit-learn moves it to a far point. The results
    agree (up to rounding) whenever no cluster ever empties.

    The points are split into chunks of a fixed size; the chunks are handed
    out to threads, and their partial sums (in float64, whatever the dtype)
    are merged in chunk order, so that the result is the same bit for bit
    for any ``threads`` and equals ``nogilkit.reference.kmeans``. The partial
    sums take ``8 * k * n_features`` bytes per chunk of 4096 points.

    Examples
    --------
    >>> import numpy as np, nogilkit
    >>> points = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]])
    >>> result = nogilkit.kmeans(points, 2, init=points[[0, 2]])
    >>> result.labels.tolist(), result.n_iter
    ([0, 0, 1, 1], 2)
    """
    # The points' finiteness is checked by the mean's pass, in parallel: a
    # serial np.isfinite over them took 5% of ten iterations on two threads.
    points, k, init, max_iter, tol = check_kmeans_args(points, k, init, max_iter, tol,
                                                       finite=False)
    threads = resolve_threads(threads)
    labels = np.empty(len(points), dtype=np.int32)
    job = new_job(points, init, labels)
    if not _run_pass(job, MEAN_PASS, threads):
        _validation.require_finite("points", points)  # a NaN or inf, or only an overflow
    tol = scaled_tol(points, tol)
    n_iter = lloyd(lambda: _run_pass(job, UPDATE_PASS, threads), max_iter, tol)
    inertia = _run_pass(job, FINAL_PASS, threads)
    return KMeansResult(labels, job.result_centres(), n_iter, points.dtype.type(inertia))


# -- the definition, in pure Python ------------------------------------------------------


def _chunks(n_points):
    """The kernel's chunks of point indices, in the order their sums are merged."""
    return [range(s, min(s + CHUNK_SIZE, n_points)) for s in range(0, n_points, CHUNK_SIZE)]


def _nearest(x, scaled, norms):
    """Index of the first centre at the least distance from x.

    The distance to centre j, up to ``||x||**2``, is ``norms[j] + x[0]*scaled[j][0]
    + x[1]*scaled[j][1] + ...`` (``scaled = -2 * centres``), added from the left
    as the kernel adds it.
    """
    best, label = math.inf, 0
    for j, (c, norm) in enumerate(zip(scaled, norms)):
        dist = norm
        for xe, ce in zip(x, c):
            dist = dist + xe * ce
        if dist < best:
            best, label = dist, j
    return label


def nearest_labels(centred, centres, zero):
    """The label of each centred point (lists of values) for these centred
    centres, in the kernel's arithmetic; ``zero`` is 0 in the points' dtype."""
    scaled = [[-2 * c for c in centre] for centre in centres]
    norms = []
    for centre in centres:
        norm = zero
        for c in centre:
            norm = norm + c * c
        norms.append(norm)
    return [_nearest(x, scaled, norms) for x in centred]


@np.errstate(over="ignore", invalid="ignore")  # overflow gives inf, as in the kernel
def reference_kmeans(points, k, *, init=None, max_iter=300, tol=0.0):
    """Pure-Python nogilkit.kmeans: the same labels, centres, n_iter and inertia.

    The values are numpy scalars of the points' dtype, so that float32
    points are computed in float32 as the kernel does; sums, counts, shifts
    and the inertia are Python floats and ints, the kernel's float64 and
    int64. Sums run over the kernel's chunks, merged in chunk order.
    """
    points, k, init, max_iter, tol = check_kmeans_args(points, k, init, max_iter, tol)
    tol = scaled_tol(points, tol)
    n_points, n_features = points.shape
    real = points.dtype.type
    rows = [[real(v) for v in row] for row in points.tolist()]
    chunks = _chunks(n_points)

    totals = [0.0] * n_features
    for chunk in chunks:
        partial = [0.0] * n_features
        for p in chunk:
            partial = [s + float(v) for s, v in zip(partial, rows[p])]
        totals = [t + s for t, s in zip(totals, partial)]
    mean = [real(t / n_points) for t in totals]
    # Everything runs on centred points, as in scikit-learn.
    centred = [[v - m for v, m in zip(row, mean)] for row in rows]
    centres = [[real(c) - m for c, m in zip(row, mean)] for row in init.tolist()]
    labels = [-1] * n_points

    def iterate():
        nonlocal labels
        new_labels = nearest_labels(centred, centres, real(0))
        changed = new_labels != labels
        labels = new_labels
        sums = [[0.0] * n_features for _ in range(k)]
        counts = [0] * k
        for chunk in chunks:
            partial_sums, partial_counts = _cluster_sums(centred, labels, chunk, k, n_features)
            for j in range(k):
                counts[j] += partial_counts[j]
                sums[j] = [s + t for s, t in zip(sums[j], partial_sums[j])]
        shift = 0.0
        for j in range(k):
            if counts[j] == 0:
                continue  # an empty cluster keeps its centre
            for e in range(n_features):
                moved = real(sums[j][e] / counts[j])
                diff = float(moved) - float(centres[j][e])
                shift += diff * diff
                centres[j][e] = moved
        return changed, shift

    n_iter = lloyd(iterate, max_iter, tol)
    labels = nearest_labels(centred, centres, real(0))
    inertia = 0.0
    for chunk in chunks:
        partial = 0.0
        for p in chunk:
            for v, c in zip(centred[p], centres[labels[p]]):
                diff = float(v) - float(c)
                partial += diff * diff
        inertia += partial
    centers = np.array([[c + m for c, m in zip(row, mean)] for row in centres], dtype=points.dtype)
    return KMeansResult(np.array(labels, dtype=np.int32), centers, n_iter, real(inertia))


def _cluster_sums(centred, labels, indices, k, n_features):
    """(sums, counts) per cluster of the centred points ``indices``, in point order,
    sums as Python floats (the kernel's float64)."""
    sums = [[0.0] * n_features for _ in range(k)]
    counts = [0] * k
    for p in indices:
        j = labels[p]
        counts[j] += 1
        sums[j] = [s + float(v) for s, v in zip(sums[j], centred[p])]
    return sums, counts


# -- the NumPy twin ----------------------------------------------------------------------

# Points whose distances to every centre are held in memory at once.
NUMPY_ROWS = 8192


def numpy_labels(centred, centres):
    """Index of each point's first nearest centre, in the kernel's arithmetic.

    The distances ``||c||**2 + x . (-2 c)`` are added feature by feature
    from the left, with no fused multiply-add, so they equal the kernel's
    bit for bit for the same centred points and centres.
    """
    scaled = -2 * centres
    norms = np.zeros(len(centres), dtype=centres.dtype)
    for column in centres.T:
        norms = norms + column * column
    labels = np.empty(len(centred), dtype=np.int32)
    for start in range(0, len(centred), NUMPY_ROWS):
        x = centred[start : start + NUMPY_ROWS]
        dist = np.repeat(norms[np.newaxis, :], len(x), axis=0)
        for e in range(x.shape[1]):
            dist += x[:, e, np.newaxis] * scaled[:, e]
        labels[start : start + len(x)] = np.argmin(dist, axis=1)
    return labels


def numpy_cluster_sums(centred, labels, k):
    """(sums, counts) per cluster, by np.bincount (in its own order)."""
    counts = np.bincount(labels, minlength=k)
    sums = np.stack([np.bincount(labels, weights=column, minlength=k) for column in centred.T],
                    axis=1)
    return sums, counts


@np.errstate(over="ignore", invalid="ignore")  # overflow gives inf, as in the kernel
def numpy_kmeans(points, k, *, init=None, max_iter=300, tol=0.0):
    """NumPy nogilkit.kmeans: the same labels and n_iter; centres and inertia to rounding.

    Sums run in point order (``np.bincount``), not chunk by chunk, and the
    mean is NumPy's, so centres may differ from the kernel's in the last bits.
    """
    points, k, init, max_iter, tol = check_kmeans_args(points, k, init, max_iter, tol)
    tol = scaled_tol(points, tol)
    mean = points.mean(axis=0, dtype=np.float64).astype(points.dtype)
    centred = points - mean
    centres = init - mean
    labels = np.full(len(points), -1, dtype=np.int32)

    def iterate():
        nonlocal centres, labels
        new_labels = numpy_labels(centred, centres)
        changed = not np.array_equal(new_labels, labels)
        labels = new_labels
        sums, counts = numpy_cluster_sums(centred, labels, k)
        filled = counts > 0  # an empty cluster keeps its centre
        moved = centres.copy()
        moved[filled] = sums[filled] / counts[filled, np.newaxis]
        shift = float(np.sum((moved.astype(np.float64) - centres) ** 2))
        centres = moved
        return changed, shift

    n_iter = lloyd(iterate, max_iter, tol)
    labels = numpy_labels(centred, centres)
    inertia = np.sum((centred.astype(np.float64) - centres[labels]) ** 2)
    return KMeansResult(labels, centres + mean, n_iter, points.dtype.type(inertia))


# -- the workload ------------------------------------------------------------------------


def blobs(n, features, k, seed=2024):
    """n points in k Gaussian blobs whose centres lie in [-10, 10]: clusters never empty."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 10, size=(k, features))
    return centres[rng.integers(0, k, size=n)] + rng.normal(size=(n, features))


class KMeansWorkload(Workload):
    """Workload ``kmeans``: Lloyd iterations, a reduction per round.

    The iterations of nogilkit.kmeans, in centred coordinates: each is one
    round of chunks (ranges of points); a chunk labels its points with their
    nearest centre (``||c||**2 - 2 x.c``, as the kernel computes it: under
    ``cython`` it is the kernel's own code) and returns per-centre sums and
    counts, which are added in chunk order; the new centres go to the workers
    with the next round. A fixed number of iterations from the last k points,
    so every implementation does the same work. Sizes (points x features, k,
    iterations): tiny 2,000x4/4/3, small 10,000x8/8/5, medium 200,000x8/16/10,
    large 1,000,000x8/16/20. Expected: the pure-Python chunks for tiny and
    small, else NumPy's.
    """

    name = "kmeans"
    summary = "Lloyd k-means: one round per iteration, sums and counts reduced across chunks"
    implementations = ("python", "numpy", "cython", "cython-baseline")
    vector_kernel = "kmeans"
    sizes = {
        "tiny": {"n": 2_000, "features": 4, "k": 4, "iterations": 3},
        "small": {"n": 10_000, "features": 8, "k": 8, "iterations": 5},
        "medium": {"n": 200_000, "features": 8, "k": 16, "iterations": 10},
        "large": {"n": 1_000_000, "features": 8, "k": 16, "iterations": 20},
    }

    def prepare(self, size):
        params = dict(self.sizes[size])
        points = blobs(params["n"], params["features"], params["k"])
        problem = Problem(self.name, size, params,
                          arrays={"points": points, "mean": points.mean(axis=0)},
                          description=f"{params['n']:,} x {params['features']}, k={params['k']}, "
                                      f"{params['iterations']} iterations")
        implementation = "python" if size in ("tiny", "small") else "numpy"
        problem.expected = self.execute(problem, 1, lambda specs, arrays: [
            self.run_chunk(params, arrays, spec, implementation) for spec in specs])
        return problem

    def execute(self, problem, n_chunks, run_round):
        points, mean = problem.arrays["points"], problem.arrays["mean"]
        centres = points[-problem.params["k"]:] - mean  # centred, as in the kernel
        ranges = even_ranges(len(points), n_chunks)
        for _ in range(problem.params["iterations"]):
            sums = np.zeros_like(centres)
            counts = np.zeros(len(centres), dtype=np.int64)
            arrays = {"points": points, "mean": mean, "centres": centres}
            for chunk_sums, chunk_counts in run_round(ranges, arrays):
                sums += chunk_sums  # in chunk order
                counts += chunk_counts
            moved = counts > 0  # an empty cluster keeps its centre
            centres = centres.copy()
            centres[moved] = sums[moved] / counts[moved, None]
        return centres + mean

    def run_chunk(self, params, arrays, spec, implementation):
        start, stop = spec
        points, mean, centres = arrays["points"][start:stop], arrays["mean"], arrays["centres"]
        k, n_features = centres.shape
        if implementation == "python":
            centred = [[v - m for v, m in zip(row, mean.tolist())] for row in points.tolist()]
            labels = nearest_labels(centred, centres.tolist(), 0.0)
            sums, counts = _cluster_sums(centred, labels, range(len(centred)), k, n_features)
            return np.array(sums), np.array(counts, dtype=np.int64)
        if implementation == "numpy":
            centred = points - mean
            sums, counts = numpy_cluster_sums(centred, numpy_labels(centred, centres), k)
            return sums, counts.astype(np.int64)
        if implementation == "cython":
            sums = np.zeros((k, n_features))
            counts = np.zeros(k, dtype=np.int64)
            labels = np.full(stop - start, -1, dtype=np.int32)
            label_points(np.ascontiguousarray(points), mean, centres, labels, sums, counts)
            return sums, counts
        raise ValueError(f"unknown implementation {implementation!r}")

    def check(self, problem, result):
        # Chunking changes the order of the sums, and NumPy sums in its own
        # order: equal to rounding.
        if not np.allclose(result, problem.expected, rtol=1e-9, atol=1e-9):
            worst = float(np.max(np.abs(result - problem.expected)))
            raise CheckFailed(f"centres differ from the reference by up to {worst:.3g}")


def _points(threads):
    points = blobs(100_000, 8, 16, seed=0)
    return functools.partial(kmeans, points, 16, max_iter=5, threads=threads)


FAMILY = Family(
    name="kmeans",
    kernels=(kmeans,),
    workload=KMeansWorkload(),
    references={"kmeans": reference_kmeans},
    numpy={"kmeans": numpy_kmeans},
    benchmarks=(Benchmark("kmeans", "KMeans", _points),),
)
