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
from concurrent.futures.process import BrokenProcessPool

from .._runtime import add_note, start_method_unavailable
from .base import ChunkedSession, Strategy, WorkerLost, interrupted, run_task
from .transfer import TRANSFERS, SharedArrays

POOL_APIS = ("executor", "pool", "pool-unordered")
POLL_SECONDS = 0.1  # how often a multiprocessing.Pool's workers are looked at
ABORT_GRACE = 2.0  # seconds running chunks get after an error, before termination
INTERRUPT_GRACE = 0.2  # ... after Ctrl-C or termination


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
        self.broken = False  # a worker died: close must terminate, not wait
        self.pool_processes = []
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
            self.close(abort=exc)
            add_note(exc, f"worker processes ({options.start_method}) could not start: with "
                           "spawn or forkserver the main module must be importable (a script "
                           "file, not standard input)")
            raise
        self.startup_seconds = time.perf_counter() - start
        # multiprocessing.Pool replaces a worker that dies, silently: one killed
        # even while idle may hold its task queue's lock for ever.
        self.pool_processes = list(self.pool._pool) if self.api != "executor" else []

    def _probe(self):
        """The pids of workers that answered ``workers`` simultaneous probes."""
        delays = [0.05] * self.workers
        if self.api == "executor":
            return [f.result() for f in [self.pool.submit(_worker_ready, d) for d in delays]]
        return self._watched(self.pool.map_async(_worker_ready, delays, chunksize=1))

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
        try:
            return self._map(tasks)
        except BrokenProcessPool as exc:
            self.broken = True
            raise WorkerLost(f"a worker process died while running chunks ({exc})") from exc
        except WorkerLost:
            self.broken = True  # its pool still waits for the lost tasks: terminate it
            raise

    def _map(self, tasks):
        if self.api == "executor":
            return list(self.pool.map(run_task, tasks, chunksize=self.chunksize))
        # multiprocessing.Pool replaces a worker that dies, but never returns its
        # tasks' results: look at the workers while waiting, or wait for ever.
        if self.api == "pool":
            return self._watched(self.pool.map_async(run_task, tasks, chunksize=self.chunksize))
        results = [None] * len(tasks)
        arriving = self.pool.imap_unordered(_run_indexed, tasks, chunksize=self.chunksize)
        for _ in tasks:
            while True:
                try:
                    index, outcome = arriving.next(timeout=POLL_SECONDS)
                    break
                except multiprocessing.TimeoutError:
                    self._check()
            results[index] = outcome
        return results

    def _watched(self, pending):
        """The result of a multiprocessing.Pool AsyncResult, WorkerLost if a worker dies."""
        while not pending.ready():
            pending.wait(POLL_SECONDS)
            self._check()
        return pending.get()

    def _check(self):
        """Raise WorkerLost if a worker of the pool has died since it started (the
        pool's own count, during start-up)."""
        for process in self.pool_processes or list(self.pool._pool):
            if process.exitcode is not None:
                raise WorkerLost(f"worker process {process.pid} died (exit code "
                                 f"{process.exitcode})")

    def close(self, *, abort=None):
        if abort is None and self.broken:
            abort = WorkerLost("a worker process died")
        try:
            if self.api == "executor":
                if abort is not None:
                    self._abort_executor(INTERRUPT_GRACE if interrupted(abort) else ABORT_GRACE)
                self.pool.shutdown(wait=True, cancel_futures=True)
            else:
                if self.broken:
                    self._unwedge_pool()
                if abort is not None:
                    self.pool.terminate()
                else:
                    self.pool.close()
                self.pool.join()
        finally:
            if self.shared is not None:
                self.shared.release()

    def _unwedge_pool(self):
        """Make a multiprocessing.Pool whose worker died terminable.

        A Pool worker waits for its next task holding the task queue's lock, and
        sends a result holding the result queue's; one killed then leaves a lock
        held for ever, and Pool.terminate() itself waits for it (CPython
        bpo-22393: a Pool does not survive a worker's death). Stop the pool from
        replacing workers, end every worker, and free the locks the dead ones
        held. Pool internals: there is no public way.
        """
        from multiprocessing.pool import TERMINATE

        # The sentinel the pool's task thread sends the result thread would be
        # read as the rest of a dead worker's half-sent result: drop it.
        self.pool._outqueue.put = lambda obj: None
        self.pool._worker_handler._state = TERMINATE
        for process in list(self.pool._pool):
            process.kill()
            process.join()
        # The workers take these locks (the pool's threads only briefly): one
        # that stays held a second, with every worker gone, a dead one held.
        for lock in (self.pool._inqueue._rlock, self.pool._outqueue._wlock):
            if lock is not None and not lock.acquire(timeout=1.0):
                lock.release()
            elif lock is not None:
                lock.release()
        # A worker killed while sending a result leaves part of a message in the
        # result pipe, and the pool's result thread waiting for the rest. With
        # the last write end closed it reads the end of the pipe and exits.
        self.pool._outqueue._writer.close()
        self.pool._cache.clear()  # the lost tasks' results: abandoned

    def _abort_executor(self, grace):
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
