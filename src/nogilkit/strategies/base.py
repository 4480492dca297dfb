"""What every strategy provides and declares, and the function that runs one chunk anywhere.

A strategy knows how to run chunks concurrently and nothing about any
workload: it receives tasks (a workload's name, an implementation, small
parameters, input arrays and a chunk spec) and returns the partial results
in order. A session holds the strategy's pools for one combination; it is
started before timing (its start-up is measured separately) and always
closed, also on errors and Ctrl-C.

A strategy also describes itself (its family, whether it starts workers,
its plot style, how the reading names it), so that the report and the
recommendation never list strategy names.
"""

import multiprocessing
import os
import time
from dataclasses import dataclass

from .._measure import peak_rss
from .._runtime import add_note
from ..workloads import get_workload
from .transfer import resolve_arrays

# The families of strategies: how the work is run at heart. The recommendation
# rules a family out whole when one of its rows gave a wrong result.
FAMILIES = ("serial", "threads", "processes", "asyncio", "interpreters", "compiled")


# Threads a session could not stop (user code blocked in native code, a pool's
# management thread stuck in its clean-up): the command line exits without
# waiting for them, where the interpreter's exit would wait for ever.
ABANDONED = []


class WorkerLost(RuntimeError):
    """A worker process died while it ran chunks (killed, out of memory, a crash
    in native code): the run fails, the comparison goes on with the next row."""


class MainReimported(RuntimeError):
    """A worker process, importing the main script (spawn, forkserver), reached
    a call of nogilkit.compare: the script has no main guard. Every process
    strategy would fail the same way, so the comparison stops (never a row)."""


def main_reimported_message(path):
    """The one sentence MainReimported says."""
    return (f"nogilkit.compare() was called again while a worker process imported your "
            f"script {path}: put the call under `if __name__ == \"__main__\":` (worker "
            "processes started by spawn or forkserver import the main module)")


@dataclass(frozen=True)
class Task:
    """One chunk to compute: everything a worker needs, picklable."""

    workload: object  # a registered workload's name, or what ``Workload.task_ref`` gives
    implementation: str
    params: dict
    arrays: dict  # name -> ndarray, or a SharedArray handle under processes
    spec: object
    index: int


@dataclass(frozen=True)
class ChunkOutcome:
    partial: object
    cpu_seconds: float  # thread CPU time of the chunk
    peak_rss: int  # peak RSS of the worker process that ran it (0 in-process)
    pid: int


def interrupted(abort):
    """Whether a session ends because of Ctrl-C or termination, not an error."""
    return isinstance(abort, KeyboardInterrupt)


def chunk_note(exc, task):
    add_note(exc, f"in chunk {task.index} ({task.spec!r}) of workload {task.workload!r}, "
                   f"implementation {task.implementation!r}")


def _workload(ref):
    """The workload a task names: registered ones travel by name, others as themselves."""
    return get_workload(ref) if isinstance(ref, str) else ref


def run_task(task):
    """Compute one chunk (in this thread, this process or a worker process)."""
    workload = _workload(task.workload)
    arrays = resolve_arrays(task.arrays)
    start = time.thread_time()
    try:
        partial = workload.run_chunk(task.params, arrays, task.spec,
                                     workload.chunk_implementation(task.implementation))
    except Exception as exc:
        chunk_note(exc, task)
        raise
    cpu = time.thread_time() - start
    # A worker process's peak RSS over its life (the session); in this
    # process the harness measures memory itself.
    peak = peak_rss() if multiprocessing.parent_process() is not None else 0
    return ChunkOutcome(partial, cpu, peak, os.getpid())


async def run_task_async(task):
    """run_task as a coroutine on this process's event loop: the workload's
    ``run_chunk_async`` (I/O awaits; CPU work runs whole, blocking the loop)."""
    workload = _workload(task.workload)
    start = time.thread_time()
    try:
        partial = await workload.run_chunk_async(task.params, resolve_arrays(task.arrays), task.spec,
                                                 workload.chunk_implementation(task.implementation))
    except Exception as exc:
        chunk_note(exc, task)
        raise
    return ChunkOutcome(partial, time.thread_time() - start, 0, os.getpid())


class Session:
    """A started strategy for one combination."""

    startup_seconds = 0.0
    #: True where chunks run in other processes, whose CPU time and memory
    #: the harness must add to this process's.
    remote = False
    #: How many times the session has handed work out (map_tasks calls; 0 for
    #: a session that does not): a floor like joblib's is paid per call.
    calls = 0

    def share_inputs(self, arrays):
        """Ship the problem's input arrays ahead of timing, where the strategy can."""

    def run(self, workload, problem, implementation):
        """(result, [ChunkOutcome]) of one whole computation."""
        raise NotImplementedError

    def close(self, *, abort=None):
        """Release every thread and process. ``abort``: the exception (an error, or
        KeyboardInterrupt for Ctrl-C and termination) that ends the session early."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close(abort=exc)


class ChunkedSession(Session):
    """A session that runs a workload's chunks through ``map_tasks``."""

    def __init__(self, workers, chunks_per_worker):
        self.workers = workers
        self.n_chunks = workers * chunks_per_worker

    def map_tasks(self, tasks):
        """ChunkOutcomes of the tasks, in task order."""
        raise NotImplementedError

    def transfer(self, arrays):
        """How input arrays travel to the chunks (as they are, in-process)."""
        return arrays

    def end_round(self):
        """Called after each round (processes free per-round shared memory)."""

    def run(self, workload, problem, implementation):
        outcomes = []

        def run_round(specs, arrays):
            shipped = self.transfer(arrays)
            tasks = [Task(workload.task_ref(), implementation, problem.params, shipped, spec, i)
                     for i, spec in enumerate(specs)]
            self.calls += 1
            try:
                results = self.map_tasks(tasks)
            finally:
                self.end_round()
            outcomes.extend(results)
            return [r.partial for r in results]

        return workload.execute(problem, self.n_chunks, run_round), outcomes


class Strategy:
    """Base class: a name, what it is, what it needs, and how to start a session.

    Attributes
    ----------
    name, summary : str
        The strategy's name (``--strategies``) and one line for ``--list``.
    family : str
        One of FAMILIES: what the strategy is at heart.
    starts_workers : bool
        Whether a session starts worker processes (or interpreters) whose
        start-up is worth stating beside the speedup.
    plot_style : (str, str)
        matplotlib's line style and marker of its line.
    phrase : str or None
        How the reading names the strategy ("threads"; ``{workers}`` stands
        for the worker count), or None to leave it out of the reading.
    start_method_variants : bool
        Whether it is also offered fixed to each start method
        (``processes:spawn``), so that one comparison holds a row per method.
    via_event_loop : bool
        Whether the work passes through an asyncio event loop on its way to
        the pool (one more moving part than the plain pool).
    """

    name = ""
    summary = ""
    family = ""
    starts_workers = False
    plot_style = ("-", "o")
    phrase = None
    start_method_variants = False
    via_event_loop = False
    # The least time a call (a round of chunks handed out) on more than one
    # worker takes, whatever the work (joblib's 10 ms result poll); the
    # reading names it where it dominates.
    floor_seconds = 0.0
    floor_cause = ""

    def note(self, implementation, speedup, gil_enabled):
        """What the reading adds after an implementation's speedup ("" for nothing);
        ``gil_enabled``: whether the interpreter that measured it ran with a GIL."""
        return ""

    def missing(self):
        """Why this strategy cannot run at all with this interpreter and what is
        installed (a package, a Python version, a build option), whatever the
        workload, or None."""
        return None

    def unavailable(self, workload, implementation, options):
        """Why this strategy cannot run this workload/implementation here, or None."""
        return self.missing()

    def forks(self, options):
        """Whether starting a session forks this process (the harness starts those first)."""
        return False

    def start(self, workers, options):
        """A started Session (pools created, workers running)."""
        raise NotImplementedError


__all__ = ["ABANDONED", "FAMILIES", "ChunkOutcome", "ChunkedSession", "MainReimported", "Session",
           "Strategy", "Task", "WorkerLost", "chunk_note", "interrupted", "main_reimported_message",
           "run_task", "run_task_async"]
