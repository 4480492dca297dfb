"""Checked by mypy in tests/test_typing.py: each call is wrong, and must be reported."""

import nogilkit

nogilkit.mandelbrot("80", 60)
nogilkit.spectral_norm(100, threads="all")
nogilkit.nbody(10, threads=2)
