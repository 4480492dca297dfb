"""Workload ``io``: fetch R resources from a real HTTP server on loopback.

The server (``nogilkit.net.server``) runs in a process of its own and answers
each request after a fixed latency, so the work is waiting, not computing:
the ideal time is ``R x latency / concurrency``, and a strategy's workers
are its concurrency (threads in the pool, coroutines allowed at once by a
semaphore, worker processes). Each chunk is one request; its result is the
digest of the body, checked against the body the server must send.

Implementation ``python`` only: the blocking ``http.client`` everywhere,
except under the ``asyncio`` strategy, where each request is a coroutine on
asyncio streams. Sizes (requests, latency, body): tiny 8, 5 ms, 1 KiB;
small 200, 20 ms, 16 KiB; medium 1000, 20 ms, 16 KiB; large 2000, 50 ms,
64 KiB.
"""

from .._text import format_seconds
from .._workload import CheckFailed, Problem, Workload
from ..net import client
from ..net.server import ServerProcess, digest, payload


class IO(Workload):
    name = "io"
    summary = "io: fetch resources from an HTTP server on loopback (waiting, not computing)"
    implementations = ("python",)
    sizes = {
        "tiny": {"requests": 8, "latency": 0.005, "size": 1024},
        "small": {"requests": 200, "latency": 0.020, "size": 16 * 1024},
        "medium": {"requests": 1000, "latency": 0.020, "size": 16 * 1024},
        "large": {"requests": 2000, "latency": 0.050, "size": 64 * 1024},
    }
    # Waiting scales with concurrency far beyond the cores.
    default_workers = (4, 16)
    waits = True

    def prepare(self, size):
        settings = self.sizes[size]
        server = ServerProcess(latency=settings["latency"], size=settings["size"]).start()
        expected = [digest(payload(i, settings["size"])) for i in range(settings["requests"])]
        params = dict(settings, host=server.host, port=server.port, timeout=client.DEFAULT_TIMEOUT)
        description = (f"{settings['requests']} requests, {format_seconds(settings['latency'])} latency, "
                       f"{settings['size'] // 1024} KiB each, from {server.url}")
        return Problem(self.name, size, params, expected=expected, description=description,
                       resources=[server.stop])

    def ideal_seconds(self, problem, workers):
        """R x latency / concurrency: every worker waiting all the time, nothing else."""
        return problem.params["requests"] * problem.params["latency"] / workers

    def split(self, problem, n_chunks):
        return list(range(problem.params["requests"]))  # one request per chunk

    def run_chunk(self, params, arrays, spec, implementation):
        self._check_implementation(implementation)
        return digest(client.fetch(params["host"], params["port"], self._target(params, spec),
                                   timeout=params["timeout"]))

    async def run_chunk_async(self, params, arrays, spec, implementation):
        self._check_implementation(implementation)
        return digest(await client.fetch_async(params["host"], params["port"],
                                               self._target(params, spec), timeout=params["timeout"]))

    @staticmethod
    def _target(params, index):
        # params["fault"] (stall, truncate), set by tests, makes every request fail that way.
        return client.resource(index, fault=params.get("fault"))

    def _check_implementation(self, implementation):
        if implementation != "python":
            raise ValueError(f"unknown implementation {implementation!r} for io")

    def combine(self, problem, specs, partials):
        return list(partials)

    def check(self, problem, result):
        wrong = [i for i, (got, want) in enumerate(zip(result, problem.expected)) if got != want]
        if len(result) != len(problem.expected):
            raise CheckFailed(f"{len(result)} responses for {len(problem.expected)} requests")
        if wrong:
            raise CheckFailed(f"{len(wrong)} of {len(result)} bodies differ from what the "
                              f"server sends, first at request {wrong[0]}")


__all__ = ["IO"]
