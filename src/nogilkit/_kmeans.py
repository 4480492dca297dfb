"""nogilkit.kmeans: k-means clustering (Lloyd's algorithm) with the GIL released."""

from typing import NamedTuple

import numpy as np

from . import _validation
from ._ext.kmeans import FINAL_PASS, MEAN_PASS, UPDATE_PASS, KMeansJob
from ._parallel import resolve_threads, run_job


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


def check_kmeans_args(points, k, init, max_iter, tol):
    """The validated (points, k, init, max_iter, tol) shared by every implementation.

    ``init=None`` becomes the last k points.
    """
    points = _validation.float_matrix("points", points)
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
        init = _validation.float_matrix("init", init, dtype=points.dtype)
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
    job.start(mode)
    run_job(job.work, threads)
    return job.finish()


def kmeans(points, k, *, init=None, max_iter=300, tol=0.0, threads=None):
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
        Threads to use: None for every CPU available to the process, 1 to run
        in the calling thread. The result does not depend on ``threads``.

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
    """
    points, k, init, max_iter, tol = check_kmeans_args(points, k, init, max_iter, tol)
    threads = resolve_threads(threads)
    tol = scaled_tol(points, tol)
    labels = np.empty(len(points), dtype=np.int32)
    job = KMeansJob(points, init, labels)
    # More threads than chunks would find nothing to do.
    threads = min(threads, job.n_chunks)
    _run_pass(job, MEAN_PASS, threads)
    n_iter = lloyd(lambda: _run_pass(job, UPDATE_PASS, threads), max_iter, tol)
    inertia = _run_pass(job, FINAL_PASS, threads)
    return KMeansResult(labels, job.result_centres(), n_iter, points.dtype.type(inertia))
