"""nogilkit: Cython kernels that release the GIL, and an honest comparison of
threads, processes, asyncio and compiled code for CPU-bound work.

Kernels
-------
mandelbrot  escape counts of the Mandelbrot set on a pixel grid
kmeans      k-means clustering (Lloyd's algorithm)

Each kernel takes ``threads=`` (None: every available CPU) and runs its hot
loop with the GIL released, so it also scales when called from your own
threads. ``nogilkit.reference`` holds the pure-Python definitions and
``nogilkit.vectorized`` the NumPy versions; both give the kernels' results
(NumPy's k-means only up to rounding in the centres).
"""

from ._kmeans import KMeansResult, kmeans
from ._mandelbrot import mandelbrot
from ._parallel import available_cpus
from ._version import __version__
from .info import build_info, openmp_enabled

__all__ = [
    "KMeansResult",
    "__version__",
    "available_cpus",
    "build_info",
    "kmeans",
    "mandelbrot",
    "openmp_enabled",
]
