"""nogilkit: Cython kernels that release the GIL, and an honest comparison of
threads, processes, asyncio and compiled code for CPU-bound work.

Kernels
-------
histogram   counts of float64 values in uniform bins, equal to numpy.histogram
mandelbrot  escape counts of the Mandelbrot set on a pixel grid

Each kernel takes ``threads=`` (None: every available CPU) and runs its hot
loop with the GIL released, so it also scales when called from your own
threads. ``nogilkit.reference`` holds the pure-Python definitions and
``nogilkit.vectorized`` the NumPy versions (numpy.histogram itself for
histogram); all give the same results. ``nogilkit.demos`` (imported on its
own) measures why the kernels keep per-thread state instead of sharing it.
"""

from ._histogram import histogram
from ._mandelbrot import mandelbrot
from ._parallel import available_cpus
from ._version import __version__
from .info import build_info, openmp_enabled

__all__ = [
    "__version__",
    "available_cpus",
    "build_info",
    "histogram",
    "mandelbrot",
    "openmp_enabled",
]
