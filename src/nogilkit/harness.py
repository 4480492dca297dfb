"""Run one combination (workload x implementation x strategy x workers) and measure it.

Per combination: start the strategy's pools (timed apart: start-up), one
untimed warm-up run, then ``repeats`` timed runs. Every run's result is
checked; a wrong answer makes the row a failed check, never a time. Wall time
is ``time.perf_counter``; CPU time is this process's ``time.process_time``
plus, under process strategies, the thread CPU time the workers spent on the
chunks; peak memory is this process's peak resident set during the run
(reset before each run where the OS allows it: Linux), plus each worker
process's peak over its life.
"""

import statistics
import time
from dataclasses import asdict, dataclass, field

from ._memory import peak_rss, reset_peak_rss
from .strategies.base import add_note
from .workloads import CheckFailed


@dataclass
class Row:
    workload: str
    size: str
    implementation: str
    strategy: str
    workers: int
    status: str  # "ok", "unavailable" or "failed"
    reason: str = ""
    times: list = field(default_factory=list)
    cpu_seconds: float = None
    startup_seconds: float = None
    peak_bytes: int = None
    chunks: int = None

    @property
    def ok(self):
        return self.status == "ok"

    @property
    def median(self):
        return statistics.median(self.times) if self.times else None

    @property
    def min(self):
        return min(self.times) if self.times else None

    @property
    def max(self):
        return max(self.times) if self.times else None

    def to_dict(self):
        d = asdict(self)
        d.update(median=self.median, min=self.min, max=self.max)
        return d


def _measure_run(session, workload, problem, implementation):
    """(wall s, cpu s, peak bytes, result, chunks) of one run."""
    reset_peak_rss()
    cpu_start = time.process_time()
    start = time.perf_counter()
    result, outcomes = session.run(workload, problem, implementation)
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    peak = peak_rss()
    if session.remote:
        cpu += sum(o.cpu_seconds for o in outcomes)
        per_worker = {}
        for o in outcomes:
            per_worker[o.pid] = max(per_worker.get(o.pid, 0), o.peak_rss)
        peak += sum(per_worker.values())
    return wall, cpu, peak, result, len(outcomes)


def run_combination(workload, problem, implementation, strategy, workers, options, *,
                    repeats=5, min_repeats=3, max_seconds=5.0):
    """A measured, checked Row. Runs slower than ``max_seconds / repeats`` get
    fewer repeats (never fewer than ``min_repeats``), so slow pure-Python
    rows do not dominate the comparison's time."""
    row = Row(workload.name, problem.size, implementation, strategy.name, workers, "unavailable")
    reason = workload.unavailable(implementation) or strategy.unavailable(
        workload, implementation, options)
    if reason:
        row.reason = reason
        return row
    try:
        with strategy.start(workers, options) as session:
            session.share_inputs(problem.arrays)
            row.startup_seconds = session.startup_seconds
            first, _, _, result, _ = _measure_run(session, workload, problem, implementation)
            workload.check(problem, result)  # the warm-up run is checked too
            n = repeats
            if first * repeats > max_seconds:
                n = max(min(min_repeats, repeats), int(max_seconds / max(first, 1e-9)))
            cpus, peaks = [], []
            for _ in range(n):
                wall, cpu, peak, result, chunks = _measure_run(session, workload, problem,
                                                               implementation)
                workload.check(problem, result)
                row.times.append(wall)
                cpus.append(cpu)
                peaks.append(peak)
            row.cpu_seconds = statistics.median(cpus)
            row.peak_bytes = max(peaks)
            row.chunks = chunks
            row.status = "ok"
    except CheckFailed as exc:
        row.status = "failed"
        row.reason = f"wrong result: {exc}"
        row.times = []
    except BaseException as exc:
        add_note(exc, f"while running workload {workload.name!r} ({implementation}) "
                       f"with strategy {strategy.name!r} on {workers} workers")
        raise
    return row
