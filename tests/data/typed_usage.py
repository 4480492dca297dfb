"""Checked by mypy in tests/test_typing.py: the public API's annotations as a
user's type checker sees them (never run)."""

from typing import Any

import numpy as np
from typing_extensions import assert_type

import nogilkit
from nogilkit.engine.function_compare import FunctionReport
from nogilkit.engine.report import Report

image = nogilkit.mandelbrot(80, 60, 100, threads=2)
assert_type(image, np.ndarray)
assert_type(nogilkit.spectral_norm(100), float)
assert_type(nogilkit.nbody(1000), tuple[float, float])
assert_type(nogilkit.total(np.arange(10.0)), float)
assert_type(nogilkit.histogram([0.5], 2, (0.0, 1.0), threads=None), np.ndarray)
result = nogilkit.kmeans(np.zeros((4, 2)), 2, max_iter=3)
assert_type(result, nogilkit.KMeansResult)
assert_type(result.labels, np.ndarray)
assert_type(nogilkit.probe(sum, ([1, 2],)), nogilkit.ProbeResult)


def square(x: int) -> int:
    return x * x


assert_type(nogilkit.compare(square, range(4), strategies=["serial"]), FunctionReport)
assert_type(nogilkit.compare(["mandelbrot"], ["cython"], size="tiny"), Report)
options: Any = None
