"""Shared pieces of the asv suite: thread pinning, seeded data, thread counts, skips.

Native thread pools are pinned to one thread before NumPy is imported, so a
benchmark's own threads are the only parallelism it measures.
"""

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402

import nogilkit  # noqa: E402

CPUS = nogilkit.available_cpus()
# 1, 2 and every core: the thread counts every parallel benchmark is run at.
THREADS = sorted({1, 2, CPUS})


def rng(seed=0):
    return np.random.default_rng(seed)


def points(n, features, k, seed=0):
    """Gaussian blobs around k centres: k-means data whose clusters never empty."""
    r = rng(seed)
    centres = r.uniform(-10, 10, size=(k, features))
    return centres[r.integers(0, k, size=n)] + r.normal(size=(n, features))


def skip(reason):
    """Skip this parameter combination (asv's convention: NotImplementedError in setup)."""
    raise NotImplementedError(reason)


def skip_if_more_threads_than_cpus(threads):
    if threads > CPUS:
        skip(f"{threads} threads on {CPUS} CPUs")
