"""The shared thread pool that runs the kernels' nogil work on several cores.

A kernel wraps one computation in a *job* (``nogilkit._ext._jobs.ChunkJob``)
whose ``work()`` method releases the GIL and takes chunks from a shared
counter until none is left. ``run_job`` calls ``work`` in the calling thread
and in ``threads - 1`` pool threads, so the caller does its share instead of
waiting idle.
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor

from .._runtime import available_cpus
from .._validation import positive_int

# Threads are created on demand, so a large limit costs nothing until used; it
# lets a caller ask for more threads than cores (to study oversubscription).
POOL_MAX_WORKERS = 64

_pool = None
_pool_lock = threading.Lock()


def resolve_threads(threads):
    """``threads`` as a positive int; None means every available CPU."""
    if threads is None:
        return available_cpus()
    return positive_int("threads", threads)


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

    Returns the results of the calls that ran, the caller's first. Pool tasks
    that have not started by the time the caller's own share is done are
    cancelled: every chunk is claimed by then. Waiting only on started tasks
    means a kernel called from inside a busy pool cannot deadlock waiting for
    a free pool thread.
    """
    work = job.work
    if threads == 1:
        return [work()]
    pool = shared_pool()
    futures = [pool.submit(work) for _ in range(threads - 1)]
    results = []
    try:
        results.append(work())
    finally:
        for future in futures:
            if not future.cancel():
                results.append(future.result())
    return results
