"""Strategies whose parallel loop lives in compiled code, not in Python:
``openmp`` (the Cython kernels' prange path) and ``numba-parallel``
(numba's ``parallel=True`` prange). The whole problem is one call.
"""

from .. import info
from ..workloads.base import Workload, numba_missing
from .base import Session, Strategy


class WholeProblemSession(Session):
    def __init__(self, workers, method):
        self.workers = workers
        self.method = method

    def run(self, workload, problem, implementation):
        return getattr(workload, self.method)(problem, self.workers), []


class _WholeProblem(Strategy):
    """A strategy that hands the whole problem to one workload method."""

    implementation = ""
    method = ""

    def missing(self):
        """Why this strategy cannot run at all here, or None."""
        return None

    def unavailable(self, workload, implementation, options):
        if implementation != self.implementation:
            return f"{self.name} runs only the {self.implementation} implementation"
        missing = self.missing()
        if missing:
            return missing
        if getattr(type(workload), self.method) is getattr(Workload, self.method):
            return f"{workload.name} has no {self.name} version"
        return None

    def start(self, workers, options):
        return WholeProblemSession(workers, self.method)


class OpenMP(_WholeProblem):
    name = "openmp"
    summary = "the Cython kernel's OpenMP prange loop"
    implementation = "cython"
    method = "openmp"

    def missing(self):
        build = info.build_info()
        return None if build["openmp"] else f"this build has no OpenMP: {build['openmp_reason']}"


class NumbaParallel(_WholeProblem):
    name = "numba-parallel"
    summary = "numba's parallel=True prange loop"
    implementation = "numba"
    method = "numba_parallel"

    def missing(self):
        return numba_missing()
