"""Pure-Python reference implementations: the definition each kernel must match.

They are written for clarity and for exact agreement with the kernels (same
operations in the same order, no complex type, whose abs() would round
differently), not for speed.
"""

import math

import numpy as np

from ._ext.kmeans import CHUNK_SIZE
from ._kmeans import KMeansResult, check_kmeans_args, lloyd, scaled_tol
from ._mandelbrot import DEFAULT_REGION, check_mandelbrot_args


def mandelbrot_row(y, width, height, max_iter, region):
    """Escape counts of row ``y`` as a list of ints (arguments already validated)."""
    xmin, xmax, ymin, ymax = region
    dx = xmax - xmin
    ci = ymin + y * (ymax - ymin) / height
    row = []
    for x in range(width):
        cr = xmin + x * dx / width
        zr = zi = 0.0
        n = 0
        while n < max_iter:
            zr2 = zr * zr
            zi2 = zi * zi
            if zr2 + zi2 > 4.0:
                break
            zi = 2.0 * zr * zi + ci
            zr = zr2 - zi2 + cr
            n += 1
        row.append(n)
    return row


def mandelbrot(width, height, max_iter=256, *, region=DEFAULT_REGION):
    """Pure-Python nogilkit.mandelbrot: the same int32 (height, width) array."""
    width, height, max_iter, region = check_mandelbrot_args(width, height, max_iter, region)
    rows = [mandelbrot_row(y, width, height, max_iter, region) for y in range(height)]
    return np.array(rows, dtype=np.int32)


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


@np.errstate(over="ignore", invalid="ignore")  # overflow gives inf, as in the kernel
def kmeans(points, k, *, init=None, max_iter=300, tol=0.0):
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

    def nearest_labels():
        scaled = [[-2 * c for c in centre] for centre in centres]
        norms = []
        for centre in centres:
            norm = real(0)
            for c in centre:
                norm = norm + c * c
            norms.append(norm)
        return [_nearest(x, scaled, norms) for x in centred]

    def iterate():
        nonlocal labels
        new_labels = nearest_labels()
        changed = new_labels != labels
        labels = new_labels
        sums = [[0.0] * n_features for _ in range(k)]
        counts = [0] * k
        for chunk in chunks:
            partial_sums = [[0.0] * n_features for _ in range(k)]
            partial_counts = [0] * k
            for p in chunk:
                j = labels[p]
                partial_counts[j] += 1
                partial_sums[j] = [s + float(v) for s, v in zip(partial_sums[j], centred[p])]
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
    labels = nearest_labels()
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
