"""Shared pieces of the asv suite: thread pinning, thread counts, skips.

Native thread pools are pinned to one thread (nogilkit's own list of their
variables, and threadpoolctl where installed), so a benchmark's own threads
are the only parallelism it measures.
"""

import nogilkit
from nogilkit._runtime import native_pools_limited

# Entered for the life of the benchmark process; asv runs each benchmark in one.
native_pools_limited(1).__enter__()

CPUS = nogilkit.available_cpus()
# 1, 2 and every core: the thread counts every parallel benchmark is run at.
THREADS = sorted({1, 2, CPUS})


def skip(reason):
    """Skip this parameter combination (asv's convention: NotImplementedError in setup)."""
    raise NotImplementedError(reason)


def skip_if_more_threads_than_cpus(threads):
    if threads > CPUS:
        skip(f"{threads} threads on {CPUS} CPUs")
