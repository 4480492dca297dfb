"""nogilkit: Cython kernels that release the GIL, and an honest comparison of
threads, processes, asyncio and compiled code for CPU-bound work.

Kernels
-------
mandelbrot      escape counts of the Mandelbrot set on a pixel grid
spectral_norm   the Benchmarks Game's spectral norm (products with barriers)
nbody           the Benchmarks Game's five-body system (serial reference)
nbody_direct    direct-sum N-body integrator, parallel over bodies
kmeans          k-means clustering (Lloyd's algorithm), as scikit-learn's lloyd
histogram       counts of float64 values in uniform bins, equal to numpy.histogram
triad, total    memory-bandwidth-bound STREAM triad and reproducible sum

Each kernel takes ``threads=`` (None: every available CPU) and runs its hot
loop with the GIL released, so it also scales when called from your own
threads. ``nogilkit.reference`` holds the pure-Python definitions and
``nogilkit.vectorized`` the NumPy versions (numpy.histogram itself for
histogram); all give the kernels' results (NumPy's k-means only up to
rounding in the centres). ``nogilkit.demos`` (imported on its
own) measures why the kernels keep per-thread state instead of sharing it.
``nogilkit.compare()`` runs the comparison engine (``nogilkit compare``);
``nogilkit.probe(fn, args)`` tells whether your own function holds the GIL
and how it scales on threads (``nogilkit probe``).
"""

from ._histogram import histogram
from ._kmeans import KMeansResult, kmeans
from ._mandelbrot import mandelbrot
from ._nbody import nbody, nbody_direct
from ._parallel import available_cpus
from ._probe import ProbeResult, probe
from ._spectral_norm import spectral_norm
from ._stream import total, triad
from ._version import __version__
from .info import build_info, openmp_enabled

__all__ = [
    "KMeansResult",
    "ProbeResult",
    "__version__",
    "available_cpus",
    "build_info",
    "compare",
    "histogram",
    "kmeans",
    "mandelbrot",
    "nbody",
    "nbody_direct",
    "openmp_enabled",
    "probe",
    "spectral_norm",
    "total",
    "triad",
]


def __getattr__(name):
    # nogilkit.compare loads the comparison engine (asyncio, multiprocessing,
    # the strategies) only when first used, so `import nogilkit` stays light.
    if name == "compare":
        from .comparison import compare

        return compare
    raise AttributeError(f"module 'nogilkit' has no attribute {name!r}")
