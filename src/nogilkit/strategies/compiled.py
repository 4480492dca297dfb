"""Strategies whose parallel loop lives in compiled code, not in Python:
``openmp`` (the Cython kernels' prange path) and ``numba-parallel``
(numba's ``parallel=True`` prange). The whole problem is one call.
"""

from .._runtime import build_info, missing
from .base import Session, Strategy


class WholeProblemSession(Session):
    def __init__(self, workers, loop):
        self.workers = workers
        self.loop = loop

    def run(self, workload, problem, implementation):
        return workload.parallel_loops()[self.loop](problem, self.workers), []


class _WholeProblem(Strategy):
    """A strategy that hands the whole problem to one of the workload's
    ``parallel_loops()``."""

    family = "compiled"
    implementation = ""
    loop = ""

    def missing(self):
        """Why this strategy cannot run at all here, or None."""
        return None

    def unavailable(self, workload, implementation, options):
        if implementation != self.implementation:
            return f"{self.name} runs only the {self.implementation} implementation"
        missing = self.missing()
        if missing:
            return missing
        if self.loop not in workload.parallel_loops():
            return f"{workload.name} has no {self.name} version"
        return None

    def start(self, workers, options):
        return WholeProblemSession(workers, self.loop)


class OpenMP(_WholeProblem):
    name = "openmp"
    summary = "the Cython kernel's OpenMP prange loop"
    plot_style = ("-", "^")
    phrase = "OpenMP threads"
    implementation = "cython"
    loop = "openmp"

    def missing(self):
        build = build_info()
        return None if build["openmp"] else f"this build has no OpenMP: {build['openmp_reason']}"


class NumbaParallel(_WholeProblem):
    name = "numba-parallel"
    summary = "numba's parallel=True prange loop"
    plot_style = ("-", "v")
    phrase = "numba parallel=True threads"
    implementation = "numba"
    loop = "numba"

    def missing(self):
        return missing("numba")


__all__ = ["NumbaParallel", "OpenMP"]
