"""Workload ``histogram``: a reduction into shared state (counts per bin).

Chunks are slices of the data; each chunk counts into its own histogram and
the partial counts are added (integer sums: the order does not matter). The
data is the large input, so pickling slices to processes costs as much as
counting them. Sizes (values, 100 bins over (-5, 5)): tiny 10,000; small
1,000,000; medium 20,000,000; large 50,000,000. Expected: numpy.histogram.
"""

import numpy as np

from .base import CheckFailed, Problem, Workload, even_ranges

BINS = 100
RANGE = (-5.0, 5.0)


class Histogram(Workload):
    name = "histogram"
    summary = "histogram: a reduction, private counts per chunk added at the end"
    sizes = {
        "tiny": {"n": 10_000},
        "small": {"n": 1_000_000},
        "medium": {"n": 20_000_000},
        "large": {"n": 50_000_000},
    }

    def prepare(self, size):
        n = self.sizes[size]["n"]
        data = np.random.default_rng(3).normal(size=n)
        expected = np.histogram(data, BINS, RANGE)[0]
        return Problem(self.name, size, {"bins": BINS, "range": RANGE}, arrays={"data": data},
                       expected=expected, description=f"{n:,} values, {BINS} bins")

    def split(self, problem, n_chunks):
        return even_ranges(len(problem.arrays["data"]), n_chunks)

    def run_chunk(self, params, arrays, spec, implementation):
        start, stop = spec
        part = arrays["data"][start:stop]
        if implementation == "python":
            from ..reference import histogram

            return histogram(part, params["bins"], params["range"])
        if implementation == "numpy":
            return np.histogram(part, params["bins"], params["range"])[0]
        if implementation == "cython":
            from .._histogram import histogram

            return histogram(part, params["bins"], params["range"], threads=1)
        raise ValueError(f"unknown implementation {implementation!r}")

    def combine(self, problem, specs, partials):
        return np.sum(partials, axis=0)

    def check(self, problem, result):
        if not np.array_equal(result, problem.expected):
            wrong = int(np.count_nonzero(result != problem.expected))
            raise CheckFailed(f"{wrong} of {BINS} bins differ from numpy.histogram")
