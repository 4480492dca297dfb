"""What each instruction set buys the vectorised kernels, against the core's peak.

    python tools/simd_figures.py [--repeats 5] [--threads 1,2] [--quick]

For mandelbrot, spectral_norm and kmeans, every path this CPU supports
(nogilkit._simd: baseline, avx2, avx512) on 1 and 2 threads, rounds
interleaved (one run of every combination per round) so that a machine's
drift falls on all of them; best of --repeats. Every result is checked
against the baseline path's, which the tests check against the pure-Python
reference bit for bit. kmeans is also timed against scikit-learn's lloyd at
three shapes (same init, same iterations, labels compared).

"Fraction of peak" is useful work per cycle over what the core could issue,
one thread, at the clock /proc/cpuinfo reports (a VM's nominal clock: turbo
makes the fraction look higher than it is). The model, per path of W double
lanes (baseline 2, avx2 4, avx512 8) and two vector FP operations a cycle:
- mandelbrot: 8 FP multiplies and adds per iteration -> 2 W / 8 iterations a cycle;
  the iterations counted are the image's escape counts (the work the
  definition does), not the extra ones escaped lanes run in a vector.
- spectral_norm: one division per term, and the divider, not the width, sets
  the peak: 0.5 divisions a cycle at any width on Intel server cores
  (uops.info: divpd xmm 4 cycles per 2, ymm 8 per 4, zmm 16 per 8).
- kmeans: a multiply and an add per point x centre x feature of the
  distances -> W such terms a cycle; the rest of an iteration (sums,
  labels) is counted as overhead.
This is a benchmark script, not a test.
"""

import argparse
import re
import sys
import time

import numpy as np

import nogilkit
from nogilkit import _simd

LANES = {"baseline": 2, "avx2": 4, "avx512": 8}
KMEANS_SHAPES = [(500_000, 16, 8), (200_000, 64, 32), (1_000_000, 8, 16)]


def clock_hz():
    try:
        with open("/proc/cpuinfo") as f:
            mhz = re.search(r"^cpu MHz\s*:\s*([\d.]+)", f.read(), re.M)
        return float(mhz.group(1)) * 1e6 if mhz else None
    except OSError:
        return None


def check(condition, what):
    if not condition:
        sys.exit(f"VERIFICATION FAILED: {what}")


def interleaved(calls, repeats):
    """{key: (best seconds, last result)}: one call of each per round."""
    best, results = {}, {}
    for _ in range(repeats):
        for key, call in calls.items():
            start = time.perf_counter()
            results[key] = call()
            seconds = time.perf_counter() - start
            best[key] = min(best.get(key, float("inf")), seconds)
    return {key: (best[key], results[key]) for key in calls}


def on_path(path, call):
    def run():
        with _simd.forced(path):
            return call()
    return run


def kernel_table(name, calls, work, unit, peak_per_cycle, threads, repeats, hz):
    """Time every (path, threads), check them against the baseline, print a table."""
    measured = interleaved({(p, t): on_path(p, calls(t)) for p in _simd.supported()
                            for t in threads}, repeats)
    reference = measured[("baseline", threads[0])][1]
    for key, (_, result) in measured.items():
        check(np.array_equal(np.asarray(result), np.asarray(reference)),
              f"{name} {key} == the baseline path's result")
    print(f"\n{name} ({work:.3g} {unit}s)")
    print("| path | threads | best s | vs baseline | 2T/1T | ns per " + unit
          + " | " + unit + "s per cycle | fraction of peak |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for (path, t), (seconds, _) in measured.items():
        base = measured[("baseline", t)][0]
        one = measured[(path, threads[0])][0]
        per_cycle = work / (seconds * hz) / t if hz else None
        peak = peak_per_cycle(path)
        print(f"| {path} | {t} | {seconds:.4f} | {base / seconds:.2f}x | "
              f"{one / seconds:.2f}x | {seconds * t / work * 1e9:.3f} | "
              + (f"{per_cycle:.3f} | {per_cycle / peak:.2f} |" if per_cycle else "- | - |"))
    return measured


def kmeans_against_sklearn(threads, repeats, shapes):
    try:
        from sklearn.cluster import KMeans
        from threadpoolctl import threadpool_limits
    except ImportError:
        print("\nkmeans vs scikit-learn: scikit-learn is not installed (pip install scikit-learn)")
        return
    print("\nkmeans against scikit-learn lloyd, ms per iteration (best; 10 iterations, tol 0)")
    print("| shape | threads | nogilkit " + " | ".join(_simd.supported())
          + " | scikit-learn | scikit-learn / nogilkit (best path) |")
    print("| --- | --- | " + " | ".join("---" for _ in _simd.supported()) + " | --- | --- |")
    for n, d, k in shapes:
        rng = np.random.default_rng(0)
        points = rng.standard_normal((n, d)) + rng.integers(0, 4, (n, 1))
        init = points[:k].copy()
        for t in threads:
            def ours(path, t=t):
                return on_path(path, lambda: nogilkit.kmeans(points, k, init=init, max_iter=10,
                                                             tol=0.0, threads=t))

            def theirs(t=t):
                with threadpool_limits(limits=t):
                    return KMeans(k, init=init, n_init=1, max_iter=10, tol=0.0,
                                  algorithm="lloyd").fit(points)
            calls = {p: ours(p) for p in _simd.supported()}
            calls["sklearn"] = theirs
            measured = interleaved(calls, repeats)
            fitted = measured["sklearn"][1]
            per_iter = {}
            for p in _simd.supported():
                result = measured[p][1]
                check(np.array_equal(result.labels, fitted.labels_)
                      and result.n_iter == fitted.n_iter_, f"kmeans {p} labels == scikit-learn's")
                per_iter[p] = measured[p][0] / result.n_iter * 1e3
            sk = measured["sklearn"][0] / fitted.n_iter_ * 1e3
            best = per_iter[_simd.paths()["kmeans"]]
            print(f"| {n}x{d}, k={k} | {t} | " + " | ".join(f"{per_iter[p]:.1f}" for p in per_iter)
                  + f" | {sk:.1f} | {sk / best:.2f}x |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--quick", action="store_true", help="smaller problems (a smoke run)")
    args = parser.parse_args(argv)
    threads = [int(t) for t in args.threads.split(",")]
    hz = clock_hz()
    print(f"paths: {', '.join(_simd.supported())}; in use: {_simd.paths()}; "
          f"clock {hz / 1e9:.2f} GHz (/proc/cpuinfo)" if hz else "clock unknown")
    size = 500 if args.quick else 2000
    image = nogilkit.mandelbrot(size, size, 256)
    kernel_table(f"mandelbrot {size}x{size}, max_iter 256",
                 lambda t: lambda: nogilkit.mandelbrot(size, size, 256, threads=t),
                 float(image.sum()), "iteration", lambda p: 2 * LANES[p] / 8,
                 threads, args.repeats, hz)
    n = 500 if args.quick else 2000
    kernel_table(f"spectral_norm n={n}, 10 iterations",
                 lambda t: lambda: nogilkit.spectral_norm(n, 10, threads=t),
                 40.0 * n * n, "term", lambda p: 0.5, threads, args.repeats, hz)
    m, d, k = (20_000, 64, 32) if args.quick else (200_000, 64, 32)
    rng = np.random.default_rng(0)
    points = rng.standard_normal((m, d)) + rng.integers(0, 4, (m, 1))
    init = points[:k].copy()
    # Each iteration and the final labelling: a pass of m x k x d distance terms.
    passes = nogilkit.kmeans(points, k, init=init, max_iter=10, tol=0.0).n_iter + 1
    kernel_table(f"kmeans {m}x{d}, k={k}, {passes - 1} iterations",
                 lambda t: lambda: nogilkit.kmeans(points, k, init=init, max_iter=10, tol=0.0,
                                                   threads=t).labels,
                 float(passes) * m * k * d, "distance term", lambda p: LANES[p], threads, args.repeats, hz)
    shapes = [(n // 10, d, k) for n, d, k in KMEANS_SHAPES] if args.quick else KMEANS_SHAPES
    kmeans_against_sklearn(threads, max(1, args.repeats // 2 + 1), shapes)


if __name__ == "__main__":
    main()
