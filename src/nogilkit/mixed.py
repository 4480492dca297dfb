"""An asyncio service that must keep answering while CPU work runs: the
measurement that says whether a nogil kernel matters to an asyncio program.

For ``duration`` seconds an event loop serves HTTP requests (nogilkit's
test server, answering at once) sent at a fixed rate by a load generator in
another process, while CPU work (Mandelbrot bands, each result checked
against the reference image) runs one of four ways:

inline
    the pure-Python kernel as a coroutine on the loop itself, yielding
    between bands: the loop answers only between two bands.
python-threads
    the pure-Python kernel in a thread pool (``run_in_executor``): it holds
    the GIL, so the loop's thread waits its turn for it at every step.
cython-threads
    the nogil Cython kernel in a thread pool: the loop's thread finds the
    GIL free and stays responsive while the kernel uses another core.
processes
    the pure-Python kernel in a process pool: no shared GIL, but the work
    and its results cross process boundaries.

For each, the event-loop lag (how late a timer set for every
``lag_interval`` seconds fires: p50, p99, max), the request latency seen by
the client (p50, p99), the requests answered per second and the CPU bands
done per second.
"""

import asyncio
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import asdict, dataclass

import numpy as np

from . import _validation
from ._control import Control, busy, describe
from ._provenance import provenance
from ._runtime import available_cpus, default_start_method
from ._text import ByName, format_seconds, format_table
from .kernels._mandelbrot import DEFAULT_REGION, MandelbrotWorkload, mandelbrot
from .net.client import FetchError
from .net.server import HOST, bound_port, start_server

VARIANTS = (
    ("inline", "python kernel as a coroutine on the event loop"),
    ("python-threads", "python kernel in a thread pool (holds the GIL)"),
    ("cython-threads", "nogil Cython kernel in a thread pool"),
    ("processes", "python kernel in a process pool"),
)
# Mandelbrot 480x360, max_iter 256 (workload mandelbrot, size small) in
# bands of every 90th row: 4 rows, about 15 ms in pure Python here.
PARAMS = {"width": 480, "height": 360, "max_iter": 256}
BANDS = 90
LAG_INTERVAL = 0.005
REQUEST_SIZE = 1024


def _band(implementation, first):
    """Rows first, first + BANDS, ... of the image, computed with ``implementation``."""
    return MandelbrotWorkload().run_chunk(dict(PARAMS, region=DEFAULT_REGION), {},
                                          (first, BANDS), implementation)


def _percentile(values, q):
    return float(np.percentile(values, q)) if len(values) else float("nan")


@dataclass(frozen=True)
class VariantResult:
    """One way of running the CPU work next to the service; times in seconds."""

    name: str
    description: str
    workers: int
    duration: float
    bands: int  # CPU bands finished (and checked) during the run
    lags: tuple  # how late each lag timer fired
    latencies: tuple  # request latencies seen by the client
    failed_requests: int

    @property
    def bands_per_second(self):
        return self.bands / self.duration

    @property
    def requests_per_second(self):
        return len(self.latencies) / self.duration

    def times(self):
        """Lag and latency percentiles in seconds, in the table's order."""
        return {
            "lag_p50": _percentile(self.lags, 50),
            "lag_p99": _percentile(self.lags, 99),
            "lag_max": max(self.lags, default=float("nan")),
            "latency_p50": _percentile(self.latencies, 50),
            "latency_p99": _percentile(self.latencies, 99),
        }

    def summary(self):
        """The percentiles in milliseconds, and the rates (the JSON's figures)."""
        return {
            **{f"{name}_ms": seconds * 1e3 for name, seconds in self.times().items()},
            "requests_per_second": self.requests_per_second,
            "failed_requests": self.failed_requests,
            "bands_per_second": self.bands_per_second,
        }


@dataclass(frozen=True)
class MixedResult(ByName):
    """The outcome of ``service_under_load``: a VariantResult per variant; prints as a table."""

    rate: float
    duration: float
    workers: int
    available_cpus: int
    variants: tuple
    control: dict = None  # the contention control's summary, sampled around each variant
    provenance: dict = None

    def __str__(self):
        header = ("variant", "lag p50", "lag p99", "lag max", "req p50", "req p99",
                  "req/s", "failed", "bands/s", "CPU work")
        rows = []
        for v in self.variants:
            rows.append((v.name, *(format_seconds(t, fixed=True) for t in v.times().values()),
                         f"{v.requests_per_second:.0f}", str(v.failed_requests),
                         f"{v.bands_per_second:.1f}", v.description))
        title = (f"an asyncio service answering {self.rate:g} requests/s for {self.duration:g} s "
                 f"while CPU work runs on {self.workers} worker(s); {self.available_cpus} CPUs; "
                 f"lag = how late a {format_seconds(LAG_INTERVAL)} timer fires")
        lines = [title, *format_table(header, rows, left=(0, -1))]
        if self.control:
            lines.append(f"contention control: {describe(self.control)}" + (
                ": the machine was busy, so lags and rates include other work's delays"
                if busy(self.control) else ""))
        return "\n".join(lines)

    def to_dict(self):
        return {
            "provenance": self.provenance, "control": self.control, "rate": self.rate, "duration": self.duration, "workers": self.workers,
            "available_cpus": self.available_cpus, "lag_interval": LAG_INTERVAL,
            "variants": [dict(asdict(v), **v.summary()) for v in self.variants],
        }


def _load_generator(connection, rate, duration, timeout):
    """Client process: on ("go", port), request at ``rate`` per second for
    ``duration`` seconds over one keep-alive connection; send back the latencies."""
    import http.client

    message = connection.recv()
    if message == "stop":
        return
    _, host, port = message
    latencies, failed = [], 0
    client = None
    start = time.perf_counter()
    period = 1 / rate
    k = 0
    while True:
        # A fixed schedule; a late answer delays the next request, never a burst.
        now = time.perf_counter()
        slot = max(start + k * period, now)
        if slot >= start + duration:
            break
        time.sleep(slot - now)
        k += 1
        sent = time.perf_counter()
        try:
            if client is None:
                client = http.client.HTTPConnection(host, port, timeout=timeout)
            client.request("GET", f"/data/{k}")
            response = client.getresponse()
            body = response.read()
            if response.status != 200 or len(body) != REQUEST_SIZE:
                raise FetchError(f"HTTP {response.status}, {len(body)} bytes")
        except (OSError, http.client.HTTPException):
            failed += 1
            if client is not None:
                client.close()
            client = None
            continue
        latencies.append(time.perf_counter() - sent)
        k = max(k, int((time.perf_counter() - start) * rate))
    if client is not None:
        client.close()
    connection.send((latencies, failed))


class _CPUWork:
    """Runs bands one way until stopped; counts and checks them."""

    def __init__(self, variant, workers, expected):
        self.variant, self.workers, self.expected = variant, workers, expected
        self.implementation = "cython" if variant == "cython-threads" else "python"
        self.bands = 0
        self.pool = None
        if variant in ("python-threads", "cython-threads"):
            self.pool = ThreadPoolExecutor(workers, thread_name_prefix="nogilkit-mixed")
        elif variant == "processes":
            self.pool = ProcessPoolExecutor(
                workers, mp_context=multiprocessing.get_context(default_start_method()))
        if self.pool is not None:  # start every worker now, outside the measured run
            list(self.pool.map(_band, [self.implementation] * workers, range(workers)))

    def _check(self, first, rows):
        if not np.array_equal(rows, self.expected[first::BANDS]):
            raise AssertionError(f"band {first} ({self.variant}) differs from the reference")
        self.bands += 1

    async def run(self, stop):
        loop = asyncio.get_running_loop()

        async def one_worker(offset):
            first = offset
            while not stop.is_set():
                if self.pool is None:
                    rows = _band(self.implementation, first)  # on the loop itself
                    await asyncio.sleep(0)
                else:
                    rows = await loop.run_in_executor(self.pool, _band, self.implementation, first)
                self._check(first, rows)
                first = (first + self.workers) % BANDS

        await asyncio.gather(*(one_worker(k) for k in range(self.workers if self.pool else 1)))

    def close(self):
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


async def _measure(variant, cpu, connection, duration, timeout):
    loop = asyncio.get_running_loop()
    server = await start_server(HOST, 0, latency=0.0, size=REQUEST_SIZE)
    stop = asyncio.Event()
    lags = []

    async def monitor():
        while not stop.is_set():
            before = loop.time()
            await asyncio.sleep(LAG_INTERVAL)
            lags.append(max(0.0, loop.time() - before - LAG_INTERVAL))

    try:
        work = asyncio.ensure_future(cpu.run(stop))
        watcher = asyncio.ensure_future(monitor())
        await asyncio.sleep(0.05)  # the CPU work is under way before the first request
        connection.send(("go", HOST, bound_port(server)))
        reply = loop.run_in_executor(None, connection.poll, duration + timeout + 5)
        if not await reply:
            raise RuntimeError("the load generator did not report back in time")
        latencies, failed = connection.recv()
    finally:
        stop.set()
        await asyncio.gather(work, watcher, return_exceptions=True)
        server.close()
    work.result()  # a band that failed its check raises here
    return lags, latencies, failed


def service_under_load(variants=None, *, duration=3.0, rate=100.0, workers=None, timeout=5.0,
                       progress=None):
    """Measure an asyncio service's responsiveness while CPU work runs each way.

    Parameters
    ----------
    variants : sequence of str, optional
        Any of ``inline``, ``python-threads``, ``cython-threads``,
        ``processes`` (default: all four, in that order).
    duration : float
        Seconds the client sends requests for, per variant.
    rate : float
        Requests per second the client aims at: one keep-alive connection,
        a request every ``1 / rate`` seconds or, when an answer comes later
        than that, as soon as it comes (so ``req/s`` shows what the service
        managed).
    workers : int, optional
        Threads or processes doing the CPU work (default: all CPUs but one,
        at least one, so that one core is left for the service's loop).
    timeout : float
        Seconds the client waits for any one response before counting it failed.
    progress : callable, optional
        ``progress(done, total, label)`` before each variant.

    Returns
    -------
    MixedResult
        Prints as a table; ``to_dict()`` for JSON.
    """
    names = [name for name, _ in VARIANTS]
    if variants is None:
        variants = names
    variants = [variants] if isinstance(variants, str) else list(variants)
    unknown = [v for v in variants if v not in names]
    if unknown or not variants:
        raise ValueError(f"variants must name some of {', '.join(names)}; got "
                         f"{', '.join(map(repr, unknown)) if unknown else 'none'}")
    duration = _validation.finite_float("duration", duration, minimum=0.1)
    rate = _validation.finite_float("rate", rate, minimum=1.0)
    timeout = _validation.finite_float("timeout", timeout, minimum=0.1)
    if rate * duration > 100_000:
        raise ValueError(f"rate x duration must be at most 100000 requests, got {rate * duration:g}")
    workers = (max(1, available_cpus() - 1) if workers is None
               else _validation.positive_int("workers", workers, maximum=256))
    expected = mandelbrot(PARAMS["width"], PARAMS["height"], PARAMS["max_iter"])
    descriptions = dict(VARIANTS)
    context = multiprocessing.get_context(default_start_method())
    control = Control(workers + 1)  # the CPU work's workers and the service's loop
    results = []
    for done, name in enumerate(variants):
        if progress:
            progress(done, len(variants), name)
        control.sample()
        results.append(_one_variant(name, descriptions[name], workers, expected, context,
                                    duration, rate, timeout))
    control.sample()
    if progress:
        progress(len(variants), len(variants), "done")
    return MixedResult(rate=rate, duration=duration, workers=workers,
                       available_cpus=available_cpus(), variants=tuple(results),
                       control=control.summary(), provenance=provenance(control))


def _one_variant(name, description, workers, expected, context, duration, rate, timeout):
    parent, child = context.Pipe()
    client = context.Process(target=_load_generator, args=(child, rate, duration, timeout),
                             name="nogilkit-load", daemon=True)
    client.start()
    child.close()
    cpu = None
    try:
        cpu = _CPUWork(name, workers, expected)
        # asyncio.run cancels the connections' handlers and joins the executor.
        lags, latencies, failed = asyncio.run(_measure(name, cpu, parent, duration, timeout))
    finally:
        if cpu is not None:
            cpu.close()
        if client.is_alive():
            try:
                parent.send("stop")  # it never got "go"
            except OSError:
                pass
        client.join(timeout + 1)
        if client.is_alive():
            client.kill()
            client.join()
        parent.close()
    return VariantResult(name=name, description=description,
                         workers=1 if name == "inline" else workers, duration=duration,
                         bands=cpu.bands, lags=tuple(lags), latencies=tuple(latencies),
                         failed_requests=failed)


__all__ = ["MixedResult", "VariantResult", "VARIANTS", "service_under_load"]
