"""Functions for ``nogilkit.compare(fn, items)`` tests, in a module so that
worker processes can import them by name."""

import asyncio
import multiprocessing
import os
import random
import threading
import time

import numpy as np

import nogilkit


def square_sum(n):
    """Pure Python: holds the GIL."""
    return sum(i * i for i in range(n))


def kernel(seed):
    """The nogil kernel: releases the GIL; an array result."""
    return nogilkit.mandelbrot(40, 30, 64, threads=1) + seed


def process_id(item):
    """Differs in worker processes."""
    return (item, os.getpid())


def noisy(item):
    """Not deterministic: equal only within a tolerance."""
    return item + random.random() * 1e-9


def close(expected, actual):
    return abs(expected - actual) < 1e-6


_last = None


def racy(item):
    """Keeps its argument in a global across a sleep: another thread overwrites it."""
    global _last
    _last = item
    time.sleep(0.002)
    return _last * 2


_busy = threading.Lock()


def not_reentrant(item):
    """Raises when two calls overlap (as code that guards a shared resource would)."""
    if not _busy.acquire(blocking=False):
        raise RuntimeError("called while another call was running")
    try:
        time.sleep(0.002)
        return item
    finally:
        _busy.release()


def fails_on_three(item):
    if item == 3:
        raise ValueError("three is not allowed")
    return item


async def waits(item):
    await asyncio.sleep(0.001)
    return item + 1


def twice(array):
    return np.asarray(array) * 2


def dies_in_a_worker(item):
    """Ends its process abruptly when it is a worker (as a crash in C code would)."""
    if multiprocessing.parent_process() is not None:
        os._exit(3)
    return item


def fails_in_a_worker(item):
    """Raises in a worker process (a file or a setting only the parent has)."""
    if multiprocessing.parent_process() is not None:
        raise ValueError(f"not in a worker process (item {item})")
    return item


def main_thread_only(item):
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("main thread only")
    return item


class AsyncAdder:
    """An object whose __call__ is a coroutine function."""

    def __init__(self, n):
        self.n = n

    async def __call__(self, item):
        await asyncio.sleep(0)
        return item + self.n


def returns_coroutine(item):
    return waits(item)


def spins_in_other_threads(item):
    """Pure Python that never returns outside the main thread (a hang under threads)."""
    while threading.current_thread() is not threading.main_thread():
        pass
    return item


def sleeps_in_other_threads(item):
    """Blocks in native code outside the main thread: Ctrl-C cannot reach it."""
    if threading.current_thread() is not threading.main_thread():
        time.sleep(3600)
    return item


def exits(item):
    """Calls sys.exit, as a script's function might."""
    raise SystemExit(5)


async def never_awaits(item):
    """A coroutine function that does not wait: no gain from gathering."""
    return item * 2


def sleeps(item):
    """Waits 5 ms, as an I/O call would: no CPU, no GIL held."""
    time.sleep(0.005)
    return item
