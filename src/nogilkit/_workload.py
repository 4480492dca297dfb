"""The contract between workloads and the comparison engine.

A workload knows its problem and nothing of how chunks are run: it prepares
a problem of a named size, splits it into chunks, computes one chunk with a
named implementation, combines the partial results and checks the answer.
Workloads whose work comes in rounds (products, time steps, iterations)
override ``execute`` and hand each round's chunks to the strategy in turn.

Each kernel family (``nogilkit.kernels.<family>``) defines its workload
beside its kernel; ``nogilkit.workloads`` gathers them with the others.
"""

import inspect
from dataclasses import dataclass, field
from typing import Callable

from . import _simd
from ._runtime import missing

# "cython-baseline": the cython code with its vectorised kernel held to the
# baseline instruction set (nogilkit._simd), beside "cython" on the best one,
# so a report shows what vector instructions buy next to what threads buy.
BASELINE = "cython-baseline"
IMPLEMENTATIONS = ("python", "numpy", "cython", BASELINE, "numba")


class Unavailable(Exception):
    """A combination that cannot run here; the message says why."""


class CheckFailed(AssertionError):
    """A run computed a wrong answer: it is reported as a failure, never as a time."""


@dataclass
class Problem:
    """One prepared problem: small parameters, large input arrays, the expected answer."""

    workload: str
    size: str
    params: dict
    arrays: dict = field(default_factory=dict)
    expected: object = None
    description: str = ""
    resources: list = field(default_factory=list)  # callables that release what prepare started

    def close(self):
        """Release what ``prepare`` started (io's server process), last first; idempotent."""
        while self.resources:
            self.resources.pop()()


@dataclass(frozen=True)
class SourceChunk:
    """A workload's pure-Python chunk that runs from its source alone, in a
    subinterpreter (which cannot import numpy or nogilkit's extensions).

    Attributes
    ----------
    functions : tuple of function
        Shipped as source; they may use builtins and each other only. The
        last one computes a chunk.
    arguments : callable
        ``(params, spec) -> tuple``: the plain arguments of that last function.
    partial : callable
        ``(params, plain result) -> partial``: what ``Workload.run_chunk`` returns.
    """

    functions: tuple
    arguments: Callable
    partial: Callable

    def source(self):
        """The functions' source, to run in a fresh interpreter."""
        return "\n".join(inspect.getsource(f) for f in self.functions)


class Workload:
    """Base class: subclasses define sizes and the five steps."""

    name = ""
    summary = ""
    sizes = {}  # size name -> parameters; "tiny" is for tests, "small" the default
    implementations = ("python", "numpy", "cython")
    # The nogilkit._simd kernel behind the cython implementation, if it has vector
    # paths; such a workload lists BASELINE among its implementations.
    vector_kernel = None
    default_workers = None  # worker counts when none are given; None: 1, 2 and all CPUs
    # Whether its workers wait rather than compute (io): more workers than CPUs
    # is then the point, not oversubscription.
    waits = False
    # implementation -> SourceChunk, for chunks that can run in subinterpreters
    source_chunks = {}

    def prepare(self, size):
        raise NotImplementedError

    def split(self, problem, n_chunks):
        """Chunk specifications: small, picklable descriptions of the work."""
        raise NotImplementedError

    def run_chunk(self, params, arrays, spec, implementation):
        """One chunk's partial result. Must use only its arguments: it may run in another process."""
        raise NotImplementedError

    async def run_chunk_async(self, params, arrays, spec, implementation):
        """``run_chunk`` as a coroutine, for the ``asyncio`` strategy. CPU work
        never awaits, so by default the chunk runs whole, blocking the loop;
        I/O workloads override it with a chunk that awaits its I/O."""
        return self.run_chunk(params, arrays, spec, implementation)

    def combine(self, problem, specs, partials):
        raise NotImplementedError

    def check(self, problem, result):
        """Raise CheckFailed if ``result`` is not the expected answer."""
        raise NotImplementedError

    def execute(self, problem, n_chunks, run_round):
        """The whole computation; ``run_round(specs, arrays)`` runs chunks and returns partials in order."""
        specs = self.split(problem, n_chunks)
        return self.combine(problem, specs, run_round(specs, problem.arrays))

    def task_ref(self):
        """What a task carries to name this workload: the registered name, which
        a worker process looks up; a workload made at run time (a user's
        function) gives a picklable object with ``run_chunk``/``run_chunk_async``."""
        return self.name

    def unpicklable(self, start_method):
        """Why chunks cannot be pickled to worker processes started by
        ``start_method``, or None (the registered workloads always can)."""
        return None

    def run_failed(self, exc):
        """The reason a row fails when a run raised ``exc`` (not a wrong result), or
        None to raise it: the built-in workloads raise, since any error there is
        a bug."""
        return None

    def ideal_seconds(self, problem, workers):
        """The shortest possible time on ``workers``, where waiting sets it (io); else None."""
        return None

    def chunk_implementation(self, implementation):
        """The implementation ``run_chunk`` computes ``implementation`` with, after
        setting the vector path it needs (the strategies call this before each
        chunk, in whichever thread or process runs it: BASELINE runs the cython
        code on the baseline path, the others on the path chosen at import)."""
        if implementation == BASELINE:
            _simd.use("baseline")
            return "cython"
        if implementation == "cython" and self.vector_kernel is not None:
            _simd.use_default()
        return implementation

    def unavailable(self, implementation):
        """Why this workload cannot run ``implementation`` here, or None."""
        if implementation == BASELINE and self.vector_kernel is None:
            return f"{self.name}'s cython kernel has no vector paths (cython is the baseline)"
        if implementation not in self.implementations:
            return f"{self.name} has no {implementation} implementation"
        if implementation == "numba":
            return missing("numba")
        return None

    def parallel_loops(self):
        """Whole-problem paths whose parallel loop lives in compiled code:
        ``{"openmp" or "numba": function(problem, workers) -> result}``."""
        return {}

    def prepare_checked(self, size):
        if size not in self.sizes:
            raise ValueError(
                f"size must be one of {', '.join(self.sizes)} for workload {self.name}, got {size!r}"
            )
        return self.prepare(size)


def even_ranges(total, n_chunks):
    """[(start, stop)] splitting range(total) into at most n_chunks near-equal pieces."""
    n_chunks = max(1, min(n_chunks, total))
    bounds = [total * k // n_chunks for k in range(n_chunks + 1)]
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]
