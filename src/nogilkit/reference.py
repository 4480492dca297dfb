"""Pure-Python reference implementations: the definition each kernel must match.

They are written for clarity and for exact agreement with the kernels (same
operations in the same order, no complex type, whose abs() would round
differently), not for speed.
"""

import math

import numpy as np

from . import _validation
from ._ext.stream import SUM_BLOCK_SIZE
from ._histogram import check_histogram_args


from ._ext.kmeans import CHUNK_SIZE
from ._kmeans import KMeansResult, check_kmeans_args, lloyd, scaled_tol
from ._mandelbrot import DEFAULT_REGION, check_mandelbrot_args
from ._nbody import check_nbody_direct_args, jovian_system
from ._spectral_norm import check_spectral_norm_args


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


# -- spectral norm -----------------------------------------------------------------


def _a_denominator(i, j):
    """1 / A[i, j] of the Benchmarks Game's matrix (an exact integer)."""
    return (i + j) * (i + j + 1) // 2 + i + 1


def _product(u, transpose):
    """A @ u, or A.T @ u, each sum in index order."""
    return product_rows(u, 0, len(u), transpose)


def product_rows(u, start, stop, transpose):
    """Rows [start, stop) of A @ u (or A.T @ u) as a list."""
    n = len(u)
    out = []
    for i in range(start, stop):
        s = 0.0
        for j in range(n):
            s += u[j] / (_a_denominator(j, i) if transpose else _a_denominator(i, j))
        out.append(s)
    return out


def _dot(a, b):
    # A running sum in index order: sum() compensates its rounding since 3.12.
    s = 0.0
    for x, y in zip(a, b):
        s += x * y
    return s


def spectral_norm(n, iterations=10):
    """Pure-Python nogilkit.spectral_norm: the same float, bit for bit."""
    n, iterations = check_spectral_norm_args(n, iterations)
    u = [1.0] * n
    for _ in range(iterations):
        v = _product(_product(u, False), True)
        u = _product(_product(v, False), True)
    return math.sqrt(_dot(u, v) / _dot(v, v))


# -- n-body ------------------------------------------------------------------------


def five_body_energy(positions, velocities, masses):
    """Kinetic plus potential energy (G = 1) of bodies given as lists."""
    e = 0.0
    n = len(masses)
    for i in range(n):
        vx, vy, vz = velocities[i]
        e += 0.5 * masses[i] * (vx * vx + vy * vy + vz * vz)
        for j in range(i + 1, n):
            dx = positions[i][0] - positions[j][0]
            dy = positions[i][1] - positions[j][1]
            dz = positions[i][2] - positions[j][2]
            e -= (masses[i] * masses[j]) / math.sqrt(dx * dx + dy * dy + dz * dz)
    return e


def nbody(steps, *, dt=0.01):
    """Pure-Python nogilkit.nbody: the same (energy_before, energy_after), bit for bit."""
    steps = _validation.integer("steps", steps, minimum=0)
    dt = _validation.finite_float("dt", dt)
    r, v, m = jovian_system()
    before = five_body_energy(r, v, m)
    n = len(m)
    for _ in range(steps):
        for i in range(n):
            ri, vi, mi = r[i], v[i], m[i]
            for j in range(i + 1, n):
                rj, vj, mj = r[j], v[j], m[j]
                dx = ri[0] - rj[0]
                dy = ri[1] - rj[1]
                dz = ri[2] - rj[2]
                d2 = dx * dx + dy * dy + dz * dz
                mag = dt / (d2 * math.sqrt(d2))
                vi[0] -= dx * mj * mag
                vi[1] -= dy * mj * mag
                vi[2] -= dz * mj * mag
                vj[0] += dx * mi * mag
                vj[1] += dy * mi * mag
                vj[2] += dz * mi * mag
        for ri, vi in zip(r, v):
            ri[0] += dt * vi[0]
            ri[1] += dt * vi[1]
            ri[2] += dt * vi[2]
    return before, five_body_energy(r, v, m)


def accelerations(r, m, eps2, start=0, stop=None):
    """Softened accelerations of bodies [start, stop) (all by default), as lists."""
    n = len(m)
    a = []
    for i in range(start, n if stop is None else stop):
        xi, yi, zi = r[i]
        ax = ay = az = 0.0
        for j in range(n):
            if j == i:
                continue
            dx = r[j][0] - xi
            dy = r[j][1] - yi
            dz = r[j][2] - zi
            d2 = dx * dx + dy * dy + dz * dz + eps2
            inv = m[j] / (d2 * math.sqrt(d2))
            ax += dx * inv
            ay += dy * inv
            az += dz * inv
        a.append([ax, ay, az])
    return a


def nbody_direct(positions, velocities, masses, steps, *, dt, softening):
    """Pure-Python nogilkit.nbody_direct: the same arrays, bit for bit."""
    positions, velocities, masses, steps, dt, softening = check_nbody_direct_args(
        positions, velocities, masses, steps, dt, softening
    )
    r, v, m = positions.tolist(), velocities.tolist(), masses.tolist()
    eps2 = softening * softening
    half = 0.5 * dt
    a = accelerations(r, m, eps2) if steps else None
    for _ in range(steps):
        for vi, ai in zip(v, a):
            for k in range(3):
                vi[k] += half * ai[k]
        for ri, vi in zip(r, v):
            for k in range(3):
                ri[k] += dt * vi[k]
        a = accelerations(r, m, eps2)
        for vi, ai in zip(v, a):
            for k in range(3):
                vi[k] += half * ai[k]
    return np.array(r, dtype=np.float64).reshape(-1, 3), np.array(v, dtype=np.float64).reshape(-1, 3)


def nbody_direct_energy(positions, velocities, masses, softening):
    """Kinetic plus softened potential energy (G = 1) of an nbody_direct system."""
    r = np.asarray(positions, dtype=np.float64).tolist()
    v = np.asarray(velocities, dtype=np.float64).tolist()
    m = np.asarray(masses, dtype=np.float64).tolist()
    eps2 = float(softening) ** 2
    e = 0.0
    for i in range(len(m)):
        e += 0.5 * m[i] * sum(x * x for x in v[i])
        for j in range(i + 1, len(m)):
            d2 = sum((r[i][k] - r[j][k]) ** 2 for k in range(3)) + eps2
            e -= m[i] * m[j] / math.sqrt(d2)
    return e


# -- stream ------------------------------------------------------------------------


def triad(a, b, c, scalar):
    """Pure-Python nogilkit.triad: ``a[i] = b[i] + scalar * c[i]`` in place; returns a."""
    for i, (x, y) in enumerate(zip(b.tolist(), c.tolist())):
        a[i] = x + scalar * y
    return a


def _pairwise(values):
    if len(values) == 1:
        return values[0]
    half = len(values) // 2
    return _pairwise(values[:half]) + _pairwise(values[half:])


def total(a):
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


def histogram(data, bins, range):
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
