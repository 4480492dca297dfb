import numpy as np
import pytest

import nogilkit
from nogilkit import reference, vectorized

from .gil import releases_gil

# -- five bodies --------------------------------------------------------------------


def test_published_values_1000_steps():
    before, after = nogilkit.nbody(1000)
    assert (f"{before:.9f}", f"{after:.9f}") == ("-0.169075164", "-0.169087605")


@pytest.mark.parametrize("steps,dt", [(0, 0.01), (1, 0.01), (250, 0.01), (100, 0.003), (50, -0.01)])
def test_equals_pure_python_reference(steps, dt):
    assert nogilkit.nbody(steps, dt=dt) == reference.nbody(steps, dt=dt)


def test_zero_steps_keeps_energy():
    before, after = nogilkit.nbody(0)
    assert before == after


def test_nbody_releases_the_gil():
    assert releases_gil(lambda: nogilkit.nbody(300_000))


@pytest.mark.parametrize("function", [nogilkit.nbody, reference.nbody])
@pytest.mark.parametrize(
    "args,kwargs,error,match",
    [
        ((-1,), {}, ValueError, "steps must be >= 0"),
        ((1.5,), {}, TypeError, "steps must be an integer"),
        ((10,), {"dt": float("nan")}, ValueError, "dt must be finite"),
        ((10,), {"dt": "0.1"}, TypeError, "dt must be a real number"),
    ],
)
def test_nbody_bad_arguments_raise(function, args, kwargs, error, match):
    with pytest.raises(error, match=match):
        function(*args, **kwargs)


# -- many bodies --------------------------------------------------------------------


def cluster(n, seed=0):
    """A random cluster of n bodies with total mass 1, at rest in its centre of mass."""
    rng = np.random.default_rng(seed)
    positions = rng.normal(size=(n, 3))
    velocities = 0.3 * rng.normal(size=(n, 3))
    masses = rng.uniform(0.5, 1.5, size=n)
    masses /= masses.sum()
    velocities -= (masses[:, None] * velocities).sum(axis=0) / masses.sum()
    return positions, velocities, masses


@pytest.mark.parametrize("n,steps,softening", [(1, 3, 0.0), (2, 5, 0.0), (7, 4, 0.1), (20, 3, 0.01)])
def test_direct_equals_pure_python_reference(n, steps, softening):
    r, v, m = cluster(n)
    got = nogilkit.nbody_direct(r, v, m, steps, dt=0.01, softening=softening, threads=1)
    expected = reference.nbody_direct(r, v, m, steps, dt=0.01, softening=softening)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])


def test_direct_close_to_numpy_version():
    r, v, m = cluster(300)
    got = nogilkit.nbody_direct(r, v, m, 5, dt=0.01, softening=0.05)
    expected = vectorized.nbody_direct(r, v, m, 5, dt=0.01, softening=0.05)
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("threads", [2, 3, 8, 100])
def test_direct_bitwise_independent_of_threads(threads):
    r, v, m = cluster(61)
    one = nogilkit.nbody_direct(r, v, m, 3, dt=0.01, softening=0.05, threads=1)
    many = nogilkit.nbody_direct(r, v, m, 3, dt=0.01, softening=0.05, threads=threads)
    np.testing.assert_array_equal(one[0], many[0])
    np.testing.assert_array_equal(one[1], many[1])


# The documented energy tolerance (nbody_direct's docstring): leapfrog keeps the
# relative energy error of this cluster (64 bodies, softening 0.05, 200 steps of
# dt = 1e-3) below 1e-7 (measured: 9.5e-9), and the error scales as dt**2.
ENERGY_TOLERANCE = 1e-7


def relative_energy_error(steps, dt):
    r, v, m = cluster(64, seed=3)
    e0 = vectorized.nbody_direct_energy(r, v, m, 0.05)
    r1, v1 = nogilkit.nbody_direct(r, v, m, steps, dt=dt, softening=0.05)
    return abs((vectorized.nbody_direct_energy(r1, v1, m, 0.05) - e0) / e0), m, v1


def test_direct_conserves_energy_within_documented_tolerance():
    error, m, v1 = relative_energy_error(200, 1e-3)
    assert error < ENERGY_TOLERANCE
    # and momentum to rounding (forces are pairwise equal and opposite)
    np.testing.assert_allclose((m[:, None] * v1).sum(axis=0), 0.0, atol=1e-14)


def test_direct_energy_error_is_second_order():
    coarse, _, _ = relative_energy_error(50, 4e-3)
    fine, _, _ = relative_energy_error(100, 2e-3)
    assert 3.0 < coarse / fine < 5.0  # halving dt quarters the error


def test_energy_functions_agree():
    r, v, m = cluster(12)
    assert np.isclose(vectorized.nbody_direct_energy(r, v, m, 0.1),
                      reference.nbody_direct_energy(r, v, m, 0.1), rtol=1e-13)


def test_direct_two_body_orbit_returns():
    # Two equal masses on a circular orbit: after one period they are back.
    m = np.array([0.5, 0.5])
    r = np.array([[-0.5, 0.0, 0.0], [0.5, 0.0, 0.0]])
    speed = np.sqrt(0.5 / (4 * 0.5))  # v^2 / (d/2) = m / d^2 with d = 1
    v = np.array([[0.0, -speed, 0.0], [0.0, speed, 0.0]])
    period = 2 * np.pi * 0.5 / speed
    steps = 4000
    r1, v1 = nogilkit.nbody_direct(r, v, m, steps, dt=period / steps, softening=0.0)
    np.testing.assert_allclose(r1, r, atol=1e-4)
    np.testing.assert_allclose(v1, v, atol=1e-4)


def test_direct_does_not_modify_inputs_and_accepts_lists():
    r, v, m = cluster(5)
    saved = r.copy(), v.copy(), m.copy()
    out = nogilkit.nbody_direct(r.tolist(), v.tolist(), m.tolist(), 2, dt=0.01, softening=0.1)
    for before, after in zip(saved, (r, v, m)):
        np.testing.assert_array_equal(before, after)
    expected = nogilkit.nbody_direct(r, v, m, 2, dt=0.01, softening=0.1)
    np.testing.assert_array_equal(out[0], expected[0])


def test_direct_zero_steps_and_zero_bodies():
    r, v, m = cluster(4)
    r1, v1 = nogilkit.nbody_direct(r, v, m, 0, dt=0.01, softening=0.0)
    np.testing.assert_array_equal(r1, r)
    assert r1 is not r
    empty = np.empty((0, 3))
    r0, v0 = nogilkit.nbody_direct(empty, empty, np.empty(0), 3, dt=0.01, softening=0.0)
    assert r0.shape == v0.shape == (0, 3)


@pytest.mark.parametrize("threads", [1, 2])
def test_direct_releases_the_gil(threads):
    r, v, m = cluster(700)
    assert releases_gil(
        lambda: nogilkit.nbody_direct(r, v, m, 2, dt=0.01, softening=0.05, threads=threads)
    )


GOOD = cluster(3)


@pytest.mark.parametrize("function", [nogilkit.nbody_direct, reference.nbody_direct,
                                      vectorized.nbody_direct])
@pytest.mark.parametrize(
    "change,error,match",
    [
        ({"positions": np.zeros((3, 2))}, ValueError, r"positions must have shape \(n, 3\)"),
        ({"positions": np.zeros(9)}, ValueError, "positions must be a 2-D array"),
        ({"positions": [["a", "b", "c"]] * 3}, TypeError, "positions must be an array of real"),
        ({"positions": np.full((3, 3), np.nan)}, ValueError, "positions must contain only finite"),
        ({"velocities": np.zeros((2, 3))}, ValueError, r"velocities must have shape \(3, 3\)"),
        ({"velocities": np.zeros((3, 3), dtype=complex)}, TypeError, "velocities must be an array"),
        ({"masses": np.ones(2)}, ValueError, r"masses must have shape \(3,\)"),
        ({"masses": -np.ones(3)}, ValueError, "masses must be >= 0"),
        ({"masses": [1.0, np.inf, 1.0]}, ValueError, "masses must contain only finite"),
        ({"steps": -1}, ValueError, "steps must be >= 0"),
        ({"steps": 2.0}, TypeError, "steps must be an integer"),
        ({"dt": np.inf}, ValueError, "dt must be finite"),
        ({"softening": -0.1}, ValueError, "softening must be >= 0"),
        ({"softening": None}, TypeError, "softening must be a real number"),
    ],
)
def test_direct_bad_arguments_raise(function, change, error, match):
    args = dict(zip(("positions", "velocities", "masses"), GOOD), steps=1, dt=0.01, softening=0.1)
    args.update(change)
    with pytest.raises(error, match=match):
        function(args.pop("positions"), args.pop("velocities"), args.pop("masses"),
                 args.pop("steps"), **args)
