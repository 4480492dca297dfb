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
``nogilkit.compare()`` runs the comparison engine (``nogilkit compare``),
on the built-in workloads or, as ``compare(fn, items)``, on your own
function; ``nogilkit.probe(fn, args)`` tells whether your own function holds
the GIL and how it scales on threads (``nogilkit probe``).
"""

from . import kernels
from ._runtime import available_cpus, build_info, openmp_enabled
from ._version import __version__
from .kernels import *  # noqa: F403  (the kernels, listed in kernels.__all__)
from ._probe import ProbeResult, probe

__all__ = [*kernels.__all__, "ProbeResult", "__version__", "available_cpus", "build_info",
           "compare", "openmp_enabled", "probe"]


def compare(*args, **kwargs):
    """Time and verify work under every way of running it; returns a report.

    Two forms:

    ``compare(fn, items, *, strategies=None, workers=None, check=None, ...)``
        your function over your items (see ``nogilkit.engine.function_compare.compare_function``):
        every strategy checked against the serial loop, with a recommendation.
    ``compare(workloads=..., implementations=..., strategies=..., workers=..., ...)``
        the built-in workloads (see ``nogilkit.engine.compare.compare``).
    """
    # The engine (asyncio, multiprocessing, the strategies) loads only when
    # first used, so `import nogilkit` stays light.
    from .strategies.base import MainReimported

    if (args and callable(args[0])) or "fn" in kwargs:
        from .engine.function_compare import compare_function as run
    else:
        from .engine.compare import compare as run
    try:
        return run(*args, **kwargs)
    except MainReimported as exc:
        # One sentence for a script that lacks the main guard, not the engine's frames.
        raise MainReimported(str(exc)) from None
