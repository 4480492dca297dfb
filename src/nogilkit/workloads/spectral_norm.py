"""Workload ``spectral_norm``: phases separated by barriers.

Each of the 4 x iterations matrix-vector products is one round of chunks
(bands of output rows); every chunk of a round must finish before the next
round starts, and the new vector is shipped to the workers each round.
Sizes (n, iterations): tiny 40/2, small 400/10, medium 1000/10, large
2000/10. Expected value: the pure-Python reference (tiny, small), else the
kernel on one thread (equal to it bit for bit, tests/test_spectral_norm.py).
"""

import math

import numpy as np

from .base import CheckFailed, Problem, Workload, even_ranges


class SpectralNorm(Workload):
    name = "spectral_norm"
    summary = "spectral norm: 40 rounds of row-parallel products, a barrier after each"
    sizes = {
        "tiny": {"n": 40, "iterations": 2},
        "small": {"n": 400, "iterations": 10},
        "medium": {"n": 1000, "iterations": 10},
        "large": {"n": 2000, "iterations": 10},
    }

    def prepare(self, size):
        from .. import reference
        from .._spectral_norm import spectral_norm

        params = dict(self.sizes[size])
        if size in ("tiny", "small"):
            expected = reference.spectral_norm(params["n"], params["iterations"])
        else:
            expected = spectral_norm(params["n"], params["iterations"], threads=1)
        return Problem(self.name, size, params, expected=expected,
                       description=f"n={params['n']}, {params['iterations']} iterations")

    def execute(self, problem, n_chunks, run_round):
        n = problem.params["n"]
        ranges = even_ranges(n, n_chunks)

        def product(vector, transpose):
            specs = [(start, stop, transpose) for start, stop in ranges]
            return np.concatenate(run_round(specs, {"u": vector}))

        u = np.ones(n)
        for _ in range(problem.params["iterations"]):
            v = product(product(u, False), True)
            u = product(product(v, False), True)
        return math.sqrt(float(np.dot(u, v)) / float(np.dot(v, v)))

    def run_chunk(self, params, arrays, spec, implementation):
        start, stop, transpose = spec
        u = arrays["u"]
        if implementation == "python":
            from ..reference import product_rows

            return np.array(product_rows(u.tolist(), start, stop, transpose))
        if implementation == "numpy":
            rows = np.arange(start, stop, dtype=np.int64)[:, None]
            cols = np.arange(len(u), dtype=np.int64)[None, :]
            i, j = (cols, rows) if transpose else (rows, cols)
            return (u[None, :] / ((i + j) * (i + j + 1) // 2 + i + 1)).sum(axis=1)
        if implementation == "cython":
            from .._ext.spectral_norm import product_band

            out = np.empty(stop - start)
            product_band(u, out, start, transpose)
            return out
        raise ValueError(f"unknown implementation {implementation!r}")

    def check(self, problem, result):
        # Rows are exact; the final dot products are summed by NumPy, so allow rounding.
        if not math.isclose(result, problem.expected, rel_tol=1e-12):
            raise CheckFailed(f"spectral norm {result!r}, expected {problem.expected!r}")
