"""Strategies ``joblib-loky`` and ``joblib-threading``: chunks through
``joblib.Parallel(n_jobs=workers, backend=...)``, as scientific Python code
(scikit-learn's included) runs its loops today.

One ``Parallel`` is held for the session, as in ``with Parallel(...) as
parallel:``, so the runs reuse its workers; they are started, and have
imported nogilkit, before timing (start-up is reported apart), as the
``threads`` and ``processes`` pools are. What joblib does on each call stays
in the time, with its defaults as users get them: tasks batched
automatically; results collected by a loop that looks every 10 ms (a floor
under short runs); under loky, input arrays over 1 MB memory-mapped to the
workers (hashed and written on each call), and the workers' BLAS and OpenMP
limited to their share of the cores. With ``workers=1`` joblib runs the
chunks in this thread (its sequential backend): that row is joblib's own
overhead over a plain loop. ``Options``' pool, chunksize, transfer and start
method are the process strategies'; joblib chooses its own.

loky keeps its worker processes for the process's next ``Parallel``, by
design; a session shuts them down when it ends (on error, Ctrl-C and
termination too), so nothing outlives the comparison. loky has one such
executor per process: a joblib pool the caller started is ended too.
"""

import os
import threading
import time
from concurrent.futures.process import BrokenProcessPool

from .._runtime import missing
from .base import ChunkedSession, Strategy, WorkerLost, interrupted, run_task
from .threads import Threads, stop_threads

# How long each start-up probe holds its worker, so that one worker cannot
# answer them all (as the threads and processes pools' probes).
PROBE_SECONDS = {"threading": 0.01, "loky": 0.05}


def _worker_ready(delay):
    """Imports what chunks need; which process and thread answered (start-up probe)."""
    from .. import workloads  # noqa: F401  (import cost belongs to start-up)

    time.sleep(delay)
    return os.getpid(), threading.get_ident()


class JoblibSession(ChunkedSession):
    def __init__(self, workers, options, backend):
        super().__init__(workers, options.chunks_per_worker)
        import joblib

        # n_jobs=1: joblib's sequential backend, in this thread; else a pool.
        pooled = workers > 1
        self.remote = pooled and backend == "loky"
        self.thread_pool = pooled and backend == "threading"
        self.threads = set()  # threading: every pool thread that ran a task
        self.probe_seconds = PROBE_SECONDS[backend] if pooled else 0.0
        start = time.perf_counter()
        self.parallel = joblib.Parallel(n_jobs=workers, backend=backend)
        self.parallel.__enter__()
        try:
            self._start()
        except BaseException as exc:
            self.close(abort=exc)
            raise
        self.startup_seconds = time.perf_counter() - start

    def _start(self):
        # Workers may start on demand: ask until every one has answered. (loky's
        # workers never import the main script: an unguarded one is no matter.)
        answered = set()
        try:
            for _ in range(20):
                answered.update(self._map(_worker_ready, [self.probe_seconds] * self.workers))
                if len(answered) >= self.workers:
                    return
        except BrokenProcessPool as exc:
            raise WorkerLost(f"a worker process died while the pool started ({exc})") from exc

    def _map(self, function, arguments):
        from joblib import delayed

        if self.thread_pool:
            function = self._tracked(function)
        return self.parallel(delayed(function)(a) for a in arguments)

    def _tracked(self, function):
        """``function``, noting the thread that runs it (Ctrl-C stops those threads)."""
        def run(argument):
            self.threads.add(threading.current_thread())
            return function(argument)

        return run

    def map_tasks(self, tasks):
        try:
            return self._map(run_task, tasks)
        except BrokenProcessPool as exc:  # loky's TerminatedWorkerError included
            raise WorkerLost(f"a worker process died while running chunks ({exc})") from exc

    def close(self, *, abort=None):
        # A chunk's exception or Ctrl-C inside Parallel has already made joblib
        # cancel the rest (loky kills its workers, threading ends its pool).
        try:
            self.parallel.__exit__(type(abort) if abort else None, abort, None)
        finally:
            if self.remote:
                from joblib.externals.loky import get_reusable_executor

                # reuse=True: the executor the session used, never a new one's workers.
                get_reusable_executor(reuse=True).shutdown(wait=True,
                                                           kill_workers=abort is not None)
            elif interrupted(abort):
                stop_threads(list(self.threads))
        if not interrupted(abort):
            # The pool was told to end: its threads leave after their chunk.
            for thread in self.threads:
                thread.join()


class Joblib(Strategy):
    """Base: chunks through joblib.Parallel with the backend ``backend``."""

    backend = ""
    floor_seconds = 0.010
    floor_cause = "joblib's result poll"

    def missing(self):
        return missing("joblib")

    def start(self, workers, options):
        return JoblibSession(workers, options, self.backend)


class JoblibLoky(Joblib):
    name = "joblib-loky"
    summary = "joblib.Parallel(backend='loky'): worker processes, with joblib's batching and memmaps"
    family = "processes"
    starts_workers = True
    plot_style = ("--", "*")
    phrase = "joblib loky"
    backend = "loky"


class JoblibThreading(Joblib):
    name = "joblib-threading"
    summary = "joblib.Parallel(backend='threading'): threads, with joblib's batching"
    family = "threads"
    plot_style = ("-", "*")
    phrase = "joblib threading"
    note = Threads.note  # threads under the GIL, whoever starts them
    backend = "threading"


__all__ = ["Joblib", "JoblibLoky", "JoblibSession", "JoblibThreading"]
