import math
import sys

import pytest

import nogilkit
from nogilkit import reference, vectorized

from .gil import releases_gil


def test_published_value_n100():
    # The Benchmarks Game's published output for n = 100, 10 iterations.
    assert f"{nogilkit.spectral_norm(100):.9f}" == "1.274219991"


@pytest.mark.parametrize("n,iterations", [(1, 1), (2, 1), (3, 10), (17, 4), (64, 10), (100, 10)])
def test_equals_pure_python_reference(n, iterations):
    assert nogilkit.spectral_norm(n, iterations, threads=1) == reference.spectral_norm(n, iterations)


@pytest.mark.parametrize("n", [150, 500])
def test_close_to_numpy_version(n):
    assert math.isclose(nogilkit.spectral_norm(n), vectorized.spectral_norm(n), rel_tol=1e-13)


def test_n1_is_exact():
    # A = [[1]]: every product is the identity and the norm is 1.
    assert nogilkit.spectral_norm(1, 3) == 1.0


@pytest.mark.parametrize("threads", [2, 3, 8, 64, 500])
def test_independent_of_threads(threads):
    assert nogilkit.spectral_norm(97, 3, threads=threads) == nogilkit.spectral_norm(97, 3, threads=1)


@pytest.mark.parametrize("threads", [1, 2])
def test_releases_the_gil(threads):
    assert releases_gil(lambda: nogilkit.spectral_norm(700, 5, threads=threads))


@pytest.mark.parametrize("function", [nogilkit.spectral_norm, reference.spectral_norm,
                                      vectorized.spectral_norm])
@pytest.mark.parametrize(
    "args,error,match",
    [
        ((0,), ValueError, "n must be >= 1"),
        ((2**30 + 1,), ValueError, "n must be <= 1073741824"),
        ((10.0,), TypeError, "n must be an integer"),
        ((10, 0), ValueError, "iterations must be >= 1"),
        ((10, "3"), TypeError, "iterations must be an integer"),
    ],
)
def test_bad_arguments_raise(function, args, error, match):
    with pytest.raises(error, match=match):
        function(*args)


def test_bad_threads_raise():
    with pytest.raises(ValueError, match="threads must be >= 1"):
        nogilkit.spectral_norm(10, threads=0)


def test_private_job_checks_lengths():
    import numpy as np

    from nogilkit._ext.spectral_norm import PowerJob, dot

    with pytest.raises(ValueError, match="same length"):
        PowerJob(np.ones(3), np.empty(4), np.empty(3), 1, 1)
    with pytest.raises(ValueError, match="band_rows"):
        PowerJob(np.ones(3), np.empty(3), np.empty(3), 1, 0)
    with pytest.raises(ValueError, match="iterations must be >= 1"):
        PowerJob(np.ones(3), np.empty(3), np.empty(3), 0, 1)
    with pytest.raises(ValueError, match="iterations must be at most"):
        PowerJob(np.ones(3), np.empty(3), np.empty(3), sys.maxsize // 4, 1)
    with pytest.raises(ValueError, match="same length"):
        dot(np.ones(3), np.ones(2))
