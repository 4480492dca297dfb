"""The GIL-release signal: for every public kernel and every compiled chunk the
comparison engine runs, the share of a call's time it holds the GIL.

The kernels are worth having because they release the GIL; a commit that
loses a ``with nogil:`` block keeps every result right and every one-thread
time the same, so neither correctness tests nor timings notice. This figure
does: about 0 for a kernel that releases the GIL, about 1 for one that holds
it. It is read by nogilkit's GIL monitor (``nogilkit._measure``), which on
Linux leaves out the time the OS kept the monitor waiting for a CPU, so a
busy machine does not raise it (a starved monitor is neither late for the
GIL nor counted); lower is better, asv's direction. The gate fails a commit
on which any of these rises from under 0.25 (nogilkit.probe's "releases")
to 0.25 or more, at any load. Resolution: the monitor is let in wherever
the GIL is free for a moment, so a kernel that takes the GIL for each 1 ms
chunk and lets it go between chunks reads about 0.45, not 1.
"""

import time

from nogilkit._measure import Deadline, gil_held_fraction
from nogilkit.kernels import FAMILIES

MIN_TIME = 0.3  # seconds of calls the monitor watches
CHUNK_SIZE = "small"  # the engine's problem size whose chunks are watched


def held(call):
    """The share of ``call()``'s wall time the GIL is held (one thread)."""
    call()  # warm-up: the kernel's pool, caches
    start = time.perf_counter()
    call()
    seconds = time.perf_counter() - start
    return gil_held_fraction(call, max(seconds, 1e-6), MIN_TIME, Deadline(300))[0]


def _kernel(benchmark):
    def track(self):
        return held(benchmark.prepare(1 if benchmark.threaded else None))

    track.unit = "fraction of time"
    return track


def _chunk(workload):
    def setup(self):
        # One chunk holding a whole round's work, as the engine hands it to a
        # worker: the first round's, recorded while the problem is run once.
        problem = workload.prepare(CHUNK_SIZE)
        first = []

        def run_round(specs, arrays):
            first.append(first or (specs[0], arrays))
            return [workload.run_chunk(problem.params, arrays, spec, "cython") for spec in specs]

        workload.execute(problem, 1, run_round)
        spec, arrays = first[0]
        self.call = lambda: workload.run_chunk(problem.params, arrays, spec, "cython")

    def track(self):
        return held(self.call)

    track.unit = "fraction of time"
    return setup, track


class GilHeld:
    """``track_<kernel>``: each public kernel, called on one thread. The engine's
    chunks are ``GilHeldChunk_<workload>.track_chunk``: the cython
    implementation's chunk of a round's whole work."""

    timeout = 600


for _family in FAMILIES:
    for _benchmark in _family.benchmarks:
        setattr(GilHeld, f"track_{_benchmark.name}", _kernel(_benchmark))


def _chunk_class(workload):
    setup, track = _chunk(workload)
    return type(f"GilHeldChunk_{workload.name}", (), {
        "setup": setup, "track_chunk": track, "timeout": 600, "__module__": __name__,
        "__doc__": f"The {workload.name} workload's cython chunks, size {CHUNK_SIZE}."})


globals().update((f"GilHeldChunk_{f.workload.name}", _chunk_class(f.workload))
                 for f in FAMILIES if "cython" in f.workload.implementations)
