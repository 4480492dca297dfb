"""NumPy-vectorised versions of the kernels: whole-array operations, one thread."""

import numpy as np

from ._mandelbrot import DEFAULT_REGION, check_mandelbrot_args
from ._nbody import check_nbody_direct_args
from ._spectral_norm import check_spectral_norm_args


def mandelbrot(width, height, max_iter=256, *, region=DEFAULT_REGION):
    """NumPy nogilkit.mandelbrot: the same int32 (height, width) array."""
    width, height, max_iter, region = check_mandelbrot_args(width, height, max_iter, region)
    return mandelbrot_band(width, height, max_iter, region, 0, height)


def mandelbrot_band(width, height, max_iter, region, row_start, row_stop):
    """Rows [row_start, row_stop) of the image (arguments already validated).

    Each iteration works on the points that have not escaped yet, compacted
    into dense arrays, so finished points cost nothing.
    """
    xmin, xmax, ymin, ymax = region
    rows = row_stop - row_start
    cr = np.tile(xmin + np.arange(width) * (xmax - xmin) / width, rows)
    ci = np.repeat(ymin + np.arange(row_start, row_stop) * (ymax - ymin) / height, width)
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
