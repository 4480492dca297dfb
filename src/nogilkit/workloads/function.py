"""A user's function as a workload, for ``nogilkit.compare(fn, items)``.

The items are the problem; a chunk is a run of consecutive items and its
partial result the list of ``fn(item)``. The expected answer is what a plain
loop returns (``[fn(x) for x in items]``; for a coroutine function, each
call awaited one by one on one event loop), computed once in ``prepare``, so
every strategy is checked against the user's own serial loop.

An exception that ``fn`` raises under a strategy, after the serial loop ran
clean, does not end the comparison: the chunk returns it in the item's
place and the check reports it as that strategy's failure (a function that
breaks when called from several threads at once is not thread-safe).

This workload is made at run time, not registered: tasks carry
``FunctionChunks`` (the function itself), which a worker process unpickles
by importing the function's module.
"""

import asyncio
import contextlib
import inspect
import os
import pickle
import sys
import threading
import time
from dataclasses import dataclass

import numpy as np

from .._measure import Deadline, gil_held_fraction, pickle_cost
from .._runtime import add_note, gil_enabled
from .._text import describe_exception, format_seconds, one_line
from .._workload import CheckFailed, Problem, Workload, even_ranges

GIL_PHASE_MIN_TIME = 0.1  # seconds of the GIL measurement, at least one whole pass
GIL_PHASE_LIMIT = 24 * 3600.0  # the measurement's deadline: the function's own time bounds it
INEXACT = (float, complex, np.inexact)


@dataclass(frozen=True)
class Items:
    """A chunk: ``values`` are the items from index ``start`` on."""

    start: int
    values: list

    def __repr__(self):  # error notes name the chunk, not its data
        return f"items {self.start}..{self.start + len(self.values) - 1}"


class BrokenCheck(TypeError):
    """The user's check= failed: raised, never turned into a failed row."""


class Raised:
    """Stands in a chunk's results for an item on which ``fn`` raised."""

    def __init__(self, exc):
        self.text = describe_exception(exc)  # one line, also for a traceback's text

    def __repr__(self):
        return f"raised {self.text}"


# A coroutine function's chunks, run outside an event loop (the serial
# strategy), are awaited on one loop per thread, kept for every run: starting a
# loop per chunk (asyncio.run) would add milliseconds to the baseline that the
# asyncio strategy, one loop for the whole run, never pays.
_thread_loops = threading.local()
_loops = []
_loops_lock = threading.Lock()


def _this_threads_loop():
    loop = getattr(_thread_loops, "loop", None)
    if loop is None:
        loop = _thread_loops.loop = asyncio.new_event_loop()
        with _loops_lock:
            _loops.append(loop)
    return loop


def close_loops():
    """Close the loops that ran coroutine chunks in this process (idempotent)."""
    with _loops_lock:
        loops = list(_loops)
        _loops.clear()
    for loop in loops:
        if not loop.is_closed():
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
    _thread_loops.__dict__.clear()


class FunctionChunks:
    """What a task carries: the function and how to call it over a chunk."""

    def __init__(self, fn, coroutine):
        self.fn = fn
        self.coroutine = coroutine

    def run_chunk(self, params, arrays, spec, implementation):
        if self.coroutine:  # awaited one by one, on this thread's own loop
            return _this_threads_loop().run_until_complete(
                self.run_chunk_async(params, arrays, spec, implementation))
        results = []
        for item in spec.values:
            try:
                results.append(self.fn(item))
            except (Exception, SystemExit) as exc:  # sys.exit() in fn fails its item
                results.append(Raised(exc))
        return results

    def chunk_implementation(self, implementation):
        """As ``Workload.chunk_implementation``: a function has one implementation."""
        return implementation

    async def run_chunk_async(self, params, arrays, spec, implementation):
        if not self.coroutine:  # a plain function blocks the loop, as it would in a coroutine
            return self.run_chunk(params, arrays, spec, implementation)
        results = []
        for item in spec.values:
            try:
                results.append(await self.fn(item))
            except (Exception, SystemExit) as exc:
                results.append(Raised(exc))
        return results


@dataclass(frozen=True)
class Facts:
    """What ``prepare`` measured about the function, for the recommendation."""

    items: int
    serial_seconds: float  # one plain loop over the items
    gil_held: object  # fraction of that loop's time the GIL was held; None: not measured
    gil_note: str  # why gil_held is None
    pickle_seconds: object  # pickle round trip of (fn, items) and the results; None: fails
    pickle_bytes: object
    pickle_error: object
    cpu_seconds: float = None  # CPU time of the plain loop (far below its time: it waits)

    def to_dict(self):
        return dict(vars(self))


class FunctionExited(RuntimeError):
    """fn called sys.exit(): an error of fn's, not a reason for nogilkit to exit."""


@contextlib.contextmanager
def _naming_the_item(name, index, purpose):
    """An exception from fn (called ``name``) names the item; sys.exit() in fn
    becomes FunctionExited."""
    try:
        yield
    except SystemExit as exc:
        raise FunctionExited(f"{name} called sys.exit({exc.code!r}) on item {index} in the "
                             f"serial loop {purpose}") from exc
    except Exception as exc:
        add_note(exc, f"raised by fn on item {index} in the serial loop {purpose}")
        raise


def is_coroutine_function(fn):
    """An ``async def`` function, or an object whose ``__call__`` is one."""
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None))


def describe(fn):
    """'module.qualname' of a function, else its repr."""
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None)
    module = getattr(fn, "__module__", None)
    return f"{module}.{name}" if name and module else repr(fn)


def same(expected, actual):
    """Whether two results are equal: arrays by ``numpy.array_equal`` (same shape
    and dtype, NaN equal to NaN), containers item by item, the rest by ``==``."""
    if isinstance(expected, np.ndarray) or isinstance(actual, np.ndarray):
        return (isinstance(expected, np.ndarray) and isinstance(actual, np.ndarray)
                and expected.shape == actual.shape and expected.dtype == actual.dtype
                and bool(np.array_equal(expected, actual,
                                        equal_nan=expected.dtype.kind in "fc")))
    if isinstance(expected, (list, tuple)) and isinstance(actual, (list, tuple)):
        return (type(expected) is type(actual) and len(expected) == len(actual)
                and all(map(same, expected, actual)))
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(same(v, actual[k])
                                                         for k, v in expected.items())
    if isinstance(expected, INEXACT) and isinstance(actual, INEXACT) and expected != expected:
        return bool(actual != actual)  # NaN (float, complex or a NumPy scalar) equals NaN
    outcome = expected == actual
    try:
        return bool(outcome)
    except (TypeError, ValueError) as exc:  # an array-like's elementwise ==
        raise TypeError(f"cannot compare results of type {type(expected).__name__} with ==: "
                        f"{exc}; pass check=, a function (expected, actual) -> bool") from None


def _loop_running():
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _short(value, limit=80):
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


class FunctionWorkload(Workload):
    """``fn`` over ``items``: chunks of consecutive items, checked against a plain loop."""

    registered = False

    def __init__(self, fn, items, check=None):
        self.fn = fn
        self.items = list(items)
        self.compare_items = check or same
        self.coroutine = is_coroutine_function(fn)
        self.chunks = FunctionChunks(fn, self.coroutine)
        self.name = describe(fn)
        self.implementation = "coroutine" if self.coroutine else "function"
        self.implementations = (self.implementation,)
        self.size = f"{len(self.items)} items"
        self.facts = None

    def task_ref(self):
        return self.chunks

    def prepare(self, size):
        if self.coroutine and _loop_running():
            raise RuntimeError("compare runs a coroutine function on event loops of its own, "
                               "and this thread already runs one (Jupyter does): call it from "
                               "another thread, as await asyncio.to_thread(nogilkit.compare, "
                               "fn, items)")
        start, cpu = time.perf_counter(), time.process_time()
        expected = self._serial_loop()
        serial_seconds = time.perf_counter() - start
        cpu_seconds = time.process_time() - cpu
        if not self._equal(0, expected[0], expected[0]):  # before any strategy runs
            raise BrokenCheck("check returned False for item 0's result compared with itself")
        gil_held, gil_note = self._gil_held(expected, serial_seconds)
        seconds, size_bytes, error = pickle_cost(self.fn, tuple(self.items), {}, expected)
        self.facts = Facts(len(self.items), serial_seconds, gil_held, gil_note, seconds,
                           size_bytes, error, cpu_seconds)
        kind = "awaited one by one" if self.coroutine else "a plain loop"
        return Problem(self.name, self.size, {}, expected=expected,
                       description=f"checked against {kind}: {format_seconds(serial_seconds)}",
                       resources=[close_loops])

    def _serial_loop(self, purpose="that gives the expected results"):
        """The results of a plain loop; an exception names the item it came from."""
        async def awaited():
            results = []
            for index, item in enumerate(self.items):
                with _naming_the_item(self.name, index, purpose):
                    results.append(await self.fn(item))
            return results

        if self.coroutine:
            return asyncio.run(awaited())
        results = []
        for index, item in enumerate(self.items):
            with _naming_the_item(self.name, index, purpose):
                results.append(self.fn(item))
            if inspect.isawaitable(results[-1]):
                if inspect.iscoroutine(results[-1]):
                    results[-1].close()  # never awaited: no "was never awaited" warning
                raise TypeError("fn returned an awaitable, not a result: define it with async "
                                "def (a coroutine function), which compare awaits")
        return results

    def _gil_held(self, expected, serial_seconds):
        """(fraction of a plain loop's time the GIL is held, or None; why None).

        Measured by nogilkit.probe's monitor (see its documentation) over at
        least one more loop; that loop's results must equal the first's, or
        nothing about the function can be verified."""
        if self.coroutine:
            return None, "a coroutine function: its time is spent on an event loop"
        if not gil_enabled():
            return None, "this interpreter runs without a GIL"
        try:
            fraction, again, _ = gil_held_fraction(lambda: self._serial_loop("measuring the GIL"),
                                                max(serial_seconds, 1e-6), GIL_PHASE_MIN_TIME,
                                                Deadline(GIL_PHASE_LIMIT))
        except Exception as exc:  # fn works only in the main thread, say
            return None, (f"fn raised {type(exc).__name__} when called from another thread: "
                          f"{one_line(exc)}")
        self.check_against(expected, again, "two serial loops over the items differ: fn is not "
                                            "deterministic (randomness, time, global state, or "
                                            "it changes its items), so the strategies cannot be "
                                            "checked; pass check= to say which results are equal")
        return fraction, ""

    def split(self, problem, n_chunks):
        return [Items(a, self.items[a:b]) for a, b in even_ranges(len(self.items), n_chunks)]

    def combine(self, problem, specs, partials):
        return [result for partial in partials for result in partial]

    def check(self, problem, result):
        self.check_against(problem.expected, result, "")

    def check_against(self, expected, result, context):
        """Raise CheckFailed at the first item whose result differs."""
        prefix = f"{context}: " if context else ""
        if len(result) != len(expected):
            raise CheckFailed(f"{prefix}{len(result)} results for {len(expected)} items")
        for index, (want, got) in enumerate(zip(expected, result)):
            if isinstance(got, Raised):
                raise CheckFailed(f"{prefix}item {index} {got!r}, where the serial loop "
                                  f"returned {_short(want)}")
            if not self._equal(index, want, got):
                raise CheckFailed(f"{prefix}item {index}: the serial loop returned "
                                  f"{_short(want)}, this run {_short(got)}")

    def _equal(self, index, want, got):
        if self.compare_items is same:
            return same(want, got)
        try:
            return bool(self.compare_items(want, got))
        except Exception as exc:
            raise BrokenCheck(f"check raised {type(exc).__name__} on item {index}: {exc}; check "
                              "must take (expected, actual) and return a bool") from exc

    def run_failed(self, exc):
        """A strategy broke on the user's function (a worker process died, a result
        that does not pickle there): that row fails with the reason; the
        comparison goes on."""
        if isinstance(exc, BrokenCheck):
            return None
        return f"the run failed: {describe_exception(exc)}"

    def unpicklable(self, start_method):
        """Why fn, the items or the results cannot go to worker processes, or None."""
        try:
            pickle.dumps(self.chunks)
        except Exception as exc:
            return (f"fn cannot be pickled for worker processes ({describe_exception(exc)}); "
                    "processes need a function defined at the top level of a module "
                    "(not a lambda, nor a function defined inside another)")
        main_file = getattr(sys.modules.get("__main__"), "__file__", None)  # "<stdin>" from -
        if (getattr(self.fn, "__module__", None) == "__main__" and start_method != "fork"
                and not (main_file and os.path.isfile(main_file))):
            return (f"fn is defined in __main__ of an interactive session or standard input, "
                    f"which {start_method} workers cannot import: define it in a module "
                    "(or use the fork start method)")
        if self.facts is not None and self.facts.pickle_error:
            return f"the items or the results cannot be pickled ({self.facts.pickle_error})"
        return None


__all__ = ["BrokenCheck", "Facts", "FunctionExited", "FunctionWorkload", "close_loops",
           "is_coroutine_function", "same"]
