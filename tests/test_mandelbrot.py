import numpy as np
import pytest

import nogilkit
from nogilkit import reference, vectorized

from .gil import progress_during, releases_gil

CASES = [
    # (width, height, max_iter, region)
    (1, 1, 1, (-2.0, 0.5, -1.25, 1.25)),
    (7, 5, 20, (-2.0, 0.5, -1.25, 1.25)),
    (37, 23, 100, (-2.0, 0.5, -1.25, 1.25)),
    (64, 48, 256, (-2.0, 0.5, -1.25, 1.25)),
    (19, 31, 500, (-0.75, -0.73, 0.1, 0.12)),  # on the boundary: long orbits
    (33, 9, 64, (-3.0, 3.0, -2.0, 2.0)),  # mostly outside the set
    (16, 16, 1000, (-0.1, 0.1, -0.1, 0.1)),  # inside the set: every pixel hits max_iter
    (10, 4, 30, (-1e200, 1e200, -1e200, 1e200)),  # |c|**2 overflows to inf
]


@pytest.mark.parametrize("width,height,max_iter,region", CASES)
def test_kernel_equals_reference_and_numpy(width, height, max_iter, region):
    expected = reference.mandelbrot(width, height, max_iter, region=region)
    assert expected.dtype == np.int32 and expected.shape == (height, width)
    got = nogilkit.mandelbrot(width, height, max_iter, region=region, threads=1)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(
        vectorized.mandelbrot(width, height, max_iter, region=region), expected
    )


def test_known_values():
    # c = 0 never escapes; c = 1 escapes after 3 iterations (0, 1, 2, 5).
    image = nogilkit.mandelbrot(4, 2, 50, region=(-2.0, 2.0, -1.0, 1.0))
    # column x has re(c) = -2 + x; row 1 has im(c) = 0
    assert image[1, 2] == 50  # c = 0
    assert image[1, 3] == 3  # c = 1
    assert image[1, 0] == 50  # c = -2: z stays at 2, |z|**2 == 4 is not > 4


def test_max_iter_caps_counts():
    image = nogilkit.mandelbrot(50, 40, 7)
    assert image.min() >= 1 and image.max() == 7


def test_defaults():
    image = nogilkit.mandelbrot(40, 30)
    np.testing.assert_array_equal(image, reference.mandelbrot(40, 30, 256))


@pytest.mark.parametrize("threads", [1, 2, 3, 7, 64, 200])
def test_result_independent_of_threads(threads):
    expected = nogilkit.mandelbrot(96, 50, 200, threads=1)
    np.testing.assert_array_equal(nogilkit.mandelbrot(96, 50, 200, threads=threads), expected)
    # More threads than rows.
    np.testing.assert_array_equal(
        nogilkit.mandelbrot(96, 3, 200, threads=threads),
        nogilkit.mandelbrot(96, 3, 200, threads=1),
    )


def test_threads_none_uses_available_cpus():
    np.testing.assert_array_equal(
        nogilkit.mandelbrot(30, 20, 50), nogilkit.mandelbrot(30, 20, 50, threads=1)
    )
    assert nogilkit.available_cpus() >= 1


def test_out_is_filled_and_returned():
    out = np.full((20, 30), -1, dtype=np.int32)
    result = nogilkit.mandelbrot(30, 20, 50, out=out)
    assert result is out
    np.testing.assert_array_equal(out, reference.mandelbrot(30, 20, 50))


def test_concurrent_callers_share_the_pool():
    from concurrent.futures import ThreadPoolExecutor

    expected = nogilkit.mandelbrot(64, 40, 100, threads=1)
    with ThreadPoolExecutor(4) as callers:
        results = list(callers.map(lambda _: nogilkit.mandelbrot(64, 40, 100, threads=3), range(12)))
    for result in results:
        np.testing.assert_array_equal(result, expected)


def test_called_from_inside_the_shared_pool_does_not_deadlock():
    # Every pool thread runs a kernel that itself asks the pool for threads.
    from nogilkit.kernels._pool import POOL_MAX_WORKERS, shared_pool

    expected = nogilkit.mandelbrot(32, 16, 50, threads=1)
    futures = [
        shared_pool().submit(nogilkit.mandelbrot, 32, 16, 50, threads=4)
        for _ in range(POOL_MAX_WORKERS + 8)
    ]
    for future in futures:
        np.testing.assert_array_equal(future.result(timeout=60), expected)


# -- the GIL is released ---------------------------------------------------

GIL_TEST_SIZE = (600, 600, 256)  # ~0.02-0.1 s of kernel time on one core


def _slow_kernel(threads):
    def run():
        for _ in range(4):
            nogilkit.mandelbrot(*GIL_TEST_SIZE, threads=threads)

    return run


@pytest.mark.parametrize("threads", [1, 2])
def test_kernel_releases_the_gil(threads):
    assert releases_gil(_slow_kernel(threads))


def test_gil_probe_detects_a_gil_holding_call():
    # The control: pure-Python work of a similar duration holds the GIL, and
    # the probe must see it, or the test above would prove nothing.
    def python_work():
        reference.mandelbrot(60, 20, 256)

    assert progress_during(python_work) < 0.05
