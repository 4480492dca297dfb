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
Instead a workload declares the pure-Python chunks that run from their
source alone (``Workload.source_chunks``: functions that use builtins only);
their source (``inspect.getsource``) is run in an interpreter before its
first chunk of the kind; each chunk then sends plain arguments in
(``prepare_main``) and gets plain Python lists out (a cross-interpreter
queue), which become numpy arrays back in the main interpreter.
``InterpreterPoolExecutor`` is not used for the same reason (it pickles
callables by reference) and because the 3.13 backport lacks it.
"""

import builtins
import os
import queue
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from ..workloads import WORKLOADS, get_workload
from .base import ChunkedSession, ChunkOutcome, Strategy, chunk_note

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
        # (interpreter, its result queue, the chunks whose source it has run)
        self.idle = queue.SimpleQueue()
        self.thread_pool = None
        start = time.perf_counter()
        try:
            for _ in range(workers):
                interp = api.create()
                self.interpreters.append(interp)
                results = api.create_queue()
                interp.prepare_main(_results=results)
                self.idle.put((interp, results, set()))
            self.thread_pool = ThreadPoolExecutor(workers, thread_name_prefix="nogilkit-interpreters")
        except BaseException as exc:
            self.close(abort=exc)
            raise
        self.startup_seconds = time.perf_counter() - start

    def _run(self, task):
        kernel = get_workload(task.workload).source_chunks[task.implementation]
        interp, results, shipped = self.idle.get()
        try:
            if kernel not in shipped:  # this interpreter's first chunk of the kind
                interp.exec(kernel.source())
                shipped.add(kernel)
            start = time.thread_time()  # the interpreter runs in this OS thread
            interp.prepare_main(_args=kernel.arguments(task.params, task.spec))
            interp.exec(f"_results.put({kernel.functions[-1].__name__}(*_args))")
            cpu = time.thread_time() - start
            plain = results.get_nowait()
        except self.api.ExecutionFailed as failed:
            error = _as_builtin(failed)
            chunk_note(error, task)
            if error is failed:
                raise
            raise error from failed
        except Exception as exc:
            chunk_note(exc, task)
            raise
        finally:
            self.idle.put((interp, results, shipped))
        return ChunkOutcome(kernel.partial(task.params, plain), cpu, 0, os.getpid())

    def map_tasks(self, tasks):
        return list(self.thread_pool.map(self._run, tasks))

    def close(self, *, abort=None):
        """Stop the threads (running chunks finish: they cannot be interrupted),
        then destroy every interpreter, also when one of them fails to close."""
        try:
            if self.thread_pool is not None:
                self.thread_pool.shutdown(wait=True, cancel_futures=abort is not None)
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
    family = "interpreters"
    starts_workers = True
    plot_style = (":", "P")
    phrase = "interpreters (subinterpreters, a GIL each)"

    def missing(self):
        return MISSING if interpreters_api() is None else None

    def unavailable(self, workload, implementation, options):
        reason = self.missing()
        if reason:
            return reason
        if implementation not in workload.source_chunks:
            runnable = ", ".join(f"{i} implementation of {w.name}"
                                 for w in WORKLOADS.values() for i in w.source_chunks)
            return f"subinterpreters run only pure-Python chunks without numpy: {runnable}"
        return None

    def start(self, workers, options):
        api = interpreters_api()
        if api is None:
            raise RuntimeError(MISSING)
        return InterpreterSession(workers, options.chunks_per_worker, api)


__all__ = ["MISSING", "InterpreterSession", "Interpreters", "interpreters_api"]
