"""Workload ``kmeans``: Lloyd iterations, a reduction per round.

Each iteration is one round of chunks (ranges of points): a chunk assigns
its points to the nearest centre and returns per-centre sums and counts,
which are added in chunk order; the new centres go to the workers with the
next round. A fixed number of iterations from the last k points, so every
implementation does the same work (nogilkit.kmeans itself stops at
convergence and follows scikit-learn's arithmetic; this is the plain
definition). Sizes (points x features, k, iterations): tiny 2,000x4/4/3,
small 10,000x8/8/5, medium 200,000x8/16/10, large 1,000,000x8/16/20.
Expected: the workload's pure-Python version for tiny and small, else NumPy's.
"""

import numpy as np

from .base import CheckFailed, Problem, Workload, even_ranges


def _blobs(n, features, k):
    rng = np.random.default_rng(2024)
    centres = rng.uniform(-10, 10, size=(k, features))
    return centres[rng.integers(0, k, size=n)] + rng.normal(size=(n, features))


def python_chunk(points, centres):
    """(sums, counts) of one chunk, in pure Python (lists of floats)."""
    k, f = len(centres), len(centres[0])
    sums = [[0.0] * f for _ in range(k)]
    counts = [0] * k
    for x in points:
        best, nearest = float("inf"), 0
        for j, c in enumerate(centres):
            distance = 0.0
            for a, b in zip(x, c):
                diff = a - b
                distance = distance + diff * diff
            if distance < best:
                best, nearest = distance, j
        counts[nearest] += 1
        row = sums[nearest]
        for e in range(f):
            row[e] += x[e]
    return np.array(sums), np.array(counts, dtype=np.int64)


def numpy_chunk(points, centres):
    distances = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    labels = distances.argmin(axis=1)  # ties: the lowest index, as above
    k, f = centres.shape
    sums = np.stack([np.bincount(labels, weights=points[:, e], minlength=k) for e in range(f)],
                    axis=1)
    return sums, np.bincount(labels, minlength=k).astype(np.int64)


class KMeans(Workload):
    name = "kmeans"
    summary = "Lloyd k-means: one round per iteration, sums and counts reduced across chunks"
    sizes = {
        "tiny": {"n": 2_000, "features": 4, "k": 4, "iterations": 3},
        "small": {"n": 10_000, "features": 8, "k": 8, "iterations": 5},
        "medium": {"n": 200_000, "features": 8, "k": 16, "iterations": 10},
        "large": {"n": 1_000_000, "features": 8, "k": 16, "iterations": 20},
    }

    def prepare(self, size):
        params = dict(self.sizes[size])
        points = _blobs(params["n"], params["features"], params["k"])
        problem = Problem(self.name, size, params, arrays={"points": points},
                          description=f"{params['n']:,} x {params['features']}, k={params['k']}, "
                                      f"{params['iterations']} iterations")
        implementation = "python" if size in ("tiny", "small") else "numpy"
        problem.expected = self.execute(problem, 1, lambda specs, arrays: [
            self.run_chunk(params, arrays, spec, implementation) for spec in specs])
        return problem

    def execute(self, problem, n_chunks, run_round):
        points = problem.arrays["points"]
        centres = points[-problem.params["k"]:].copy()
        ranges = even_ranges(len(points), n_chunks)
        for _ in range(problem.params["iterations"]):
            sums = np.zeros_like(centres)
            counts = np.zeros(len(centres), dtype=np.int64)
            for chunk_sums, chunk_counts in run_round(ranges, {"points": points, "centres": centres}):
                sums += chunk_sums  # in chunk order
                counts += chunk_counts
            moved = counts > 0  # an empty cluster keeps its centre
            centres = centres.copy()
            centres[moved] = sums[moved] / counts[moved, None]
        return centres

    def run_chunk(self, params, arrays, spec, implementation):
        start, stop = spec
        points, centres = arrays["points"][start:stop], arrays["centres"]
        if implementation == "python":
            return python_chunk(points.tolist(), centres.tolist())
        if implementation == "numpy":
            return numpy_chunk(points, centres)
        if implementation == "cython":
            from .._ext.kmeans import lloyd_chunk

            sums = np.zeros_like(centres)
            counts = np.zeros(len(centres), dtype=np.int64)
            lloyd_chunk(np.ascontiguousarray(points), centres, sums, counts)
            return sums, counts
        raise ValueError(f"unknown implementation {implementation!r}")

    def check(self, problem, result):
        # Chunking changes the order of the sums, and NumPy sums distances in
        # its own order: equal to rounding.
        if not np.allclose(result, problem.expected, rtol=1e-9, atol=1e-9):
            worst = float(np.max(np.abs(result - problem.expected)))
            raise CheckFailed(f"centres differ from the reference by up to {worst:.3g}")
