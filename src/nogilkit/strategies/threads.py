"""Strategy ``threads``: chunks on a ThreadPoolExecutor, handed out dynamically.

Pure-Python chunks hold the GIL and take turns; nogil kernels run in parallel.
"""

import time
from concurrent.futures import ThreadPoolExecutor

from .base import ChunkedSession, Strategy, run_task


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

    def close(self, *, abort=False):
        self.thread_pool.shutdown(wait=True, cancel_futures=abort)


class Threads(Strategy):
    name = "threads"
    summary = "ThreadPoolExecutor, chunks handed out dynamically"
    family = "threads"
    plot_style = ("-", "o")
    phrase = "threads"

    def note(self, implementation, speedup):
        # Pure Python holds the GIL; the compiled kernels release it.
        if implementation == "python":
            return (" (the GIL serialises pure-Python threads)" if speedup < 1.3 else
                    " (pure Python in parallel: this interpreter runs without a GIL)")
        if implementation in ("cython", "numba") and speedup >= 1.3:
            return " (the kernel releases the GIL)"
        return ""

    def start(self, workers, options):
        return ThreadSession(workers, options.chunks_per_worker)


__all__ = ["ThreadSession", "Threads"]
