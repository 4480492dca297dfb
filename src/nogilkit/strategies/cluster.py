"""Strategies ``dask`` and ``dask-threads``: chunks as tasks on a Dask
distributed cluster, the third tier (many machines) on an existing engine.

Without a scheduler address each starts a ``LocalCluster`` on loopback:
``dask`` with one single-threaded worker process per worker (what pure
Python needs: each process has its own GIL), ``dask-threads`` with one worker
process running that many threads (enough for kernels that release the GIL;
Dask's own advice). With ``Options.scheduler`` (``--scheduler
tcp://HOST:PORT``) both attach to that cluster instead, whatever its shape,
so the same command scales out to many machines. The problem's input arrays
are scattered to the workers once, before timing; arrays made for one round
are scattered per round and released after it. Results come back through
``Client.gather`` and are checked like every other strategy's; a worker
that dies mid-run is retried by Dask (``allowed-failures``) or ends the run
with Dask's ``KilledWorker``, named in the error.

Dask's statistical profiler is off in the clusters started here: it samples
every thread's stack each 10 ms (``sys._current_frames``), which costs the
measured runs time, and which aborts the process on CPython 3.13 when
subinterpreters exist (the ``interpreters`` strategy of the same
comparison): reproduced with 3.13.0 and 3.13.5 here.
"""

import logging
import socket
import time

from .._runtime import missing
from .base import ChunkedSession, Strategy, Task, WorkerLost, run_task

CONNECT_TIMEOUT = 10.0  # seconds to reach a scheduler given by address


def run_chunk(workload, implementation, params, arrays, spec, index):
    """On a Dask worker: one chunk. ``arrays`` arrives with scattered futures
    already replaced by their arrays (Dask resolves futures inside a dict)."""
    return run_task(Task(workload, implementation, params, arrays, spec, index))


class DaskSession(ChunkedSession):
    remote = True

    def __init__(self, workers, options, processes, threads):
        super().__init__(workers, options.chunks_per_worker)
        import dask
        from distributed import Client, LocalCluster

        self.cluster = None
        self.client = None
        self.shared = {}  # id(array) -> future, scattered once by share_inputs
        self.round_futures = []
        start = time.perf_counter()
        before = _clusters()
        try:
            if options.scheduler:
                _check_reachable(options.scheduler)
                self.client = Client(options.scheduler, timeout=CONNECT_TIMEOUT,
                                     set_as_default=False)
            else:
                with dask.config.set({"distributed.worker.profile.enabled": False}):
                    self.cluster = LocalCluster(
                        n_workers=processes, threads_per_worker=threads,
                        processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0",
                        silence_logs=logging.ERROR)
                    self.client = Client(self.cluster, set_as_default=False)
            _quiet_about_abandoned_gathers(self.client)
            if not options.scheduler:
                self.client.wait_for_workers(processes, timeout=60)
            # Every worker imports the workloads now, not in the first timed run.
            self.client.run(_import_workloads)
        except BaseException as exc:
            self.close(abort=exc)
            _close_half_started(before)
            if options.scheduler and isinstance(exc, (OSError, TimeoutError)):
                raise ConnectionError(
                    f"no Dask scheduler at {options.scheduler} within {CONNECT_TIMEOUT:g} s "
                    f"({type(exc).__name__}: {exc})") from None
            if not options.scheduler and isinstance(exc, (RuntimeError, TimeoutError)):
                # distributed's "Nanny failed to start" / "start timed out": a
                # worker process died or never came up (killed, out of memory).
                raise WorkerLost(f"a Dask worker process did not start ({type(exc).__name__}: "
                                 f"{exc})") from exc
            raise
        self.startup_seconds = time.perf_counter() - start

    def share_inputs(self, arrays):
        start = time.perf_counter()
        for array in arrays.values():
            self.shared[id(array)] = self.client.scatter(array, broadcast=False, hash=False)
        self.startup_seconds += time.perf_counter() - start

    def transfer(self, arrays):
        shipped = {}
        for name, array in arrays.items():
            future = self.shared.get(id(array))
            if future is None:  # made for this round: scattered now, released after it
                future = self.client.scatter(array, hash=False)
                self.round_futures.append(future)
            shipped[name] = future
        return shipped

    def end_round(self):
        for future in self.round_futures:
            future.release()
        self.round_futures = []

    def map_tasks(self, tasks):
        futures = [self.client.submit(run_chunk, t.workload, t.implementation, t.params,
                                      t.arrays, t.spec, t.index, pure=False) for t in tasks]
        try:
            return self.client.gather(futures)
        except Exception as exc:
            if type(exc).__name__ == "KilledWorker":
                raise WorkerLost(f"a Dask worker died while running a chunk, and Dask's "
                                 f"retries (distributed.scheduler.allowed-failures) ran out: "
                                 f"{exc}") from exc
            raise
        finally:
            for future in futures:
                future.release()

    def close(self, *, abort=None):
        try:
            if self.client is not None:
                self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()


def _clusters():
    """The clusters distributed knows of in this process."""
    from distributed.deploy.spec import SpecCluster

    return set(SpecCluster._instances)


def _close_half_started(before):
    """Close the clusters made since ``before`` that a failed or interrupted start
    left behind. LocalCluster registers itself before its workers are up, and a
    start that failed never reaches ``self.cluster``: distributed's own exit hook
    would then close it and print an AssertionError traceback about a worker
    still starting. Closed here, quietly, and forgotten."""
    from distributed.deploy.spec import SpecCluster

    for cluster in _clusters() - before:
        try:
            cluster.close(timeout=10)
        except Exception:  # a half-built cluster may fail to close cleanly
            pass
        SpecCluster._instances.discard(cluster)


def _quiet_about_abandoned_gathers(client):
    """A gather that Ctrl-C interrupted ends, on the client's own loop, with
    AllExit once its futures are released (map_tasks) or the client closes;
    nothing awaits it any more, and asyncio would print its traceback. Let the
    loop drop that one. Installed as the session starts: set only at close, it
    came too late when the release ended the gather first (a traceback in 1 of
    4 interrupted dask runs on Python 3.13)."""
    loop = getattr(client.loop, "asyncio_loop", None)
    if loop is None:
        return

    def handler(loop, context):
        if type(context.get("exception")).__name__ != "AllExit":
            loop.default_exception_handler(context)

    loop.call_soon_threadsafe(loop.set_exception_handler, handler)


def _check_reachable(address):
    """Fail fast and clean on an address nothing listens on: a Client that cannot
    connect keeps its event-loop thread alive, so look with a plain socket first."""
    scheme, _, rest = address.partition("://")
    if scheme != "tcp":
        return
    host, _, port = rest.rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT).close()
    except (OSError, ValueError) as exc:
        raise ConnectionError(f"no Dask scheduler at {address} within {CONNECT_TIMEOUT:g} s "
                              f"({type(exc).__name__}: {exc})") from None


def _import_workloads():
    from .. import workloads  # noqa: F401


class Dask(Strategy):
    name = "dask"
    summary = "Dask distributed: N single-threaded worker processes (or --scheduler's cluster)"
    family = "processes"
    starts_workers = True
    plot_style = ("--", "D")
    phrase = "dask ({workers} processes x 1 thread)"

    def missing(self):
        return missing("distributed")

    def shape(self, workers):
        """(worker processes, threads per process) of the local cluster."""
        return workers, 1

    def start(self, workers, options):
        return DaskSession(workers, options, *self.shape(workers))


class DaskThreads(Dask):
    name = "dask-threads"
    summary = "Dask distributed: one worker process with N threads (or --scheduler's cluster)"
    plot_style = ("-", "D")
    phrase = "dask-threads (1 process x {workers} threads)"

    def shape(self, workers):
        return 1, workers


__all__ = ["Dask", "DaskThreads", "DaskSession"]
