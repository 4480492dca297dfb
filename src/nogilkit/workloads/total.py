"""Workload ``total``: the sum of a large array, bound by memory bandwidth.

Chunks are slices of the array; almost no arithmetic per byte, so the cost
of moving the data (pickling slices to processes, or sharing it once) shows.
Sizes (float64 values): tiny 10,000; small 2,000,000; medium 20,000,000;
large 50,000,000. Checked against math.fsum with a rounding-error bound.
"""

import math

import numpy as np

from .base import CheckFailed, Problem, Workload, even_ranges


class Total(Workload):
    name = "total"
    summary = "sum of a large array: memory-bound, so moving data costs more than computing"
    sizes = {
        "tiny": {"n": 10_000},
        "small": {"n": 2_000_000},
        "medium": {"n": 20_000_000},
        "large": {"n": 50_000_000},
    }

    def prepare(self, size):
        n = self.sizes[size]["n"]
        values = np.random.default_rng(7).normal(size=n)
        exact = math.fsum(values.tolist())
        bound = 4 * n * np.finfo(float).eps * float(np.abs(values).sum())
        return Problem(self.name, size, {"n": n}, arrays={"values": values},
                       expected=(exact, bound), description=f"{n:,} float64 values")

    def split(self, problem, n_chunks):
        return even_ranges(problem.params["n"], n_chunks)

    def run_chunk(self, params, arrays, spec, implementation):
        start, stop = spec
        part = arrays["values"][start:stop]
        if implementation == "python":
            from ..reference import total

            return total(part)
        if implementation == "numpy":
            return float(np.sum(part))
        if implementation == "cython":
            from .._stream import total

            return total(part, threads=1)
        raise ValueError(f"unknown implementation {implementation!r}")

    def combine(self, problem, specs, partials):
        result = 0.0
        for partial in partials:  # in chunk order
            result += partial
        return result

    def check(self, problem, result):
        exact, bound = problem.expected
        if not abs(result - exact) <= bound:
            raise CheckFailed(f"total {result!r} is {abs(result - exact):.3g} from the exact "
                              f"sum {exact!r} (allowed {bound:.3g})")
