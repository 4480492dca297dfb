"""NumPy-vectorised versions of the kernels: whole-array operations, one thread."""

import numpy as np

from ._kmeans import KMeansResult, check_kmeans_args, lloyd, scaled_tol
from ._mandelbrot import DEFAULT_REGION, check_mandelbrot_args


def mandelbrot(width, height, max_iter=256, *, region=DEFAULT_REGION):
    """NumPy nogilkit.mandelbrot: the same int32 (height, width) array.

    Each iteration works on the points that have not escaped yet, compacted
    into dense arrays, so finished points cost nothing.
    """
    width, height, max_iter, region = check_mandelbrot_args(width, height, max_iter, region)
    xmin, xmax, ymin, ymax = region
    cr = np.tile(xmin + np.arange(width) * (xmax - xmin) / width, height)
    ci = np.repeat(ymin + np.arange(height) * (ymax - ymin) / height, width)
    counts = np.zeros(width * height, dtype=np.int32)
    index = np.arange(width * height)
    zr = np.zeros_like(cr)
    zi = np.zeros_like(ci)
    # A far-out c overflows |z|**2 to inf, which escapes as it should.
    with np.errstate(over="ignore"):
        for _ in range(max_iter):
            zr2 = zr * zr
            zi2 = zi * zi
            keep = ~(zr2 + zi2 > 4.0)  # the definition's test, NaN included
            if not keep.all():
                index, zr, zi, zr2, zi2, cr, ci = (
                    a[keep] for a in (index, zr, zi, zr2, zi2, cr, ci)
                )
                if index.size == 0:
                    break
            counts[index] += 1
            zi = 2.0 * zr * zi + ci
            zr = zr2 - zi2 + cr
    return counts.reshape(height, width)


# Points whose distances to every centre are held in memory at once.
KMEANS_ROWS = 8192


def _nearest_labels(centred, centres):
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
    for start in range(0, len(centred), KMEANS_ROWS):
        x = centred[start : start + KMEANS_ROWS]
        dist = np.repeat(norms[np.newaxis, :], len(x), axis=0)
        for e in range(x.shape[1]):
            dist += x[:, e, np.newaxis] * scaled[:, e]
        labels[start : start + len(x)] = np.argmin(dist, axis=1)
    return labels


@np.errstate(over="ignore", invalid="ignore")  # overflow gives inf, as in the kernel
def kmeans(points, k, *, init=None, max_iter=300, tol=0.0):
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
        new_labels = _nearest_labels(centred, centres)
        changed = not np.array_equal(new_labels, labels)
        labels = new_labels
        counts = np.bincount(labels, minlength=k)
        sums = np.stack(
            [np.bincount(labels, weights=column, minlength=k) for column in centred.T], axis=1
        )
        filled = counts > 0  # an empty cluster keeps its centre
        moved = centres.copy()
        moved[filled] = sums[filled] / counts[filled, np.newaxis]
        shift = float(np.sum((moved.astype(np.float64) - centres) ** 2))
        centres = moved
        return changed, shift

    n_iter = lloyd(iterate, max_iter, tol)
    labels = _nearest_labels(centred, centres)
    inertia = np.sum((centred.astype(np.float64) - centres[labels]) ** 2)
    return KMeansResult(labels, centres + mean, n_iter, points.dtype.type(inertia))
