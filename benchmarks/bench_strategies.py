"""The Mandelbrot workload under each strategy, python vs cython, on 1..N workers.

Pools are started in setup and closed in teardown, never timed; every timed
run's result is checked in setup's warm-up and by the tests of the engine.
"""

import time

from nogilkit.strategies import Options, get_strategy
from nogilkit.workloads import get_workload

from .common import THREADS, skip

STRATEGIES = ["serial", "threads", "processes", "asyncio", "openmp"]


class Strategies:
    params = [["python", "cython"], STRATEGIES, THREADS]
    param_names = ["implementation", "strategy", "workers"]
    timer = time.perf_counter
    timeout = 120

    def setup(self, implementation, strategy, workers):
        if strategy == "serial" and workers != 1:
            skip("serial runs on one worker")
        self.workload = get_workload("mandelbrot")
        self.problem = self.workload.prepare("tiny")
        self.strategy = get_strategy(strategy)
        reason = self.strategy.unavailable(self.workload, implementation, Options())
        if reason:
            skip(reason)
        self.session = self.strategy.start(workers, Options())
        self.session.share_inputs(self.problem.arrays)
        result, _ = self.session.run(self.workload, self.problem, implementation)
        self.workload.check(self.problem, result)  # never time a wrong answer

    def teardown(self, implementation, strategy, workers):
        session = getattr(self, "session", None)
        if session is not None:
            session.close()

    def time_run(self, implementation, strategy, workers):
        self.session.run(self.workload, self.problem, implementation)

    def peakmem_run(self, implementation, strategy, workers):
        self.session.run(self.workload, self.problem, implementation)
