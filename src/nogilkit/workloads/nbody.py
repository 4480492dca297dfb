"""Workload ``nbody``: direct-sum N-body, O(n^2) work on shared read-only data.

Each time step's accelerations are one round of chunks (ranges of bodies);
every chunk reads all positions, so under processes the positions travel to
every worker every step. The leapfrog kicks and drift run in the caller.
Sizes (bodies, steps): tiny 24/2, small 400/4, medium 1500/5, large 4096/10.
Expected: the pure-Python reference (tiny, small), else the kernel on one
thread (bitwise equal to it, tests/test_nbody.py).
"""

import numpy as np

from .base import CheckFailed, Problem, Workload, even_ranges

DT = 1e-3
SOFTENING = 0.05


def _cluster(n):
    rng = np.random.default_rng(12345)
    return rng.normal(size=(n, 3)), 0.1 * rng.normal(size=(n, 3)), np.full(n, 1.0 / n)


class NBody(Workload):
    name = "nbody"
    summary = "direct-sum N-body: each step reads every position (shared read-only data)"
    sizes = {
        "tiny": {"n": 24, "steps": 2},
        "small": {"n": 400, "steps": 4},
        "medium": {"n": 1500, "steps": 5},
        "large": {"n": 4096, "steps": 10},
    }

    def prepare(self, size):
        from .. import reference
        from .._nbody import nbody_direct

        params = dict(self.sizes[size], dt=DT, softening=SOFTENING)
        r, v, m = _cluster(params["n"])
        run = reference.nbody_direct if size in ("tiny", "small") else nbody_direct
        kwargs = {} if size in ("tiny", "small") else {"threads": 1}
        expected = run(r, v, m, params["steps"], dt=DT, softening=SOFTENING, **kwargs)
        return Problem(self.name, size, params,
                       arrays={"positions": r, "velocities": v, "masses": m}, expected=expected,
                       description=f"{params['n']} bodies, {params['steps']} steps")

    def execute(self, problem, n_chunks, run_round):
        p = problem.params
        positions = problem.arrays["positions"]
        velocities = problem.arrays["velocities"].copy()
        masses = problem.arrays["masses"]
        ranges = even_ranges(p["n"], n_chunks)

        def accelerate():
            return np.concatenate(run_round(ranges, {"positions": positions, "masses": masses}))

        half = 0.5 * p["dt"]
        if p["steps"]:
            a = accelerate()
        for _ in range(p["steps"]):
            velocities += half * a
            positions = positions + p["dt"] * velocities  # a new array: shipped anew each step
            a = accelerate()
            velocities += half * a
        return positions, velocities

    def run_chunk(self, params, arrays, spec, implementation):
        start, stop = spec
        r, m = arrays["positions"], arrays["masses"]
        eps2 = params["softening"] ** 2
        if implementation == "python":
            from ..reference import accelerations

            return np.array(accelerations(r.tolist(), m.tolist(), eps2, start, stop)).reshape(-1, 3)
        if implementation == "numpy":
            from ..vectorized import accelerations

            return accelerations(r, m, eps2, start, stop)
        if implementation == "cython":
            from .._ext.nbody import accelerations_band

            out = np.empty((stop - start, 3))
            accelerations_band(r, m, out, start, params["softening"])
            return out
        raise ValueError(f"unknown implementation {implementation!r}")

    def check(self, problem, result):
        expected_r, expected_v = problem.expected
        for name, got, want in (("positions", result[0], expected_r),
                                ("velocities", result[1], expected_v)):
            # python and cython are bitwise equal; NumPy sums in another order.
            if not np.allclose(got, want, rtol=1e-10, atol=1e-12):
                worst = float(np.max(np.abs(got - want)))
                raise CheckFailed(f"{name} differ from the reference by up to {worst:.3g}")
