"""Strategy ``processes``: chunks in worker processes.

Options (``Options``): the pool (``executor``: ProcessPoolExecutor.map;
``pool``: multiprocessing.Pool.map; ``pool-unordered``:
multiprocessing.Pool.imap_unordered), ``chunksize`` (tasks sent to a worker
at a time), the start method (``fork``, ``spawn``, ``forkserver``) and how
input arrays travel (``pickle`` with every task, or ``shm``: copied once into
shared memory). Every worker is started, and has imported nogilkit, before
timing: that start-up is reported separately.
"""

import contextlib
import multiprocessing
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from .._runtime import add_note, start_method_unavailable, worker_importing_main
from .base import (ABANDONED, ChunkedSession, MainReimported, Strategy, WorkerLost, interrupted,
                   main_reimported_message, run_task)
from .transfer import TRANSFERS, SharedArrays

POOL_APIS = ("executor", "pool", "pool-unordered")
POLL_SECONDS = 0.1  # how often a multiprocessing.Pool's workers are looked at
ABORT_GRACE = 2.0  # seconds running chunks get after an error, before termination
INTERRUPT_GRACE = 0.2  # ... after Ctrl-C or termination
CLEANUP_GRACE = 5.0  # seconds an aborted executor's management thread gets to end


# Where a worker that finds itself importing an unguarded main script writes
# the script's path, for the pool's owner to stop with one sentence.
REIMPORT_MARKER = "NOGILKIT_REIMPORT_MARKER"


def refuse_worker_import():
    """Called first by nogilkit.compare: in a worker process running the main
    script's top-level code (spawn and forkserver import the main module), a
    call of compare means the script has no main guard. Under a pool of
    nogilkit's, the worker tells its owner and exits quietly (the owner says
    it once); elsewhere it raises MainReimported."""
    path = worker_importing_main()
    if path is None:
        return
    marker = os.environ.get(REIMPORT_MARKER)
    if marker:
        try:
            # Appended: several workers (a forkserver started again) may report.
            with open(marker, "a", encoding="utf-8") as f:
                f.write(path + "\n")
        except OSError:
            pass
        else:
            raise SystemExit(1)
    raise MainReimported(main_reimported_message(path))


@contextlib.contextmanager
def _reimport_watched():
    """While a pool starts, workers that re-import an unguarded main script can
    report it: yields a function giving that script's path, or None."""
    fd, path = tempfile.mkstemp(prefix="nogilkit-reimport-")
    os.close(fd)
    saved = os.environ.get(REIMPORT_MARKER)
    os.environ[REIMPORT_MARKER] = path

    def reported():
        try:
            with open(path, encoding="utf-8") as f:
                return f.readline().rstrip("\n") or None
        except OSError:
            return None

    try:
        yield reported
    finally:
        if saved is None:
            os.environ.pop(REIMPORT_MARKER, None)
        else:
            os.environ[REIMPORT_MARKER] = saved
        with contextlib.suppress(OSError):
            os.unlink(path)


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
        start = time.perf_counter()
        with _reimport_watched() as reimported:
            self._start(workers, options, reimported)
        self.startup_seconds = time.perf_counter() - start

    def _start(self, workers, options, reimported):
        context = multiprocessing.get_context(options.start_method)
        if self.api == "executor":
            self.pool = ProcessPoolExecutor(workers, mp_context=context)
        else:
            self.pool = context.Pool(workers)
            # multiprocessing.Pool replaces a worker that dies, silently, and
            # never returns its task (the start-up probe's included): watch the
            # workers it started. One killed even while idle may hold its task
            # queue's lock for ever.
            self.pool_processes = list(self.pool._pool)
        # Workers may start on demand: ask until every one has answered.
        pids = set()
        try:
            for _ in range(20):
                pids.update(self._probe())
                if len(pids) >= workers:
                    break
        except Exception as exc:
            killed = self._killed()
            self.close(abort=exc)
            script = reimported()
            if script is not None:  # every process strategy would fail so: stop
                raise MainReimported(main_reimported_message(script)) from None
            if killed:  # not a start-up failure: a worker was killed meanwhile
                raise WorkerLost(f"worker process {killed[0][0]} was killed by signal "
                                 f"{killed[0][1]} while the pool started") from exc
            if not isinstance(exc, WorkerLost):
                add_note(exc, f"worker processes ({options.start_method}) could not start: "
                              "with spawn or forkserver the main module must be importable "
                              "(a script file, not standard input)")
            raise

    def _killed(self):
        """[(pid, signal)] of the pool's workers that a signal ended, when none
        failed by itself (a worker that could not start exits with a status,
        and the pool then terminates the others: that is a failed start)."""
        if self.api == "executor":
            processes = (getattr(self.pool, "_processes", None) or {}).values()
        else:
            processes = self.pool_processes
        processes = list(processes)
        # The executor's management thread may be reaping them right now: give
        # their exit statuses a moment to appear.
        deadline = time.monotonic() + 1.0
        while any(p.exitcode is None for p in processes) and time.monotonic() < deadline:
            time.sleep(0.01)
        codes = [(p.pid, p.exitcode) for p in processes if p.exitcode is not None]
        if any(code > 0 for _, code in codes):
            return []
        return [(pid, -code) for pid, code in codes if code < 0]

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
        """Raise WorkerLost if a worker of the pool has died since it started."""
        for process in self.pool_processes:
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
                else:
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
        if manager is None:
            return
        manager.join(CLEANUP_GRACE)
        if manager.is_alive():
            # Its clean-up is stuck (joining a queue feeder that writes to a
            # pipe no process reads any more): end every worker and leave it.
            for process in processes:
                process.kill()
            manager.join(1.0)
        if manager.is_alive():
            ABANDONED.append(manager)


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


__all__ = ["POOL_APIS", "ProcessSession", "Processes", "WithStartMethod",
           "refuse_worker_import"]
