"""Strategy ``interpreters``: chunks in subinterpreters, each with its own GIL.

PEP 684 gave every subinterpreter its own GIL and PEP 734 the API to use
them (``concurrent.interpreters`` in Python 3.14; on 3.13 the PyPI backport
``backports-interpreters``, imported as ``backports.interpreters``). Pure-Python
chunks then run in parallel within one process, with no worker processes to
start: a fresh interpreter takes a few tens of milliseconds.

Why chunks are shipped as source: an extension module must declare that it
supports subinterpreters with a GIL of their own, and neither numpy nor
nogilkit's Cython extensions do (``import numpy`` there fails with "module
numpy._core._multiarray_umath does not support loading in subinterpreters").
``import nogilkit`` imports both, so a subinterpreter cannot import the
workload code, and neither can it unpickle a function that lives in nogilkit.
Instead the pure-Python chunk functions' source (``inspect.getsource``) is
run in every interpreter when the session starts; each chunk then sends plain
arguments in (``prepare_main``) and gets plain Python lists out (a
cross-interpreter queue), which become numpy arrays back in the main
interpreter. ``InterpreterPoolExecutor`` is not used for the same reason (it
pickles callables by reference) and because the 3.13 backport lacks it.

Only workloads and implementations listed in ``KERNELS`` run here: the
``python`` implementation of ``mandelbrot``.
"""

import builtins
import inspect
import os
import queue
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..reference import mandelbrot_row
from .base import ChunkedSession, ChunkOutcome, Strategy, _chunk_note

MISSING = ("subinterpreters need Python 3.14, or Python 3.13 with pip install 'nogilkit[dask]' "
           "(its dask extra brings the backports-interpreters backport)")


def interpreters_api():
    """The PEP 734 interpreters module of this Python.

    Returns
    -------
    module or None
        ``concurrent.interpreters`` (Python >= 3.14), ``backports.interpreters``
        (Python 3.13 with backports-interpreters installed), else None.
    """
    try:
        from concurrent import interpreters  # Python >= 3.14

        return interpreters
    except ImportError:
        pass
    if sys.version_info[:2] == (3, 13):
        try:
            from backports import interpreters

            return interpreters
        except ImportError:
            pass
    return None


def mandelbrot_chunk(first, stride, width, height, max_iter, region):
    """Escape counts of rows ``first, first + stride, ...`` (shipped as source).

    Returns
    -------
    list of list of int
        One list per row, as ``reference.mandelbrot_row`` computes it.
    """
    return [mandelbrot_row(y, width, height, max_iter, region)
            for y in range(first, height, stride)]


@dataclass(frozen=True)
class Kernel:
    """A workload's pure-Python chunk, runnable in a subinterpreter.

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


KERNELS = {
    ("mandelbrot", "python"): Kernel(
        (mandelbrot_row, mandelbrot_chunk),
        lambda p, spec: (*spec, p["width"], p["height"], p["max_iter"], tuple(p["region"])),
        lambda p, rows: np.array(rows, dtype=np.int32).reshape(-1, p["width"]),
    ),
}


def _as_builtin(failed):
    """A built-in exception raised in a chunk as its own type (ExecutionFailed
    carries only its name, message and traceback text), else ``failed``."""
    try:
        kind = getattr(builtins, failed.excinfo.type.__name__)
        if issubclass(kind, Exception):
            return kind(failed.excinfo.msg)
    except Exception:
        pass
    return failed


class InterpreterSession(ChunkedSession):
    """``workers`` subinterpreters, each driven by one thread of this process.

    A thread takes an idle interpreter, runs one chunk in it (``exec`` blocks
    the thread, not the main interpreter's GIL) and puts it back; chunks are
    handed out dynamically as under ``threads``.

    Parameters
    ----------
    workers : int
        Interpreters (and threads) running chunks at once.
    chunks_per_worker : int
        Chunks per interpreter and round.
    api : module
        What ``interpreters_api`` returned.
    """

    def __init__(self, workers, chunks_per_worker, api):
        super().__init__(workers, chunks_per_worker)
        self.api = api
        self.interpreters = []
        self.idle = queue.SimpleQueue()  # (interpreter, its result queue)
        self.thread_pool = None
        start = time.perf_counter()
        try:
            code = "\n".join(kernel.source() for kernel in KERNELS.values())
            for _ in range(workers):
                interp = api.create()
                self.interpreters.append(interp)
                results = api.create_queue()
                interp.prepare_main(_results=results)
                interp.exec(code)
                self.idle.put((interp, results))
            self.thread_pool = ThreadPoolExecutor(workers, thread_name_prefix="nogilkit-interpreters")
        except BaseException:
            self.close(abort=True)
            raise
        self.startup_seconds = time.perf_counter() - start

    def _run(self, task):
        kernel = KERNELS[task.workload, task.implementation]
        interp, results = self.idle.get()
        try:
            start = time.thread_time()  # the interpreter runs in this OS thread
            interp.prepare_main(_args=kernel.arguments(task.params, task.spec))
            interp.exec(f"_results.put({kernel.functions[-1].__name__}(*_args))")
            cpu = time.thread_time() - start
            plain = results.get_nowait()
        except self.api.ExecutionFailed as failed:
            error = _as_builtin(failed)
            _chunk_note(error, task)
            if error is failed:
                raise
            raise error from failed
        except Exception as exc:
            _chunk_note(exc, task)
            raise
        finally:
            self.idle.put((interp, results))
        return ChunkOutcome(kernel.partial(task.params, plain), cpu, 0, os.getpid())

    def map_tasks(self, tasks):
        return list(self.thread_pool.map(self._run, tasks))

    def close(self, *, abort=False):
        """Stop the threads (running chunks finish: they cannot be interrupted),
        then destroy every interpreter, also when one of them fails to close."""
        try:
            if self.thread_pool is not None:
                self.thread_pool.shutdown(wait=True, cancel_futures=abort)
        finally:
            errors = []
            while self.interpreters:
                try:
                    self.interpreters.pop().close()
                except Exception as exc:
                    errors.append(exc)
            self.idle = queue.SimpleQueue()
        if errors:
            raise errors[0]


class Interpreters(Strategy):
    name = "interpreters"
    summary = "subinterpreters with their own GIL (PEP 684/734): pure-Python chunks in parallel"

    def unavailable(self, workload, implementation, options):
        if interpreters_api() is None:
            return MISSING
        if (workload.name, implementation) not in KERNELS:
            runnable = ", ".join(f"{i} implementation of {w}" for w, i in KERNELS)
            return f"subinterpreters run only pure-Python chunks without numpy: {runnable}"
        return None

    def start(self, workers, options):
        api = interpreters_api()
        if api is None:
            raise RuntimeError(MISSING)
        return InterpreterSession(workers, options.chunks_per_worker, api)
