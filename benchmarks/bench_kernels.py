"""Time every public kernel at a fixed size, on 1, 2 and every core.

One class per group of kernels, made from the benchmarks each kernel family
declares (``Benchmark`` in ``nogilkit/kernels/_<family>.py``): a new kernel
is timed here without an edit, and the class and method names stay, so the
history goes on. Each benchmark makes its own inputs, and starts the
kernel's thread pool, in an untimed first call (asv's warm-up), so that its
peak memory is its own.
"""

import hashlib
import inspect
import time

from nogilkit.kernels import FAMILIES

from .common import THREADS


def _group(name, benchmarks):
    """The asv class of one group: ``time_<kernel>`` (and ``peakmem_<kernel>``) each."""

    def setup(self, threads=None):
        self.threads, self.calls = threads, {}

    def call(self, benchmark):
        if benchmark.name not in self.calls:
            self.calls[benchmark.name] = benchmark.prepare(self.threads)
            self.calls[benchmark.name]()  # the pool starts; a broken call fails here
        return self.calls[benchmark.name]

    namespace = {"setup": setup, "call": call, "timer": time.perf_counter,
                 "__module__": __name__,
                 "__doc__": f"{', '.join(b.name for b in benchmarks)}, timed on their own."}
    if all(b.threaded for b in benchmarks):
        namespace.update(params=[THREADS], param_names=["threads"])
    for benchmark in benchmarks:
        def timed(self, *threads, benchmark=benchmark):
            self.call(benchmark)()

        # asv keeps a benchmark's history while its version stays: the
        # declaration's source, not this shared code, says what is timed.
        timed.version = hashlib.sha256(inspect.getsource(benchmark.prepare).encode()).hexdigest()
        namespace[f"time_{benchmark.name}"] = timed
        if benchmark.peakmem:
            namespace[f"peakmem_{benchmark.name}"] = timed
    return type(name, (), namespace)


_GROUPS = {}
for _family in FAMILIES:
    for _benchmark in _family.benchmarks:
        _GROUPS.setdefault(_benchmark.group, []).append(_benchmark)
globals().update((name, _group(name, benchmarks)) for name, benchmarks in _GROUPS.items())
