import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nogilkit
from nogilkit import reference, vectorized
from nogilkit._ext.stream import SUM_BLOCK_SIZE

from .gil import releases_gil

# -- triad --------------------------------------------------------------------------


def arrays(n, seed=0):
    rng = np.random.default_rng(seed)
    return np.empty(n), rng.normal(size=n), rng.normal(size=n)


@pytest.mark.parametrize("n", [0, 1, 7, 1000, 200_003])
def test_triad_equals_numpy_and_reference(n):
    a, b, c = arrays(n)
    out = nogilkit.triad(a, b, c, 3.0)
    assert out is a
    np.testing.assert_array_equal(a, b + 3.0 * c)
    np.testing.assert_array_equal(vectorized.triad(np.empty(n), b, c, 3.0), a)
    if n <= 1000:
        np.testing.assert_array_equal(reference.triad(np.empty(n), b, c, 3.0), a)


@pytest.mark.parametrize("threads", [1, 2, 3, 8, 100])
def test_triad_independent_of_threads(threads):
    a, b, c = arrays(300_001)
    nogilkit.triad(a, b, c, -0.5, threads=threads)
    np.testing.assert_array_equal(a, b + -0.5 * c)


def test_triad_in_place_aliasing_is_allowed():
    _, b, c = arrays(1000)
    expected = b + 2.0 * c
    nogilkit.triad(b, b, c, 2.0)
    np.testing.assert_array_equal(b, expected)


@pytest.mark.parametrize(
    "make,error,match",
    [
        (lambda a, b, c: (list(a), b, c), TypeError, "a must be a numpy.ndarray"),
        (lambda a, b, c: (a.astype(np.float32), b, c), TypeError, "a must have dtype float64"),
        (lambda a, b, c: (a, b.astype(np.int64), c), TypeError, "b must have dtype float64"),
        (lambda a, b, c: (a.reshape(10, 10), b, c), ValueError, "a must be a 1-D array"),
        (lambda a, b, c: (a, b, np.ones(200)[::2]), ValueError, "c must be C-contiguous"),
        (lambda a, b, c: (a, b[:50], c), ValueError, "same length"),
        (lambda a, b, c: (a[1:], a[:-1], c[1:]), ValueError, "a must be b itself or not overlap"),
    ],
)
def test_triad_bad_arrays_raise(make, error, match):
    a, b, c = make(*arrays(100))
    with pytest.raises(error, match=match):
        nogilkit.triad(a, b, c, 1.0)


def test_triad_read_only_output_and_bad_scalar_raise():
    a, b, c = arrays(10)
    with pytest.raises(ValueError, match="scalar must be finite"):
        nogilkit.triad(a, b, c, math.nan)
    a.flags.writeable = False
    with pytest.raises(ValueError, match="a must be writeable"):
        nogilkit.triad(a, b, c, 1.0)


# -- total --------------------------------------------------------------------------

SIZES = [0, 1, 7, 8, 9, SUM_BLOCK_SIZE - 1, SUM_BLOCK_SIZE, SUM_BLOCK_SIZE + 1, 5 * SUM_BLOCK_SIZE + 13]


@pytest.mark.parametrize("n", SIZES)
def test_total_equals_reference_and_is_close_to_numpy(n):
    a = np.random.default_rng(n).normal(size=n)
    got = nogilkit.total(a)
    assert got == reference.total(a)
    assert math.isclose(got, float(np.sum(a)), rel_tol=1e-12, abs_tol=1e-12)


@pytest.mark.parametrize("threads", [2, 3, 8, 1000])
def test_total_bitwise_independent_of_threads(threads):
    a = np.random.default_rng(1).normal(size=1_000_003)
    assert nogilkit.total(a, threads=threads) == nogilkit.total(a, threads=1)


def test_total_converts_other_real_arrays():
    assert nogilkit.total([1, 2, 3]) == 6.0
    assert nogilkit.total(np.arange(10, dtype=np.int32)) == 45.0
    strided = np.arange(20.0)[::2]
    assert nogilkit.total(strided) == reference.total(strided) == 90.0


def test_total_propagates_nan_and_inf():
    assert math.isnan(nogilkit.total(np.array([1.0, np.nan, 2.0])))
    assert nogilkit.total(np.array([1.0, np.inf])) == math.inf


@pytest.mark.parametrize(
    "value,error,match",
    [
        (np.ones((2, 2)), ValueError, "a must be a 1-D array"),
        (np.array(["x"]), TypeError, "a must be an array of real numbers"),
        (np.ones(3, dtype=complex), TypeError, "a must be an array of real numbers"),
    ],
)
def test_total_bad_input_raises(value, error, match):
    with pytest.raises(error, match=match):
        nogilkit.total(value)


def error_bound(values):
    """A bound on the rounding error of any blocked or pairwise sum of these values."""
    return 4 * len(values) * np.finfo(float).eps * float(np.sum(np.abs(values))) + 1e-300


@settings(max_examples=150, deadline=None)
@given(hnp.arrays(np.float64, st.integers(0, 3 * SUM_BLOCK_SIZE),
                  elements=st.floats(-1e6, 1e6, allow_nan=False)))
def test_total_is_accurate_on_arbitrary_arrays(values):
    exact = math.fsum(values.tolist())
    got = nogilkit.total(values, threads=3)
    assert abs(got - exact) <= error_bound(values)
    assert abs(float(np.sum(values)) - exact) <= error_bound(values)


@settings(max_examples=50, deadline=None)
@given(hnp.arrays(np.float64, st.integers(0, 100)))
def test_total_matches_reference_on_any_floats(values):
    got, expected = nogilkit.total(values), reference.total(values)
    assert got == expected or (math.isnan(got) and math.isnan(expected))


@pytest.mark.parametrize("threads", [1, 2])
def test_stream_kernels_release_the_gil(threads):
    a, b, c = arrays(4_000_000)

    def work():
        for _ in range(15):
            nogilkit.triad(a, b, c, 2.0, threads=threads)
            nogilkit.total(a, threads=threads)

    assert releases_gil(work)
