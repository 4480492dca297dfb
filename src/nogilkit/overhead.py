"""What the concurrency mechanisms themselves cost, measured on this machine.

``measure_overheads()`` times the fixed price of each way Python offers to run
work elsewhere, with work so small that only the mechanism is left:

for-loop iteration
    one iteration of an empty ``for _ in range(n)`` loop: the loop every
    per-operation figure below includes (as timeit's does).
function call, generator resume, coroutine await
    ``f()`` of a plain function returning None; ``next(g)`` of a generator
    that yields None; ``await f()`` of an ``async def`` returning None, inside
    one running coroutine (the coroutine object is created and run to its end).
thread start
    ``threading.Thread(target=f)``: create, ``start()``, ``join()``.
thread pool
    ``pool.submit(f).result()`` on a ThreadPoolExecutor of one thread,
    started (and its thread created) before timing.
asyncio task
    ``await asyncio.create_task(f())`` on a running event loop: the task is
    scheduled, the loop runs it, and the awaiting coroutine resumes.
process start
    ``Process(target=os.getpid)``: create, ``start()``, ``join()``, with each
    start method (fork, forkserver, spawn); one the platform lacks is a row
    that says so. The target is a builtin so that the child imports nothing
    more than multiprocessing needs: a target defined in a module makes a
    spawn or forkserver child import that module too (for nogilkit, numpy:
    about 0.1-0.2 s more), and spawn and forkserver children also re-import
    the program's main script (with its imports: run from the ``nogilkit``
    command, that is nogilkit and numpy, about 70 ms here). The forkserver's
    own start (once per program) is in the warm-up, not in the figure.
process pool
    ``pool.submit(f).result()`` on a ProcessPoolExecutor of one worker,
    started beforehand: the round trip of a task with no payload.
dask task
    ``client.submit(f, pure=False).result()`` on a Dask LocalCluster of one
    single-threaded worker process on loopback, started beforehand: what a
    task costs the dask strategies, against the process pool above (a row
    that says what to install when dask is missing).
pickle round trip
    ``pool.submit(checksum, array).result()`` on a ProcessPoolExecutor of one
    worker, started beforehand: the uint8 array is pickled, sent through a
    pipe, unpickled in the worker, checksummed there, and the checksum comes
    back. Sizes from 1 KiB by powers of 4 up to ``max_payload`` (and
    ``max_payload`` itself). The pool starts with nogilkit's default start
    method (forkserver where there is one, else spawn).
shared-memory round trip
    the same array through ``multiprocessing.shared_memory``: the block,
    created before timing, is reused for every call, which copies the array
    into it, submits only the block's name and size to the same pool, and the
    worker attaches by name (opens and maps the block), checksums it in place,
    closes its mapping and returns the checksum. Included: the copy in, the
    submission and result, the attach (with its page faults) and the
    checksum. Not included: creating and unlinking the block. A worker that
    keeps a block attached across calls (as nogilkit's processes strategy
    does) saves the mapping and its page faults.

Both round trips include the worker's checksum of the data (one quick pass:
the sum of its 64-bit words modulo 2**64 plus its trailing bytes), and every
returned checksum is compared with the one computed here: a mismatch raises
RuntimeError. MB/s is 10**6 bytes per second of round trip.

Each figure is the median, over several samples after a warm-up, of a
sample's time divided by the operations in it; as timeit does, a sample
repeats the operation until it lasts long enough to be timed well, and the
garbage collector is off while it runs. Every thread, process, pool and
shared-memory block made here is joined, shut down or unlinked before
``measure_overheads`` returns, whether or not it succeeds. What stays is what
multiprocessing keeps for the life of the program: its resource tracker and,
once forkserver has been used, the fork server.
"""

import asyncio
import contextlib
import gc
import math
import multiprocessing
import os
import platform
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing import shared_memory

import numpy as np

from . import _validation
from ._measure import Timing
from ._runtime import START_METHODS, available_cpus, default_start_method, gil_enabled, missing
from ._text import JsonReport, format_seconds

DEFAULT_MAX_PAYLOAD = 64 * 2**20
MIN_PAYLOAD = 1024

# (samples timed after the warm-up, the least seconds a sample should last)
FULL = (7, 0.05)
QUICK = (3, 0.002)

# The mechanisms in table order: (name, the detail of its row, or of what varies
# between its rows).
MECHANISMS = (
    ("for-loop iteration", "for _ in range(n): pass"),
    ("function call", "f()"),
    ("generator resume", "next(g)"),
    ("coroutine await", "await f()"),
    ("thread start", "Thread(target=f): start, join"),
    ("thread pool", "ThreadPoolExecutor(1): submit(f).result()"),
    ("asyncio task", "await create_task(f())"),
    ("process start", "the start method"),
    ("process pool", "ProcessPoolExecutor(1): submit(f).result()"),
    ("dask task", "LocalCluster(1 process): submit(f).result()"),
    ("pickle round trip", "the payload"),
    ("shared-memory round trip", "the payload"),
)


# -- what one operation runs ----------------------------------------------------------
# The workers' functions are module-level, so that spawn and forkserver children find
# them by name.


def _noop():
    return None


def _forever():
    while True:
        yield None


async def _nothing():
    return None


def checksum(data):
    """The sum of a 1-D uint8 array's 64-bit words modulo 2**64, plus its trailing bytes.

    What the round-trip workers return, and what their answers are checked
    against: any change to a byte changes it.
    """
    whole = data.size - data.size % 8
    words = data[:whole].view(np.uint64)  # native byte order; wraps modulo 2**64
    total = int(words.sum(dtype=np.uint64)) + int(data[whole:].sum(dtype=np.uint64))
    return total % 2**64


def _attach(name):
    if sys.version_info >= (3, 13):
        # The parent created the block and unlinks it; the worker only maps it.
        return shared_memory.SharedMemory(name, track=False)
    return shared_memory.SharedMemory(name)


def _shm_checksum(name, nbytes):
    """Worker: attach to the named block, checksum its first ``nbytes``, detach."""
    segment = _attach(name)
    try:
        data = np.ndarray((nbytes,), dtype=np.uint8, buffer=segment.buf)
        try:
            return checksum(data)
        finally:
            del data  # no view of the mapping may outlive it
    finally:
        segment.close()


# -- results ------------------------------------------------------------------------


def _seconds_text(seconds):
    """Seconds in ns, µs, ms or s with three significant figures."""
    return format_seconds(seconds, fixed=True)


def _bytes_text(nbytes):
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if nbytes >= scale:
            value = nbytes / scale
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{nbytes} B"


def _rate_text(rate):
    return f"{rate:,.0f}" if rate >= 100 else f"{rate:.3g}"


@dataclass(frozen=True)
class OverheadRow:
    """One mechanism (and variant) measured: seconds per operation.

    ``timing`` holds the seconds per operation of each sample (None, with
    ``note`` saying why, when it could not be measured here); ``number`` is
    the operations per sample; ``nbytes`` the payload of a round trip.
    """

    mechanism: str
    detail: str
    timing: Timing = None
    number: int = 0
    nbytes: int = None
    note: str = None

    @property
    def available(self):
        return self.timing is not None

    @property
    def seconds(self):
        """Median seconds per operation (None when not measured)."""
        return self.timing.median if self.timing else None

    @property
    def mb_per_s(self):
        """Payload megabytes (10**6 bytes) per second of round trip, for payload rows."""
        if self.nbytes is None or not self.timing:
            return None
        return self.nbytes / self.seconds / 1e6

    def to_dict(self):
        return {
            "mechanism": self.mechanism,
            "detail": self.detail,
            "available": self.available,
            "seconds": self.seconds,
            "min_seconds": self.timing.min if self.timing else None,
            "max_seconds": self.timing.max if self.timing else None,
            "samples": len(self.timing.times) if self.timing else 0,
            "operations_per_sample": self.number,
            "bytes": self.nbytes,
            "mb_per_s": self.mb_per_s,
            "note": self.note,
        }


@dataclass(frozen=True)
class OverheadReport(JsonReport):
    """The rows of measure_overheads, in table order, and how they were measured.

    Prints as a table; ``to_dict()`` / ``to_json()`` give the same as JSON.
    """

    rows: tuple
    config: dict

    def rows_for(self, mechanism):
        """The rows of one mechanism (a name from ``MECHANISMS``)."""
        return [row for row in self.rows if row.mechanism == mechanism]

    def __str__(self):
        header = ("mechanism", "detail", "median", "min", "max", "MB/s")
        lines_rows = []
        for row in self.rows:
            if not row.available:
                lines_rows.append((row.mechanism, row.detail, f"not measured: {row.note}"))
                continue
            lines_rows.append((
                row.mechanism,
                row.detail,
                _seconds_text(row.seconds),
                _seconds_text(row.timing.min),
                _seconds_text(row.timing.max),
                _rate_text(row.mb_per_s) if row.nbytes is not None else "",
            ))
        measured = [r for r in lines_rows if len(r) == len(header)]
        widths = [max(len(r[i]) for r in (header, *measured)) for i in range(len(header))]
        widths[:2] = [max(len(r[i]) for r in (header, *lines_rows)) for i in range(2)]

        def line(row):
            cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
            if len(row) == len(header):
                cells += [cell.rjust(width) for cell, width in zip(row[2:], widths[2:])]
            else:
                cells.append(row[2])
            return "  ".join(cells).rstrip()

        c = self.config
        gil = {True: "GIL on", False: "GIL off"}.get(c.get("gil"), "")
        title = (
            f"overhead per operation: median of {c['repeats']} samples of >= "
            f"{_seconds_text(c['min_sample_seconds'])} each, after a warm-up"
            f"{' (quick)' if c['quick'] else ''}; {c['python']}{f' ({gil})' if gil else ''}, "
            f"{c['available_cpus']} CPUs; pools start with {c['pool_start_method']}"
        )
        notes = [
            "round trips: one worker of a ProcessPoolExecutor started beforehand; the worker",
            "  checksums the payload; shared memory: the block exists already, each call copies",
            "  the payload in, sends its name, and the worker attaches, checksums and detaches;",
            "  MB/s = payload bytes / 10**6 / seconds. Process start: target os.getpid (a target",
            "  in a module also costs that module's import under spawn and forkserver, and their",
            "  children re-import the main script with its imports).",
        ]
        return "\n".join([title, line(header), *map(line, lines_rows), *notes])

    def to_dict(self):
        return {"config": dict(self.config), "rows": [row.to_dict() for row in self.rows]}


# -- timing ---------------------------------------------------------------------------


@contextlib.contextmanager
def _gc_off():
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _time_per_operation(sample, repeats, min_seconds):
    """(Timing of seconds per operation, operations per sample).

    ``sample(number)`` runs the operation ``number`` times and returns the
    seconds that took. After one untimed call, the number grows as timeit's
    autorange does (1, 2, 5, 10, 20, ...) until a sample lasts
    ``min_seconds``; these calibrating samples warm up too.
    """
    with _gc_off():
        sample(1)
        number, scale = 1, 1
        while True:
            number = next((scale * f for f in (1, 2, 5) if sample(scale * f) >= min_seconds), None)
            if number is not None:
                break
            scale *= 10
        times = tuple(sample(number) / number for _ in range(repeats))
    # A clock step of 0 on a very coarse timer is no measurement.
    if not all(math.isfinite(t) and t > 0 for t in times):
        raise RuntimeError(f"the timer could not resolve these samples: {times}")
    return Timing(times), number


def _loop_sample(number):
    start = time.perf_counter()
    for _ in range(number):
        pass
    return time.perf_counter() - start


def _call_sample(number):
    f = _noop
    start = time.perf_counter()
    for _ in range(number):
        f()
    return time.perf_counter() - start


def _generator_sample(number):
    g = _forever()
    resume = next
    start = time.perf_counter()
    for _ in range(number):
        resume(g)
    elapsed = time.perf_counter() - start
    g.close()
    return elapsed


async def _await_sample(number):
    f = _nothing
    start = time.perf_counter()
    for _ in range(number):
        await f()
    return time.perf_counter() - start


async def _task_sample(number):
    f, create_task = _nothing, asyncio.create_task
    start = time.perf_counter()
    for _ in range(number):
        await create_task(f())
    return time.perf_counter() - start


def _thread_sample(number):
    start = time.perf_counter()
    for _ in range(number):
        thread = threading.Thread(target=_noop)
        thread.start()
        thread.join()
    return time.perf_counter() - start


def _thread_pool_sample(pool, **submit_options):
    """Round trips of a do-nothing task through ``pool.submit`` (an executor or a
    Dask client, whose tasks need ``pure=False`` to be run, not looked up)."""
    def sample(number):
        start = time.perf_counter()
        for _ in range(number):
            pool.submit(_noop, **submit_options).result()
        return time.perf_counter() - start

    return sample


def _dask_client(stack):
    """A Client of a one-process LocalCluster on loopback, closed with ``stack``."""
    import logging

    from distributed import Client, LocalCluster

    cluster = stack.enter_context(LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR))
    client = stack.enter_context(Client(cluster, set_as_default=False))
    client.submit(_noop, pure=False).result()  # the worker is up, untimed
    return client


def _process_sample(context):
    def sample(number):
        start = time.perf_counter()
        for _ in range(number):
            process = context.Process(target=os.getpid)
            try:
                process.start()
                process.join()
            finally:
                if process.is_alive():  # interrupted between start and join
                    process.terminate()
                    process.join()
            code = process.exitcode
            process.close()
            if code != 0:
                raise RuntimeError(
                    f"a {context.get_start_method()} child exited with code {code}: with spawn "
                    "or forkserver the main module must be importable (a script file, not "
                    "standard input)")
        return time.perf_counter() - start

    return sample


def _check(kind, nbytes, got, expected):
    if got != expected:
        raise RuntimeError(
            f"{kind} round trip of {nbytes} bytes returned checksum {got}, expected {expected}")


def _pickle_sample(pool, payload, expected):
    def sample(number):
        start = time.perf_counter()
        for _ in range(number):
            _check("pickle", payload.nbytes, pool.submit(checksum, payload).result(), expected)
        return time.perf_counter() - start

    return sample


@contextlib.contextmanager
def _shared_block(nbytes):
    """A new shared-memory block of ``nbytes``, closed and unlinked on exit."""
    segment = shared_memory.SharedMemory(create=True, size=nbytes)
    try:
        yield segment
    finally:
        try:
            segment.close()
        finally:
            segment.unlink()


def _time_shared(pool, payload, expected, repeats, min_seconds):
    nbytes = payload.nbytes
    with _shared_block(nbytes) as segment:
        name, buffer = segment.name, segment.buf

        def sample(number):
            start = time.perf_counter()
            for _ in range(number):
                # A slice of the block's own memoryview: no view of the block outlives
                # the assignment, so the block can always be closed.
                buffer[:nbytes] = payload
                got = pool.submit(_shm_checksum, name, nbytes).result()
                _check("shared-memory", nbytes, got, expected)
            return time.perf_counter() - start

        return _time_per_operation(sample, repeats, min_seconds)


ROUND_TRIP_KINDS = (("pickle", "pickle round trip"), ("shm", "shared-memory round trip"))
SIMPLE_SAMPLES = {
    "for-loop iteration": _loop_sample,
    "function call": _call_sample,
    "generator resume": _generator_sample,
    "thread start": _thread_sample,
}
COROUTINE_SAMPLES = {"coroutine await": _await_sample, "asyncio task": _task_sample}


def _run_coroutine_sample(loop, coroutine_sample):
    def sample(number):
        return loop.run_until_complete(coroutine_sample(number))

    return sample


# -- the measurement ------------------------------------------------------------------


def payload_sizes(max_payload=DEFAULT_MAX_PAYLOAD):
    """The round-trip payloads in bytes: 1 KiB times powers of 4 up to ``max_payload``
    (and ``max_payload`` itself when it falls between two)."""
    max_payload = _validation.integer("max_payload", max_payload, minimum=MIN_PAYLOAD)
    sizes = []
    size = MIN_PAYLOAD
    while size <= max_payload:
        sizes.append(size)
        size *= 4
    if sizes[-1] != max_payload:
        sizes.append(max_payload)
    return sizes


def _check_start_methods(start_methods):
    available = multiprocessing.get_all_start_methods()
    if start_methods is None:
        return START_METHODS
    if isinstance(start_methods, str):
        start_methods = (start_methods,)
    try:
        methods = tuple(start_methods)
    except TypeError:
        raise TypeError(
            f"start_methods must be a sequence of start method names ({', '.join(available)}) "
            f"or None, got {type(start_methods).__name__}") from None
    for method in methods:
        if method not in available:
            raise ValueError(
                f"start_methods must name start methods available here ({', '.join(available)}), "
                f"got {method!r}")
    return tuple(dict.fromkeys(methods))


def measure_overheads(*, quick=False, max_payload=DEFAULT_MAX_PAYLOAD, start_methods=None,
                      progress=None):
    """Measure what each concurrency mechanism costs per operation on this machine.

    See the module's documentation for what each row times, and what a round
    trip includes. Nothing is left running: threads, processes and pools are
    joined or shut down, shared-memory blocks unlinked, even on error.

    Parameters
    ----------
    quick : bool
        Few, short samples (3 of >= 2 ms each) instead of 7 of >= 50 ms: a
        rough figure in a few seconds, for tests and CI.
    max_payload : int
        The largest round-trip payload in bytes (>= 1024); payloads run from
        1 KiB by powers of 4 up to it (see ``payload_sizes``).
    start_methods : sequence of str, optional
        The start methods whose process start is timed, each one of
        ``multiprocessing.get_all_start_methods()``. The default, None, means
        fork, forkserver and spawn, with a row that says so for each that is
        not available here. The pools always use nogilkit's default start
        method (forkserver where there is one, else spawn).
    progress : callable, optional
        Called as ``progress(done, total, label)`` before each measurement,
        and as ``progress(total, total, "done")`` at the end.

    Returns
    -------
    OverheadReport
        One row per mechanism and variant (start method, payload size), in
        ``MECHANISMS`` order; ``row.seconds`` is the median seconds per
        operation, ``row.mb_per_s`` the payload rate of a round trip. Prints
        as a table; ``to_dict()`` is JSON-ready.

    Raises
    ------
    ValueError, TypeError
        For a bad argument, naming it and what is valid.
    RuntimeError
        When a round trip returns a wrong checksum, or a child process fails.
    """
    quick = bool(quick)
    sizes = payload_sizes(max_payload)
    max_payload = sizes[-1]
    methods = _check_start_methods(start_methods)
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be callable or None, got {type(progress).__name__}")
    repeats, min_seconds = QUICK if quick else FULL
    pool_method = default_start_method()
    available = multiprocessing.get_all_start_methods()

    # Every measurement: (progress label, mechanism, detail, payload bytes, how to time it).
    plan = [(name, name, detail, None, name) for name, detail in MECHANISMS[:7]]
    plan += [(f"process start ({method})", "process start", method, None, ("process", method))
             for method in methods]
    plan += [(name, name, detail, None, name) for name, detail in MECHANISMS[8:10]]
    for size in sizes:
        for kind, mechanism in ROUND_TRIP_KINDS:
            plan.append((f"{mechanism} {_bytes_text(size)}", mechanism, _bytes_text(size), size,
                         (kind, size)))

    rows = []
    total = len(plan)
    with contextlib.ExitStack() as stack:
        loop = None
        thread_pool = None
        process_pool = None

        data = np.random.default_rng(0).integers(0, 256, max_payload, dtype=np.uint8)
        expected = {s: checksum(data[:s]) for s in sizes}

        def start_pool():
            pool = ProcessPoolExecutor(max_workers=1,
                                       mp_context=multiprocessing.get_context(pool_method))
            stack.callback(pool.shutdown, wait=True, cancel_futures=True)
            # The worker starts and imports nogilkit here, untimed.
            _check("pickle", 8, pool.submit(checksum, data[:8]).result(), checksum(data[:8]))
            return pool

        def measured(mechanism, detail, sample, nbytes=None):
            timing, number = _time_per_operation(sample, repeats, min_seconds)
            rows.append(OverheadRow(mechanism, detail, timing, number, nbytes))

        for done, (label, mechanism, detail, nbytes, how) in enumerate(plan):
            if progress is not None:
                progress(done, total, label)
            if how in SIMPLE_SAMPLES:
                measured(mechanism, detail, SIMPLE_SAMPLES[how])
            elif how in COROUTINE_SAMPLES:
                if loop is None:
                    loop = asyncio.new_event_loop()
                    stack.callback(loop.close)
                measured(mechanism, detail, _run_coroutine_sample(loop, COROUTINE_SAMPLES[how]))
            elif how == "thread pool":
                thread_pool = stack.enter_context(ThreadPoolExecutor(max_workers=1))
                thread_pool.submit(_noop).result()  # its thread starts here, untimed
                measured(mechanism, detail, _thread_pool_sample(thread_pool))
                thread_pool.shutdown(wait=True)
            elif how[0] == "process":
                method = how[1]
                if method not in available:
                    rows.append(OverheadRow(mechanism, detail, note=(
                        f"start method {method!r} is not available here "
                        f"(available: {', '.join(available)})")))
                    continue
                measured(mechanism, detail, _process_sample(multiprocessing.get_context(method)))
            elif how == "process pool":
                process_pool = process_pool or start_pool()
                measured(mechanism, detail, _thread_pool_sample(process_pool))
            elif how == "dask task":
                if missing("distributed"):
                    rows.append(OverheadRow(mechanism, detail, note=missing("distributed")))
                    continue
                with contextlib.ExitStack() as dask:
                    measured(mechanism, detail,
                             _thread_pool_sample(_dask_client(dask), pure=False))
            else:
                kind, size = how
                process_pool = process_pool or start_pool()
                payload = data[:size]
                if kind == "pickle":
                    sample = _pickle_sample(process_pool, payload, expected[size])
                    measured(mechanism, detail, sample, size)
                else:
                    timing, number = _time_shared(process_pool, payload, expected[size],
                                                  repeats, min_seconds)
                    rows.append(OverheadRow(mechanism, detail, timing, number, size))
    if progress is not None:
        progress(total, total, "done")

    config = {
        "quick": quick,
        "repeats": repeats,
        "min_sample_seconds": min_seconds,
        "max_payload": max_payload,
        "payload_sizes": sizes,
        "start_methods": list(methods),
        "pool_start_method": pool_method,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "gil": gil_enabled(),
        "platform": platform.platform(),
        "available_cpus": available_cpus(),
    }
    return OverheadReport(rows=tuple(rows), config=config)


__all__ = ["MECHANISMS", "OverheadReport", "OverheadRow", "checksum", "measure_overheads",
           "payload_sizes"]
