"""NumPy-vectorised versions of the kernels: whole-array operations, one thread."""

import numpy as np

from ._kmeans import KMeansResult, check_kmeans_args, lloyd, scaled_tol
from ._mandelbrot import DEFAULT_REGION, check_mandelbrot_args
from ._nbody import check_nbody_direct_args
from ._spectral_norm import check_spectral_norm_args


def mandelbrot(width, height, max_iter=256, *, region=DEFAULT_REGION):
    """NumPy nogilkit.mandelbrot: the same int32 (height, width) array."""
    width, height, max_iter, region = check_mandelbrot_args(width, height, max_iter, region)
    return mandelbrot_rows(width, height, max_iter, region, np.arange(height))


def mandelbrot_rows(width, height, max_iter, region, row_indices):
    """The image's rows ``row_indices`` (an int array), arguments already validated.

    Each iteration works on the points that have not escaped yet, compacted
    into dense arrays, so finished points cost nothing.
    """
    xmin, xmax, ymin, ymax = region
    rows = len(row_indices)
    cr = np.tile(xmin + np.arange(width) * (xmax - xmin) / width, rows)
    ci = np.repeat(ymin + np.asarray(row_indices) * (ymax - ymin) / height, width)
    counts = np.zeros(width * rows, dtype=np.int32)
    index = np.arange(width * rows)
    zr = np.zeros_like(cr)
    zi = np.zeros_like(ci)
    # A far-out c overflows |z|**2 to inf, which escapes as it should.
    with np.errstate(over="ignore", invalid="ignore"):
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
    return counts.reshape(rows, width)


def spectral_norm(n, iterations=10):
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


def accelerations(r, m, eps2, start=0, stop=None, rows=256):
    """Softened accelerations of bodies [start, stop), broadcast over blocks of
    rows to bound memory."""
    stop = len(r) if stop is None else stop
    a = np.empty((stop - start, 3))
    for first in range(start, stop, rows):
        last = min(first + rows, stop)
        d = r[None, :, :] - r[first:last, None, :]  # d[i, j] = r_j - r_i
        d2 = np.einsum("ijk,ijk->ij", d, d) + eps2
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = m[None, :] / (d2 * np.sqrt(d2))
        # The j == i term is 0 * inv; drop it, as with softening 0 it is nan.
        inv[np.arange(last - first), np.arange(first, last)] = 0.0
        a[first - start:last - start] = np.einsum("ij,ijk->ik", inv, d)
    return a


def nbody_direct(positions, velocities, masses, steps, *, dt, softening):
    """NumPy nogilkit.nbody_direct: the same leapfrog, equal within rounding."""
    r, v, m, steps, dt, softening = check_nbody_direct_args(
        positions, velocities, masses, steps, dt, softening
    )
    eps2 = softening * softening
    half = 0.5 * dt
    a = accelerations(r, m, eps2) if steps else None
    for _ in range(steps):
        v += half * a
        r += dt * v
        a = accelerations(r, m, eps2)
        v += half * a
    return r, v


def nbody_direct_energy(positions, velocities, masses, softening):
    """Kinetic plus softened potential energy (G = 1) of an nbody_direct system."""
    r = np.asarray(positions, dtype=np.float64)
    v = np.asarray(velocities, dtype=np.float64)
    m = np.asarray(masses, dtype=np.float64)
    kinetic = 0.5 * np.sum(m * np.einsum("ij,ij->i", v, v))
    potential = 0.0
    for i in range(len(m) - 1):
        d = r[i + 1:] - r[i]
        potential -= m[i] * np.sum(m[i + 1:] / np.sqrt(np.einsum("ij,ij->i", d, d) + softening**2))
    return float(kinetic + potential)


def triad(a, b, c, scalar):
    """NumPy nogilkit.triad in two in-place passes (no temporary): a = scalar*c; a += b."""
    np.multiply(c, scalar, out=a)
    np.add(a, b, out=a)
    return a


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
