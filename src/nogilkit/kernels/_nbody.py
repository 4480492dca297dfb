"""The N-body family: gravitational integrators.

``nbody`` (the Benchmarks Game's five bodies, serial) and ``nbody_direct``
(direct summation over many bodies, parallel over bodies), their pure-Python
definitions, NumPy twins and the workload ``nbody``: O(n^2) work on shared
read-only data.
"""

from __future__ import annotations

import functools
import math
import sys

import numpy as np
from numpy.typing import ArrayLike

from .. import _validation
from .._ext.nbody import advance_bodies
from .._ext.nbody_direct import AccelerationJob, accelerations_band
from .._workload import CheckFailed, Problem, Workload, even_ranges
from ._family import Benchmark, Family
from ._pool import resolve_threads, run_job

__all__ = ["nbody", "nbody_direct"]

# The Computer Language Benchmarks Game's Jovian system (its constants, in
# AU, years and solar masses).
PI = 3.141592653589793
SOLAR_MASS = 4 * PI * PI
DAYS_PER_YEAR = 365.24
_PLANETS = [
    # position (AU), velocity (AU/day), mass (solar masses)
    ((4.84143144246472090e00, -1.16032004402742839e00, -1.03622044471123109e-01),
     (1.66007664274403694e-03, 7.69901118419740425e-03, -6.90460016972063023e-05),
     9.54791938424326609e-04),  # Jupiter
    ((8.34336671824457987e00, 4.12479856412430479e00, -4.03523417114321381e-01),
     (-2.76742510726862411e-03, 4.99852801234917238e-03, 2.30417297573763929e-05),
     2.85885980666130812e-04),  # Saturn
    ((1.28943695621391310e01, -1.51111514016986312e01, -2.23307578892655734e-01),
     (2.96460137564761618e-03, 2.37847173959480950e-03, -2.96589568540237556e-05),
     4.36624404335156298e-05),  # Uranus
    ((1.53796971148509165e01, -2.59193146099879641e01, 1.79258772950371181e-01),
     (2.68067772490389322e-03, 1.62824170038242295e-03, -9.51592254519715870e-05),
     5.15138902046611451e-05),  # Neptune
]


def jovian_system():
    """(positions, velocities, masses) as lists: the Sun first, total momentum zero."""
    positions = [[0.0, 0.0, 0.0]] + [list(r) for r, _, _ in _PLANETS]
    velocities = [[0.0, 0.0, 0.0]] + [[x * DAYS_PER_YEAR for x in v] for _, v, _ in _PLANETS]
    masses = [SOLAR_MASS] + [m * SOLAR_MASS for _, _, m in _PLANETS]
    # Offset the Sun's velocity so that the system's momentum is zero.
    for k in range(3):
        momentum = 0.0
        for v, m in zip(velocities, masses):
            momentum += v[k] * m
        velocities[0][k] = -momentum / SOLAR_MASS
    return positions, velocities, masses


def nbody(steps: int, *, dt: float = 0.01) -> tuple[float, float]:
    """The Benchmarks Game's n-body: integrate the Sun and four giant planets.

    Symplectic Euler steps of the five-body system, computed with the GIL
    released; serial by nature (ten pairs), it is the single-thread speed
    reference. Published values: 1000 steps give -0.169075164 and
    -0.169087605.

    Parameters
    ----------
    steps : int
        Steps to take, 0 <= steps <= sys.maxsize; Ctrl-C stops any number.
    dt : float
        Time step in years (finite).

    Returns
    -------
    (float, float)
        The energy before and after, equal bit for bit to
        ``nogilkit.reference.nbody``.

    Examples
    --------
    >>> import nogilkit
    >>> before, after = nogilkit.nbody(1000)
    >>> f"{before:.9f} {after:.9f}"  # the Benchmarks Game's published values
    '-0.169075164 -0.169087605'
    """
    # The compiled loop counts steps in a C ssize_t.
    steps = _validation.integer("steps", steps, minimum=0, maximum=sys.maxsize)
    dt = _validation.finite_float("dt", dt)
    positions, velocities, masses = (np.array(x, dtype=np.float64) for x in jovian_system())
    before = five_body_energy(positions.tolist(), velocities.tolist(), masses.tolist())
    advance_bodies(positions, velocities, masses, steps, dt)
    after = five_body_energy(positions.tolist(), velocities.tolist(), masses.tolist())
    return before, after


def check_nbody_direct_args(positions, velocities, masses, steps, dt, softening):
    """Validated, copied (positions, velocities, masses, steps, dt, softening)."""
    positions = _validation.real_array("positions", positions, ndim=2, copy=True)
    n = positions.shape[0]
    if positions.shape[1] != 3:
        raise ValueError(f"positions must have shape (n, 3), got {positions.shape}")
    velocities = _validation.real_array("velocities", velocities, ndim=2, copy=True)
    if velocities.shape != (n, 3):
        raise ValueError(f"velocities must have shape {(n, 3)} like positions, got {velocities.shape}")
    masses = _validation.real_array("masses", masses, ndim=1)
    if masses.shape != (n,):
        raise ValueError(f"masses must have shape {(n,)}, one per body, got {masses.shape}")
    if (masses < 0).any():
        raise ValueError("masses must be >= 0")
    steps = _validation.integer("steps", steps, minimum=0)
    dt = _validation.finite_float("dt", dt)
    softening = _validation.finite_float("softening", softening, minimum=0.0)
    return positions, velocities, masses, steps, dt, softening


def nbody_direct(positions: ArrayLike, velocities: ArrayLike, masses: ArrayLike, steps: int, *,
                 dt: float, softening: float,
                 threads: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Integrate n gravitating bodies by direct summation (G = 1), in parallel over bodies.

    Leapfrog (kick-drift-kick, symplectic, second order): each step is
    ``v += dt/2 * a; r += dt * v; v += dt/2 * a(r)``, with the softened
    acceleration ``a_i = sum_{j != i} m_j (r_j - r_i) / (|r_j - r_i|^2 + softening^2)^(3/2)``.
    The O(n^2) accelerations run with the GIL released on ``threads``
    threads, each body's sum in index order, so the result is bitwise
    identical for any ``threads`` and equal to ``nogilkit.reference.nbody_direct``.

    Energy (``nogilkit.vectorized.nbody_direct_energy``) is not conserved
    exactly, but its error stays bounded and shrinks as dt**2. Tolerance:
    for a random cluster of 64 bodies of total mass 1 (unit-normal
    positions, softening 0.05), 200 steps of dt = 1e-3 keep the relative
    energy error below 1e-7 (measured 9.5e-9; tests/test_nbody.py checks
    both the bound and the dt**2 scaling). Momentum is conserved to rounding.

    Parameters
    ----------
    positions, velocities : array_like, shape (n, 3)
        Finite real values; copied as float64 (the inputs are not modified).
    masses : array_like, shape (n,)
        Finite, >= 0.
    steps : int
        Steps to take, >= 0.
    dt : float
        Time step (finite).
    softening : float
        Plummer softening length, >= 0. Bodies that coincide need softening > 0,
        or their accelerations are infinite.
    threads : int or None
        Threads for the accelerations (None: ``nogilkit.default_threads()``).

    Returns
    -------
    (positions, velocities) : two float64 arrays of shape (n, 3)

    Examples
    --------
    >>> import numpy as np, nogilkit
    >>> positions = np.array([[-1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    >>> r, v = nogilkit.nbody_direct(positions, np.zeros((2, 3)), np.ones(2), 1,
    ...                              dt=0.1, softening=0.0)
    >>> bool(r[0, 0] > -1.0 and r[1, 0] < 1.0)  # the two bodies fall together
    True
    """
    positions, velocities, masses, steps, dt, softening = check_nbody_direct_args(
        positions, velocities, masses, steps, dt, softening
    )
    threads = resolve_threads(threads)
    chunk = max(1, positions.shape[0] // (16 * threads))
    accelerations = np.empty_like(positions)

    def accelerate():
        run_job(AccelerationJob(positions, masses, accelerations, softening, chunk), threads)

    half = 0.5 * dt
    if steps:
        accelerate()
    for _ in range(steps):
        velocities += half * accelerations
        positions += dt * velocities
        accelerate()
        velocities += half * accelerations
    return positions, velocities


# -- the definitions, in pure Python -----------------------------------------------------


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


def reference_nbody(steps, *, dt=0.01):
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


def reference_nbody_direct(positions, velocities, masses, steps, *, dt, softening):
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


def reference_nbody_direct_energy(positions, velocities, masses, softening):
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


# -- the NumPy twins ---------------------------------------------------------------------


def numpy_accelerations(r, m, eps2, start=0, stop=None, rows=256):
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


def numpy_nbody_direct(positions, velocities, masses, steps, *, dt, softening):
    """NumPy nogilkit.nbody_direct: the same leapfrog, equal within rounding."""
    r, v, m, steps, dt, softening = check_nbody_direct_args(
        positions, velocities, masses, steps, dt, softening
    )
    eps2 = softening * softening
    half = 0.5 * dt
    a = numpy_accelerations(r, m, eps2) if steps else None
    for _ in range(steps):
        v += half * a
        r += dt * v
        a = numpy_accelerations(r, m, eps2)
        v += half * a
    return r, v


def numpy_nbody_direct_energy(positions, velocities, masses, softening):
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


# -- the workload ------------------------------------------------------------------------

DT = 1e-3
SOFTENING = 0.05


def cluster(n, seed=12345):
    """(positions, velocities, masses) of a random cluster of n bodies of total mass 1."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 3)), 0.1 * rng.normal(size=(n, 3)), np.full(n, 1.0 / n)


class NBodyWorkload(Workload):
    """Workload ``nbody``: direct-sum N-body, O(n^2) work on shared read-only data.

    Each time step's accelerations are one round of chunks (ranges of bodies);
    every chunk reads all positions, so under processes the positions travel to
    every worker every step. The leapfrog kicks and drift run in the caller.
    Sizes (bodies, steps): tiny 24/2, small 400/4, medium 1500/5, large 4096/10.
    Expected: the pure-Python reference (tiny, small), else the kernel on one
    thread (bitwise equal to it, tests/test_nbody.py).
    """

    name = "nbody"
    summary = "direct-sum N-body: each step reads every position (shared read-only data)"
    implementations = ("python", "numpy", "cython", "cython-baseline")
    vector_kernel = "nbody_direct"
    sizes = {
        "tiny": {"n": 24, "steps": 2},
        "small": {"n": 400, "steps": 4},
        "medium": {"n": 1500, "steps": 5},
        "large": {"n": 4096, "steps": 10},
    }

    def prepare(self, size):
        params = dict(self.sizes[size], dt=DT, softening=SOFTENING)
        r, v, m = cluster(params["n"])
        run = reference_nbody_direct if size in ("tiny", "small") else nbody_direct
        kwargs = {} if size in ("tiny", "small") else {"threads": 1}
        expected = run(r, v, m, params["steps"], dt=DT, softening=SOFTENING, **kwargs)
        return Problem(self.name, size, params,
                       arrays={"positions": r, "velocities": v, "masses": m}, expected=expected,
                       description=f"{params['n']} bodies, {params['steps']} steps")

    def execute(self, problem, n_chunks, run_round):
        p = problem.params
        positions = problem.arrays["positions"]
        velocities = problem.arrays["velocities"].copy()
        masses = problem.arrays["masses"]
        ranges = even_ranges(p["n"], n_chunks)

        def accelerate():
            return np.concatenate(run_round(ranges, {"positions": positions, "masses": masses}))

        half = 0.5 * p["dt"]
        if p["steps"]:
            a = accelerate()
        for _ in range(p["steps"]):
            velocities += half * a
            positions = positions + p["dt"] * velocities  # a new array: shipped anew each step
            a = accelerate()
            velocities += half * a
        return positions, velocities

    def run_chunk(self, params, arrays, spec, implementation):
        start, stop = spec
        r, m = arrays["positions"], arrays["masses"]
        eps2 = params["softening"] ** 2
        if implementation == "python":
            return np.array(accelerations(r.tolist(), m.tolist(), eps2, start, stop)).reshape(-1, 3)
        if implementation == "numpy":
            return numpy_accelerations(r, m, eps2, start, stop)
        if implementation == "cython":
            out = np.empty((stop - start, 3))
            accelerations_band(r, m, out, start, params["softening"])
            return out
        raise ValueError(f"unknown implementation {implementation!r}")

    def check(self, problem, result):
        expected_r, expected_v = problem.expected
        for name, got, want in (("positions", result[0], expected_r),
                                ("velocities", result[1], expected_v)):
            # python and cython are bitwise equal; NumPy sums in another order.
            if not np.allclose(got, want, rtol=1e-10, atol=1e-12):
                worst = float(np.max(np.abs(got - want)))
                raise CheckFailed(f"{name} differ from the reference by up to {worst:.3g}")


def _bodies(threads):
    r, v, m = cluster(600, seed=1)
    return functools.partial(nbody_direct, r, v, m, 2, dt=1e-3, softening=0.05, threads=threads)


FAMILY = Family(
    name="nbody",
    kernels=(nbody, nbody_direct),
    workload=NBodyWorkload(),
    references={"nbody": reference_nbody, "five_body_energy": five_body_energy,
                "nbody_direct": reference_nbody_direct, "accelerations": accelerations,
                "nbody_direct_energy": reference_nbody_direct_energy},
    numpy={"nbody_direct": numpy_nbody_direct, "accelerations": numpy_accelerations,
           "nbody_direct_energy": numpy_nbody_direct_energy},
    benchmarks=(
        Benchmark("nbody", "NBody", lambda threads: functools.partial(nbody, 20_000),
                  threaded=False),
        Benchmark("nbody_direct", "NBodyDirect", _bodies),
    ),
)
