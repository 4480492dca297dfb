"""Which instruction set the vectorised kernels run with (ext/nogilkit_simd.h).

Each vectorised kernel has a baseline path, which every CPU of the wheel's
architecture runs, and on x86-64 AVX2 and AVX-512 paths (on aarch64 a NEON
one), all with the same results bit for bit. On import the kernels take the
best path this CPU supports, up to the kernel's own cap where a wider one
measured no faster, or a lower one named by the environment variable
NOGILKIT_SIMD (``PATHS``: baseline, avx2, avx512 on x86-64, baseline, neon
on aarch64; auto or empty: the best). ``use()`` changes the path of every
kernel, ``forced()`` for a block of code (tests, and the comparison engine's
rows of the baseline path beside the vector one).
"""

import contextlib
import os
import warnings

from ._ext import _buildinfo, histogram, kmeans, mandelbrot, nbody, nbody_direct, spectral_norm, stream

__all__ = ["ENVIRONMENT_VARIABLE", "PATHS", "forced", "paths", "preserved", "supported", "use", "use_default"]

ENVIRONMENT_VARIABLE = "NOGILKIT_SIMD"
PATHS = _buildinfo.simd_path_names()  # this architecture's, level 0 first
# Each kernel's SIMD_AUTO_CAP, use_simd_level(level) and simd_level_in_use():
# its module, or for the stream module's two kernels an object each.
KERNELS = {"mandelbrot": mandelbrot, "spectral_norm": spectral_norm, "kmeans": kmeans,
           "nbody": nbody, "nbody_direct": nbody_direct, "histogram": histogram,
           "triad": stream.triad_simd, "total": stream.total_simd}


def supported():
    """The paths this build and CPU can run, baseline first."""
    return PATHS[:_buildinfo.simd_best_level() + 1]


def paths():
    """The path each vectorised kernel runs with now, e.g. {"mandelbrot": "avx512"}."""
    return {name: PATHS[kernel.simd_level_in_use()] for name, kernel in KERNELS.items()}


def _requested_level(request, argument):
    """The level ``request`` names, or None for the best (auto)."""
    if not isinstance(request, str):
        raise TypeError(f"{argument} must be a str, got {type(request).__name__}")
    name = request.strip().lower()
    if name in ("", "auto"):
        return None
    if name not in PATHS:
        raise ValueError(f"{argument} must be one of auto, {', '.join(PATHS)}; got {request!r}")
    return PATHS.index(name)


def use(request="auto", *, argument="request"):
    """Run every vectorised kernel with ``request`` ("auto" for the best; a path
    above what the CPU supports gives the best it does). Returns ``paths()``."""
    level = _requested_level(request, argument)
    best = _buildinfo.simd_best_level()
    for kernel in KERNELS.values():
        cap = kernel.SIMD_AUTO_CAP if level is None else level
        kernel.use_simd_level(min(cap, best))
    return paths()


@contextlib.contextmanager
def preserved():
    """The paths before the block, back after it (whatever it set)."""
    before = {kernel: kernel.simd_level_in_use() for kernel in KERNELS.values()}
    try:
        yield
    finally:
        for kernel, level in before.items():
            kernel.use_simd_level(level)


@contextlib.contextmanager
def forced(request):
    """``use(request)`` inside the block; the paths before it after."""
    with preserved():
        yield use(request)


def use_default():
    """``use()`` what NOGILKIT_SIMD asked for when nogilkit was imported."""
    return use(_default)


def _use_environment():
    global _default
    _default = os.environ.get(ENVIRONMENT_VARIABLE, "")
    try:
        use(_default, argument=ENVIRONMENT_VARIABLE)
    except ValueError as exc:
        warnings.warn(f"{exc}; using the best path", RuntimeWarning, stacklevel=3)
        _default = "auto"
        use(_default)


_default = "auto"
_use_environment()  # once, when the kernels are first imported
