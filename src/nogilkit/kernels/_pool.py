"""The shared thread pool that runs the kernels' nogil work on several cores.

A kernel wraps one computation in a *job* (``nogilkit._ext._jobs.ChunkJob``)
whose ``work()`` method releases the GIL and takes chunks from a shared
counter until none is left. ``run_job`` calls ``work`` in the calling thread
and in ``threads - 1`` pool threads, so the caller does its share instead of
waiting idle.

``threads=None`` means ``nogilkit._runtime.default_threads()``: the CPUs this
process may use, capped by the cgroup's CPU quota, ``OMP_NUM_THREADS`` and
``threadpoolctl.threadpool_limits`` (nogilkit's pool is registered with
threadpoolctl when this module is imported), as scikit-learn counts its OpenMP
threads. An explicit ``threads=N`` is honoured as given, over every limit, as
an explicit ``n_jobs`` is in scikit-learn.
"""

import concurrent.futures
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from .._runtime import default_threads, register_threadpoolctl
from .._validation import positive_int

# The most threads a kernel may be asked for: far more than any machine's
# cores (to study oversubscription), far fewer than a mistake such as 10**6.
MAX_THREADS = 1024
# The pool creates its threads on demand, so this limit costs nothing until used.
POOL_MAX_WORKERS = MAX_THREADS - 1

# threadpool_info() lists the pool and threadpool_limits(n) caps threads=None.
register_threadpoolctl()

_pool = None
_pool_lock = threading.Lock()


def resolve_threads(threads):
    """``threads`` as an int in [1, MAX_THREADS]; None means ``default_threads()``
    (the available CPUs, capped by the cgroup quota, OMP_NUM_THREADS and
    threadpoolctl), read now."""
    if threads is None:
        return default_threads()
    return positive_int("threads", threads, maximum=MAX_THREADS)


def shared_pool():
    """The process-wide pool, created on first use."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(POOL_MAX_WORKERS, thread_name_prefix="nogilkit")
        return _pool


def _forget_pool_after_fork():
    # A forked child has none of the parent's threads: start a new pool there.
    global _pool, _pool_lock
    _pool = None
    _pool_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_after_fork)


def run_job(job, threads):
    """Run ``job.work()`` in ``threads`` threads at once (the caller's among them).

    Never more threads than the job has chunks: one more would find nothing
    to do. Returns the results of the calls that ran, the caller's first.
    Pool tasks that have not started by the time the caller's own share is
    done are cancelled: every chunk is claimed by then. Waiting only on
    started tasks means a kernel called from inside a busy pool cannot
    deadlock waiting for a free pool thread. When the caller's share raises
    (Ctrl-C), the job is cancelled: every other thread stops at its next poll,
    within a fraction of a second, and the exception goes on.
    """
    threads = max(1, min(threads, job.n_chunks))
    work = job.work
    if threads == 1:
        return [work()]
    pool = shared_pool()
    futures = [pool.submit(work) for _ in range(threads - 1)]
    try:
        results = [work()]
    except BaseException:
        job.cancel()
        for future in futures:
            future.cancel()
        concurrent.futures.wait(futures)  # no pool thread left busy
        raise
    for future in futures:
        if not future.cancel():
            results.append(future.result())
    return results
