"""What each instruction set buys the vectorised kernels, against the core's peak.

    python tools/simd_figures.py [--repeats 5] [--threads 1,2] [--quick] [--kernels K,...]

For mandelbrot, spectral_norm, kmeans, histogram, triad, total and nbody (or
the --kernels named), every path this CPU supports
(nogilkit._simd: baseline, avx2, avx512) on 1 and 2 threads, rounds
interleaved (one run of every combination per round) so that a machine's
drift falls on all of them; best of --repeats. Every result is checked
against the baseline path's, which the tests check against the pure-Python
reference bit for bit. kmeans is also timed against scikit-learn's lloyd at
three shapes (same init, same iterations, labels compared).

"Fraction of peak" is the kernel's useful work per second on one core over
the most this core was measured to do of the same operations, per path: a
probe (compiled here with the C compiler, PROBE below) times independent
chains of a vector multiply then add (8, 12 and 24 vectors of accumulators,
the best kept) and of vector divisions, at each path's width, without FMA
(-ffp-contract=off), as the kernels. No clock figure enters (a VM's nominal
clock is not what turbo runs at). Per unit of work:
- mandelbrot: an iteration is 4 multiplies and 4 adds -> 4 multiply-add pairs;
  the iterations counted are the image's escape counts (the definition's
  work), not the extra ones escaped lanes run inside a vector.
- spectral_norm: a term is one division; the divider is the limit.
- kmeans: a point x centre x feature term of the distances is one pair; the
  rest of an iteration (sums, labels) counts as overhead.
histogram, triad and total have no fraction of peak: triad and total are
bound by memory (at the large size) and the histogram by its gathers and
scattered increments, not by multiply-add pairs. Each is timed at a size
whose arrays fit in the L2 cache (2**16 values, called CALLS times per run
so that a run lasts long enough to time) and at a large one (2**25 values).
nbody (the five bodies, serial) is timed per path against the pure-Python
definition in thread CPU time, which a busy machine does not stretch (the
step is one thread's latency chain), as ns per step and "x pure Python".
This is a benchmark script, not a test.
"""

import argparse
import ctypes
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import numpy as np

import nogilkit
from nogilkit import _simd

LANES = {"baseline": 2, "avx2": 4, "avx512": 8}
KMEANS_SHAPES = [(500_000, 16, 8), (200_000, 64, 32), (1_000_000, 8, 16)]
KERNELS = ("mandelbrot", "spectral_norm", "kmeans", "histogram", "triad", "total", "nbody")


PROBE = r"""
#include <string.h>
typedef double v2d __attribute__((vector_size(16)));
typedef double v4d __attribute__((vector_size(32)));
typedef double v8d __attribute__((vector_size(64)));
#define PROBE(NAME, ATTR, VT, K, STEP)                                        \
    ATTR double NAME(long n) {                                                \
        VT a[K];                                                              \
        const VT m = (VT){0} + 0.9999999, c = (VT){0} + 1e-9;                 \
        for (int i = 0; i < K; i++) a[i] = (VT){0} + (1.0 + i);               \
        for (long k = 0; k < n; k++) _Pragma("GCC unroll 32")                 \
            for (int i = 0; i < K; i++) a[i] = STEP;                          \
        double s = 0, lanes[sizeof(VT) / 8];                                  \
        for (int i = 0; i < K; i++) { memcpy(lanes, &a[i], sizeof(VT)); s += lanes[0]; } \
        return s;                                                             \
    }
#define ALL(KIND, STEP, K)                                                    \
    PROBE(KIND##_baseline_##K, , v2d, K, STEP)                                \
    PROBE(KIND##_avx2_##K, __attribute__((target("avx2"))), v4d, K, STEP)     \
    PROBE(KIND##_avx512_##K, __attribute__((target("avx512f"))), v8d, K, STEP)
ALL(pairs, a[i] * m + c, 8) ALL(pairs, a[i] * m + c, 12) ALL(pairs, a[i] * m + c, 24)
ALL(divisions, a[i] / (m + c), 8) ALL(divisions, a[i] / (m + c), 12)
"""


def probe_rates():
    """{(kind, path): lane operations per second} measured on one core, kind
    "pairs" (a multiply then an add) or "divisions"; {} without a C compiler."""
    compiler = (sysconfig.get_config_var("CC") or "cc").split()
    if shutil.which(compiler[0]) is None:
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        source, library = Path(tmp) / "probe.c", Path(tmp) / "probe.so"
        source.write_text(PROBE)
        subprocess.run([*compiler, "-O2", "-shared", "-fPIC", "-ffp-contract=off", str(source),
                        "-o", str(library)], check=True)
        probe = ctypes.CDLL(str(library))
        rates = {}
        for kind, counts in (("pairs", (8, 12, 24)), ("divisions", (8, 12))):
            for path in _simd.supported():
                for k in counts:
                    function = getattr(probe, f"{kind}_{path}_{k}")
                    function.restype, function.argtypes = ctypes.c_double, [ctypes.c_long]
                    n = 1_000_000
                    best = min(_seconds(function, n) for _ in range(5))
                    rate = n * k * LANES[path] / best
                    rates[kind, path] = max(rates.get((kind, path), 0.0), rate)
        return rates


def _seconds(function, n):
    start = time.perf_counter()
    function(n)
    return time.perf_counter() - start


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


def kernel_table(name, calls, work, unit, ceiling, threads, repeats):
    """Time every (path, threads), check them against the baseline, print a table."""
    measured = interleaved({(p, t): on_path(p, calls(t)) for p in _simd.supported()
                            for t in threads}, repeats)
    reference = measured[("baseline", threads[0])][1]
    for key, (_, result) in measured.items():
        check(np.array_equal(np.asarray(result), np.asarray(reference)),
              f"{name} {key} == the baseline path's result")
    print(f"\n{name} ({work:.3g} {unit}s)")
    print("| path | threads | best s | vs baseline | 2T/1T | ns per " + unit
          + " (one core) | fraction of peak |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for (path, t), (seconds, _) in measured.items():
        base = measured[("baseline", t)][0]
        one = measured[(path, threads[0])][0]
        per_core = work / seconds / t  # units a second on each core
        peak = ceiling(path)
        print(f"| {path} | {t} | {seconds:.4f} | {base / seconds:.2f}x | "
              f"{one / seconds:.2f}x | {1e9 / per_core:.3f} | "
              + (f"{per_core / peak:.2f} |" if peak else "- |"))
    return measured


CALLS = 100  # calls per timed run at the cache-resident size


def stream_tables(kernels, threads, repeats, quick):
    """histogram, triad and total (those in ``kernels``) at a cache-resident and a large size."""
    rng = np.random.default_rng(0)
    for n in (2 ** 16, 2 ** 20 if quick else 2 ** 25):
        calls = CALLS if n == 2 ** 16 else 1
        x, y = rng.normal(size=n), rng.normal(size=n)

        def repeated(kernel):
            def run():
                for _ in range(calls - 1):
                    kernel()
                return kernel()
            return run

        def triad(t):  # each (path, threads) writes its own array, checked afterwards
            a = np.empty(n)
            return repeated(lambda: nogilkit.triad(a, x, y, 3.0, threads=t))

        size = f"{n:,} values" + (f", {calls} calls" if calls > 1 else "")
        for name, factory in (
                ("histogram", lambda t: repeated(lambda: nogilkit.histogram(x, 100, (-5.0, 5.0),
                                                                            threads=t))),
                ("triad", triad),
                ("total", lambda t: repeated(lambda: nogilkit.total(x, threads=t)))):
            if name not in kernels:
                continue
            kernel_table(f"{name} {size}", factory, float(n * calls), "value",
                         lambda path: 0.0, threads, repeats)


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


def nbody_table(repeats, quick):
    """The five bodies: ns per step on each path, and how many times pure Python's."""
    from nogilkit.reference import nbody as reference_nbody

    steps, python_steps = (20_000, 500) if quick else (200_000, 5_000)

    def cpu(call):
        start = time.thread_time()
        result = call()
        return time.thread_time() - start, result

    python = min(cpu(lambda: reference_nbody(python_steps))[0] for _ in range(3))
    expected = reference_nbody(steps)
    best = {}
    for _ in range(repeats):
        for path in _simd.supported():
            with _simd.forced(path):
                seconds, result = cpu(lambda: nogilkit.nbody(steps))
            check(result == expected, f"nbody {path} == the reference's energies")
            best[path] = min(best.get(path, float("inf")), seconds)
    per_step = python / python_steps
    print(f"\nnbody, five bodies, {steps:,} steps (thread CPU time; pure Python "
          f"{per_step * 1e9:,.0f} ns a step)")
    print("| path | ns per step | vs baseline | x pure Python |")
    print("| --- | --- | --- | --- |")
    for path, seconds in best.items():
        print(f"| {path} | {seconds / steps * 1e9:.1f} | {best['baseline'] / seconds:.2f}x | "
              f"{per_step / (seconds / steps):.0f}x |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--quick", action="store_true", help="smaller problems (a smoke run)")
    parser.add_argument("--kernels", default=",".join(KERNELS),
                        help=f"the kernels to time (default: {','.join(KERNELS)})")
    args = parser.parse_args(argv)
    threads = [int(t) for t in args.threads.split(",")]
    kernels = args.kernels.split(",")
    if unknown := set(kernels) - set(KERNELS):
        parser.error(f"--kernels must name some of {', '.join(KERNELS)}; got {', '.join(sorted(unknown))}")
    rates = probe_rates()
    print(f"paths: {', '.join(_simd.supported())}; in use: {_simd.paths()}")
    print("probe, lane operations a second on one core: " + (", ".join(
        f"{kind} {path} {rate / 1e9:.2f}e9" for (kind, path), rate in rates.items())
        or "no C compiler: no fractions of peak"))

    def ceiling(kind, per_unit):
        return lambda path: rates.get((kind, path), 0.0) / per_unit

    if "mandelbrot" in kernels:
        size = 500 if args.quick else 2000
        image = nogilkit.mandelbrot(size, size, 256)
        kernel_table(f"mandelbrot {size}x{size}, max_iter 256",
                     lambda t: lambda: nogilkit.mandelbrot(size, size, 256, threads=t),
                     float(image.sum()), "iteration", ceiling("pairs", 4), threads, args.repeats)
    if "spectral_norm" in kernels:
        n = 500 if args.quick else 2000
        kernel_table(f"spectral_norm n={n}, 10 iterations",
                     lambda t: lambda: nogilkit.spectral_norm(n, 10, threads=t),
                     40.0 * n * n, "term", ceiling("divisions", 1), threads, args.repeats)
    if "kmeans" in kernels:
        m, d, k = (20_000, 64, 32) if args.quick else (200_000, 64, 32)
        rng = np.random.default_rng(0)
        points = rng.standard_normal((m, d)) + rng.integers(0, 4, (m, 1))
        init = points[:k].copy()
        # Each iteration and the final labelling: a pass of m x k x d distance terms.
        passes = nogilkit.kmeans(points, k, init=init, max_iter=10, tol=0.0).n_iter + 1
        kernel_table(f"kmeans {m}x{d}, k={k}, {passes - 1} iterations",
                     lambda t: lambda: nogilkit.kmeans(points, k, init=init, max_iter=10,
                                                       tol=0.0, threads=t).labels,
                     float(passes) * m * k * d, "distance term", ceiling("pairs", 1), threads,
                     args.repeats)
    stream_tables(kernels, threads, args.repeats, args.quick)
    if "nbody" in kernels:
        nbody_table(args.repeats, args.quick)
    if "kmeans" in kernels:
        shapes = [(n // 10, d, k) for n, d, k in KMEANS_SHAPES] if args.quick else KMEANS_SHAPES
        kmeans_against_sklearn(threads, max(1, args.repeats // 2 + 1), shapes)


if __name__ == "__main__":
    main()
