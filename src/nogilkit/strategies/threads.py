"""Strategy ``threads``: chunks on a ThreadPoolExecutor, handed out dynamically.

Pure-Python chunks hold the GIL and take turns; nogil kernels run in parallel.
"""

import ctypes
import time
from concurrent.futures import ThreadPoolExecutor

from .._ext._jobs import interrupt_all
from .base import ABANDONED, ChunkedSession, Strategy, interrupted, run_task

ABORT_GRACE = 1.0  # seconds running chunks get to end after Ctrl-C


class ThreadSession(ChunkedSession):
    def __init__(self, workers, chunks_per_worker):
        super().__init__(workers, chunks_per_worker)
        start = time.perf_counter()
        self.thread_pool = ThreadPoolExecutor(workers, thread_name_prefix="nogilkit-compare")
        # Threads start on demand: start them all now, outside the timing.
        list(self.thread_pool.map(time.sleep, [0.01] * workers))
        self.startup_seconds = time.perf_counter() - start

    def map_tasks(self, tasks):
        # Executor.map queues every task; idle threads take the next one.
        return list(self.thread_pool.map(run_task, tasks))

    def close(self, *, abort=None):
        if not interrupted(abort):
            self.thread_pool.shutdown(wait=True, cancel_futures=abort is not None)
            return
        # Ctrl-C: nothing new starts; the running chunks are stopped.
        self.thread_pool.shutdown(wait=False, cancel_futures=True)
        stop_threads(list(getattr(self.thread_pool, "_threads", ())))


def stop_threads(threads):
    """After Ctrl-C: end the chunks running in ``threads``. Kernels stop at their
    next poll, and a chunk still running pure Python gets KeyboardInterrupt
    raised in its thread; one stuck in native code is left behind, not waited for."""
    interrupt_all()
    deadline = time.monotonic() + ABORT_GRACE
    for attempt in range(2):
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        threads = [t for t in threads if t.is_alive()]
        if not threads or attempt:
            break
        for thread in threads:
            raise_in_thread(thread, KeyboardInterrupt)
        deadline = time.monotonic() + ABORT_GRACE
    ABANDONED.extend(threads)


def raise_in_thread(thread, exception):
    """Raise ``exception`` in ``thread`` at its next Python bytecode."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident),
                                               ctypes.py_object(exception))


class Threads(Strategy):
    name = "threads"
    summary = "ThreadPoolExecutor, chunks handed out dynamically"
    family = "threads"
    plot_style = ("-", "o")
    phrase = "threads"

    def note(self, implementation, speedup, gil_enabled):
        # Pure Python holds the GIL; the compiled kernels release it. What the
        # interpreter says about its GIL decides the words, never the speedup.
        if implementation == "python":
            if gil_enabled:
                return (" (the GIL serialises pure-Python threads)" if speedup < 1.3 else
                        " (noise: the GIL serialises pure-Python threads)")
            return (" (pure Python in parallel: this interpreter runs without a GIL)"
                    if speedup >= 1.3 else " (no GIL here, yet no gain)")
        if implementation in ("cython", "cython-baseline", "numba") and speedup >= 1.3:
            return " (the kernel releases the GIL)"
        return ""

    def start(self, workers, options):
        return ThreadSession(workers, options.chunks_per_worker)


__all__ = ["ThreadSession", "Threads", "raise_in_thread", "stop_threads"]
