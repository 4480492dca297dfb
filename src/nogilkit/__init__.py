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

Each kernel but nbody (five bodies: serial by nature) takes ``threads=``
(None: ``default_threads()``, the CPUs this process may use, capped by a
cgroup CPU quota, ``OMP_NUM_THREADS`` and ``threadpoolctl.threadpool_limits``;
an explicit number is used as given) and runs its hot
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

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence, overload

from . import kernels
from ._runtime import available_cpus, build_info, default_threads, openmp_enabled
from ._version import __version__
from .kernels import *  # noqa: F403  (the kernels, listed in kernels.__all__)
from ._probe import ProbeResult, probe

if TYPE_CHECKING:
    from .engine.function_compare import FunctionReport
    from .engine.report import Report
    from .strategies import Options

__all__ = [*kernels.__all__, "ProbeResult", "__version__", "available_cpus", "build_info",
           "compare", "default_threads", "openmp_enabled", "probe"]


@overload
def compare(fn: Callable[[Any], Any], items: Iterable[Any], *,
            strategies: Sequence[str] | None = None, workers: Sequence[int] | None = None,
            check: Callable[[Any, Any], bool] | None = None, repeats: int = 5,
            options: Options | None = None, max_seconds: float = 5.0,
            progress: Callable[[int, int, str], None] | None = None) -> FunctionReport: ...


@overload
def compare(workloads: str | Sequence[str] = ..., implementations: str | Sequence[str] = ...,
            strategies: str | Sequence[str] = ..., workers: Sequence[int] | None = None, *,
            size: str = "small", repeats: int = 5, options: Options | None = None,
            max_seconds: float = 5.0, progress: Callable[[int, int, str], None] | None = None,
            pythons: Sequence[str] | None = None) -> Report: ...


def compare(*args, **kwargs):
    """Time and verify work under every way of running it; returns a report.

    Two forms (type checkers and IDEs see both signatures):

    ``compare(fn, items, *, strategies=None, workers=None, check=None, repeats=5,
    options=None, max_seconds=5.0, progress=None)``
        your function over your items (``nogilkit.engine.function_compare.compare_function``):
        every strategy checked against the serial loop, with a recommendation.
    ``compare(workloads=("mandelbrot",), implementations=("python", "numpy", "cython",
    "cython-baseline"), strategies=("serial", "threads", "processes", "asyncio"),
    workers=None, *, size="small", repeats=5, options=None, max_seconds=5.0,
    progress=None, pythons=None)``
        the built-in workloads (``nogilkit.engine.compare.compare``).

    Examples
    --------
    A script that compares must guard its work: worker processes import it.

    >>> import nogilkit
    >>> report = nogilkit.compare(abs, [-1, 2, -3], strategies=["serial", "threads"],
    ...                           workers=[2], repeats=1)   # doctest: +SKIP
    >>> print(report)                                       # doctest: +SKIP
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
