import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nogilkit
from nogilkit import reference, vectorized

from . import strategies

IMPLEMENTATIONS = [nogilkit.mandelbrot, reference.mandelbrot, vectorized.mandelbrot]


@pytest.mark.parametrize("mandelbrot", IMPLEMENTATIONS)
@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"width": 0}, ValueError, "width must be >= 1"),
        ({"width": -5}, ValueError, "width must be >= 1"),
        ({"width": 3.0}, TypeError, "width must be an integer"),
        ({"width": "3"}, TypeError, "width must be an integer"),
        ({"width": True}, TypeError, "width must be an integer"),
        ({"width": None}, TypeError, "width must be an integer"),
        ({"height": 0}, ValueError, "height must be >= 1"),
        ({"height": 2.5}, TypeError, "height must be an integer"),
        ({"max_iter": 0}, ValueError, "max_iter must be >= 1"),
        ({"max_iter": 2**31}, ValueError, "max_iter must be <= 2147483647"),
        ({"max_iter": 10.0}, TypeError, "max_iter must be an integer"),
        ({"region": (0.5, -2.0, -1.0, 1.0)}, ValueError, "xmin < xmax"),
        ({"region": (-2.0, -2.0, -1.0, 1.0)}, ValueError, "xmin < xmax"),
        ({"region": (-2.0, 0.5, 1.0, -1.0)}, ValueError, "ymin < ymax"),
        ({"region": (-2.0, 0.5, -1.0)}, ValueError, "region must have 4 items"),
        ({"region": 3.0}, TypeError, "region must be a sequence"),
        ({"region": (-2.0, math.nan, -1.0, 1.0)}, ValueError, r"region\[1\] \(xmax\) must be finite"),
        ({"region": (-2.0, math.inf, -1.0, 1.0)}, ValueError, "must be finite"),
        ({"region": (-2.0, "0.5", -1.0, 1.0)}, TypeError, r"region\[1\] \(xmax\) must be a real"),
        ({"region": (-1e308, 1e308, -1.0, 1.0)}, ValueError, "finite width and height"),
    ],
)
def test_bad_arguments_raise(mandelbrot, kwargs, error, match):
    args = {"width": 8, "height": 6, "max_iter": 10} | kwargs
    with pytest.raises(error, match=match):
        mandelbrot(**args)


@pytest.mark.parametrize(
    "threads,error,match",
    [
        (0, ValueError, "threads must be >= 1"),
        (-1, ValueError, "threads must be >= 1"),
        (2.0, TypeError, "threads must be an integer"),
        ("2", TypeError, "threads must be an integer"),
        (False, TypeError, "threads must be an integer"),
    ],
)
@pytest.mark.parametrize(
    "kernel",
    [
        lambda threads: nogilkit.mandelbrot(8, 6, 10, threads=threads),
        lambda threads: nogilkit.kmeans([[0.0], [1.0]], 1, threads=threads),
    ],
    ids=["mandelbrot", "kmeans"],
)
def test_bad_threads_raise(kernel, threads, error, match):
    with pytest.raises(error, match=match):
        kernel(threads)


@pytest.mark.parametrize(
    "out,error,match",
    [
        ([[0] * 8] * 6, TypeError, "out must be a numpy.ndarray"),
        (np.zeros((6, 8), dtype=np.int64), TypeError, "out must have dtype int32"),
        (np.zeros((6, 8), dtype=np.float64), TypeError, "out must have dtype int32"),
        (np.zeros((8, 6), dtype=np.int32), ValueError, r"out must have shape \(6, 8\)"),
        (np.zeros(48, dtype=np.int32), ValueError, r"out must have shape \(6, 8\)"),
        (np.zeros((8, 6), dtype=np.int32).T, ValueError, "out must be C-contiguous"),
        (np.zeros((6, 16), dtype=np.int32)[:, ::2], ValueError, "out must be C-contiguous"),
    ],
)
def test_bad_out_raises(out, error, match):
    with pytest.raises(error, match=match):
        nogilkit.mandelbrot(8, 6, 10, out=out)


def test_read_only_out_raises():
    out = np.zeros((6, 8), dtype=np.int32)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="out must be writeable"):
        nogilkit.mandelbrot(8, 6, 10, out=out)


def test_numpy_integers_are_accepted():
    np.testing.assert_array_equal(
        nogilkit.mandelbrot(np.int64(9), np.int16(4), np.uint8(30), threads=np.int32(2)),
        reference.mandelbrot(9, 4, 30),
    )


def test_private_job_rejects_what_would_crash():
    from nogilkit._ext.mandelbrot import MandelbrotJob

    out = np.zeros((4, 4), dtype=np.int32)
    with pytest.raises(ValueError, match="band_rows"):
        MandelbrotJob(out, -2.0, 0.5, -1.0, 1.0, 10, 0)
    with pytest.raises(TypeError):
        MandelbrotJob(None, -2.0, 0.5, -1.0, 1.0, 10, 1)
    with pytest.raises(ValueError):  # the buffer dtype mismatch
        MandelbrotJob(out.astype(np.int64), -2.0, 0.5, -1.0, 1.0, 10, 1)


anything = strategies.anything | st.tuples(st.floats(), st.floats(), st.floats(), st.floats())


@settings(max_examples=300, deadline=None)
@given(width=anything, height=anything, max_iter=anything, region=anything, threads=anything)
def test_arbitrary_arguments_never_crash(width, height, max_iter, region, threads):
    """Any argument either works or raises TypeError/ValueError; nothing crashes."""
    # Keep accidental valid sizes small enough to run quickly.
    for value in (width, height):
        if isinstance(value, int) and not isinstance(value, bool) and value > 64:
            return
    if isinstance(max_iter, int) and not isinstance(max_iter, bool) and 50 < max_iter < 2**31:
        return
    try:
        image = nogilkit.mandelbrot(width, height, max_iter, region=region, threads=threads)
    except (TypeError, ValueError):
        return
    expected = reference.mandelbrot(width, height, max_iter, region=region)
    np.testing.assert_array_equal(image, expected)


@settings(max_examples=60, deadline=None)
@given(
    width=st.integers(1, 40),
    height=st.integers(1, 12),
    max_iter=st.integers(1, 60),
    xmin=st.floats(-4, 4),
    xspan=st.floats(1e-9, 8),
    ymin=st.floats(-4, 4),
    yspan=st.floats(1e-9, 8),
    threads=st.integers(1, 5),
)
def test_kernel_matches_reference_on_arbitrary_regions(
    width, height, max_iter, xmin, xspan, ymin, yspan, threads
):
    region = (xmin, xmin + xspan, ymin, ymin + yspan)
    if not (region[0] < region[1] and region[2] < region[3]):
        return
    expected = reference.mandelbrot(width, height, max_iter, region=region)
    np.testing.assert_array_equal(
        nogilkit.mandelbrot(width, height, max_iter, region=region, threads=threads), expected
    )
    np.testing.assert_array_equal(
        vectorized.mandelbrot(width, height, max_iter, region=region), expected
    )
