"""nogilkit.nbody and nogilkit.nbody_direct: gravitational N-body integrators."""

import numpy as np

from . import _validation
from ._ext.nbody import AccelerationJob, advance_bodies
from ._parallel import resolve_threads, run_job

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


def nbody(steps, *, dt=0.01):
    """The Benchmarks Game's n-body: integrate the Sun and four giant planets.

    Symplectic Euler steps of the five-body system, computed with the GIL
    released; serial by nature (ten pairs), it is the single-thread speed
    reference. Published values: 1000 steps give -0.169075164 and
    -0.169087605.

    Parameters
    ----------
    steps : int
        Steps to take, >= 0.
    dt : float
        Time step in years (finite).

    Returns
    -------
    (float, float)
        The energy before and after, equal bit for bit to
        ``nogilkit.reference.nbody``.
    """
    from .reference import five_body_energy

    steps = _validation.integer("steps", steps, minimum=0)
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


def nbody_direct(positions, velocities, masses, steps, *, dt, softening, threads=None):
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
        Threads for the accelerations (None: every available CPU).

    Returns
    -------
    (positions, velocities) : two float64 arrays of shape (n, 3)
    """
    positions, velocities, masses, steps, dt, softening = check_nbody_direct_args(
        positions, velocities, masses, steps, dt, softening
    )
    threads = resolve_threads(threads)
    chunk = max(1, positions.shape[0] // (16 * threads))
    accelerations = np.empty_like(positions)

    def accelerate():
        run_job(AccelerationJob(positions, masses, accelerations, softening, chunk).work, threads)

    half = 0.5 * dt
    if steps:
        accelerate()
    for _ in range(steps):
        velocities += half * accelerations
        positions += dt * velocities
        accelerate()
        velocities += half * accelerations
    return positions, velocities
