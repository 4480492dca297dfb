"""Strategy ``processes``: chunks in worker processes.

Options (``Options``): the pool (``executor``: ProcessPoolExecutor.map;
``pool``: multiprocessing.Pool.map; ``pool-unordered``:
multiprocessing.Pool.imap_unordered), ``chunksize`` (tasks sent to a worker
at a time), the start method (``fork``, ``spawn``, ``forkserver``) and how
input arrays travel (``pickle`` with every task, or ``shm``: copied once into
shared memory). Every worker is started, and has imported nogilkit, before
timing: that start-up is reported separately.
"""

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor

from .._runtime import add_note, start_method_unavailable
from .base import ChunkedSession, Strategy, run_task
from .transfer import TRANSFERS, SharedArrays

POOL_APIS = ("executor", "pool", "pool-unordered")


def _worker_ready(delay):
    """Imports what chunks need and reports this worker's pid (start-up probe)."""
    from .. import workloads  # noqa: F401  (import cost belongs to start-up)

    time.sleep(delay)
    return os.getpid()


def _run_indexed(task):
    return task.index, run_task(task)


class ProcessSession(ChunkedSession):
    remote = True

    def __init__(self, workers, options):
        super().__init__(workers, options.chunks_per_worker)
        self.api = options.pool
        self.chunksize = options.chunksize
        self.shared = SharedArrays() if options.transfer == "shm" else None
        self.static_arrays = ()
        context = multiprocessing.get_context(options.start_method)
        start = time.perf_counter()
        if self.api == "executor":
            self.pool = ProcessPoolExecutor(workers, mp_context=context)
        else:
            self.pool = context.Pool(workers)
        # Workers may start on demand: ask until every one has answered.
        pids = set()
        try:
            for _ in range(20):
                pids.update(self._probe())
                if len(pids) >= workers:
                    break
        except Exception as exc:
            self.close(abort=True)
            add_note(exc, f"worker processes ({options.start_method}) could not start: with "
                           "spawn or forkserver the main module must be importable (a script "
                           "file, not standard input)")
            raise
        self.startup_seconds = time.perf_counter() - start

    def _probe(self):
        """The pids of workers that answered ``workers`` simultaneous probes."""
        delays = [0.05] * self.workers
        if self.api == "executor":
            return [f.result() for f in [self.pool.submit(_worker_ready, d) for d in delays]]
        return self.pool.map(_worker_ready, delays, chunksize=1)

    def share_inputs(self, arrays):
        """Put the problem's input arrays in shared memory once, before timing."""
        if self.shared is not None:
            start = time.perf_counter()
            self.shared.share(arrays)
            self.static_arrays = tuple(arrays.values())
            self.startup_seconds += time.perf_counter() - start

    def transfer(self, arrays):
        return self.shared.share(arrays) if self.shared is not None else arrays

    def end_round(self):
        if self.shared is not None:
            # Arrays made for one round (an updated vector, new positions).
            self.shared.release(keep=self.static_arrays)

    def map_tasks(self, tasks):
        if self.api == "executor":
            return list(self.pool.map(run_task, tasks, chunksize=self.chunksize))
        if self.api == "pool":
            return self.pool.map(run_task, tasks, chunksize=self.chunksize)
        results = [None] * len(tasks)
        for index, outcome in self.pool.imap_unordered(_run_indexed, tasks, chunksize=self.chunksize):
            results[index] = outcome
        return results

    def close(self, *, abort=False):
        try:
            if self.api == "executor":
                if abort:
                    self._abort_executor()
                self.pool.shutdown(wait=True, cancel_futures=True)
            else:
                if abort:
                    self.pool.terminate()
                else:
                    self.pool.close()
                self.pool.join()
        finally:
            if self.shared is not None:
                self.shared.release()


    def _abort_executor(self, grace=2.0):
        """Cancel what has not started; give running chunks ``grace`` seconds to
        end, then end their processes (a Ctrl-C must not wait for a long chunk).
        Terminating only after the grace period also keeps clear of a race in
        Python 3.11's executor, whose clean-up of a broken pool sets an
        exception on futures that were cancelled already (InvalidStateError
        in its management thread)."""
        processes = list((getattr(self.pool, "_processes", None) or {}).values())
        manager = getattr(self.pool, "_executor_manager_thread", None)
        self.pool.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + grace
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
        for process in processes:
            if process.is_alive():
                process.terminate()
        if manager is not None:
            manager.join()


class Processes(Strategy):
    name = "processes"
    summary = "worker processes: no shared GIL, but start-up, pickling and IPC costs"
    family = "processes"
    starts_workers = True
    plot_style = ("--", "s")
    phrase = "processes"
    start_method_variants = True

    def unavailable(self, workload, implementation, options):
        return (start_method_unavailable(options.start_method)
                or workload.unpicklable(options.start_method))

    def forks(self, options):
        return options.start_method == "fork"

    def start(self, workers, options):
        return ProcessSession(workers, options)


class WithStartMethod(Strategy):
    """A process strategy fixed to one start method: ``processes:spawn``, so that
    one comparison can hold a row per start method."""

    def __init__(self, base, method):
        self.base, self.method = base, method
        self.name = f"{base.name}:{method}"
        self.summary = f"{base.name}, start method {method}"
        self.family, self.starts_workers = base.family, base.starts_workers
        self.plot_style = base.plot_style
        self.phrase = base.phrase and f"{base.phrase} ({method})"
        self.start_method_variants = False
        self.via_event_loop = base.via_event_loop

    def unavailable(self, workload, implementation, options):
        return self.base.unavailable(workload, implementation,
                                     options.replace(start_method=self.method))

    def forks(self, options):
        return self.base.forks(options.replace(start_method=self.method))

    def start(self, workers, options):
        return self.base.start(workers, options.replace(start_method=self.method))


__all__ = ["POOL_APIS", "ProcessSession", "Processes", "WithStartMethod"]
