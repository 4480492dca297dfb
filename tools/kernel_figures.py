"""The figures the kernel catalogue reports, measured and verified on this machine.

    python tools/kernel_figures.py [--quick] [--threads 1,2] [--repeats 5]

Every kernel result is checked before its time is printed: against the
pure-Python reference (bit for bit), a published value, or the NumPy
equivalent. Pure-Python times are measured on a fraction of the work (fewer
iterations or steps of the same problem, whose cost is linear in them) and
scaled; the table says so. Medians of --repeats runs; speedups are ratios of
medians from this one run. This is a benchmark script, not a test.
"""

import argparse
import math
import sys

import numpy as np

import nogilkit
from nogilkit import reference, vectorized
from nogilkit._measure import measure


def check(condition, what):
    if not condition:
        sys.exit(f"VERIFICATION FAILED: {what}")


def row(name, seconds, note=""):
    print(f"  {name:<44}{seconds:>11.4f} s  {note}")


def mandelbrot_figures(size, threads, repeats):
    print(f"mandelbrot {size}x{size}, max_iter 256")
    region = (-2.0, 0.5, -1.25, 1.25)
    rows = sorted({int(y) for y in np.linspace(0, size - 1, 20)})  # evenly spaced
    python, sample = measure(lambda: [reference.mandelbrot_row(y, size, size, 256, region)
                                      for y in rows], max(1, repeats // 2), warmup=0)
    python_s = python.median * size / len(rows)
    per_pixel = python.median / (len(rows) * size)
    row(f"python reference ({len(rows)} rows x {size / len(rows):.0f})", python_s,
        f"est., {per_pixel * 1e6:.2f} us per pixel")
    base = first = None
    for t in threads:
        timing, image = measure(lambda: nogilkit.mandelbrot(size, size, 256, threads=t), repeats)
        check(np.array_equal(image[rows], np.array(sample, dtype=np.int32)),
              f"threads={t} rows == reference rows")
        first = image if first is None else first
        check(np.array_equal(image, first), f"threads={t} bitwise equal")
        base = base or timing.median
        row(f"cython threads={t}", timing.median,
            f"{python_s / timing.median:6.1f}x vs python, {base / timing.median:4.2f}x vs 1 thread")


def spectral_norm_figures(n, threads, repeats):
    print(f"spectral_norm n={n}, 10 iterations")
    check(f"{nogilkit.spectral_norm(100):.9f}" == "1.274219991", "published n=100 value")
    # One iteration of the reference is a tenth of the work of ten.
    python, expected = measure(lambda: reference.spectral_norm(n, 1), max(1, repeats // 2), warmup=0)
    check(nogilkit.spectral_norm(n, 1, threads=1) == expected, "kernel == reference (1 iteration)")
    python_s = python.median * 10
    row("python reference (1 iteration x 10)", python_s, "est.")
    base = None
    for t in threads:
        timing, value = measure(lambda: nogilkit.spectral_norm(n, threads=t), repeats)
        check(value == nogilkit.spectral_norm(n, threads=1), f"threads={t} bitwise equal")
        base = base or timing.median
        row(f"cython threads={t}", timing.median,
            f"{python_s / timing.median:6.1f}x vs python, {base / timing.median:4.2f}x vs 1 thread")


def nbody_figures(steps, repeats):
    print(f"nbody (five bodies) {steps} steps")
    check(tuple(f"{e:.9f}" for e in nogilkit.nbody(1000)) == ("-0.169075164", "-0.169087605"),
          "published 1000-step energies")
    part = steps // 10
    python, expected = measure(lambda: reference.nbody(part), max(1, repeats // 2), warmup=0)
    check(nogilkit.nbody(part) == expected, f"kernel == reference ({part} steps)")
    python_s = python.median * steps / part
    row(f"python reference ({part} steps x {steps // part})", python_s, "est.")
    timing, _ = measure(lambda: nogilkit.nbody(steps), repeats)
    row("cython (serial)", timing.median, f"{python_s / timing.median:6.1f}x vs python")


def nbody_direct_figures(n, steps, threads, repeats):
    print(f"nbody_direct n={n}, {steps} steps")
    rng = np.random.default_rng(0)
    r, v, m = rng.normal(size=(n, 3)), 0.1 * rng.normal(size=(n, 3)), np.full(n, 1.0 / n)
    one = vectorized.nbody_direct(r, v, m, 1, dt=1e-3, softening=0.05)
    got = nogilkit.nbody_direct(r, v, m, 1, dt=1e-3, softening=0.05)
    check(np.allclose(got[0], one[0], rtol=1e-12) and np.allclose(got[1], one[1], rtol=1e-12),
          "kernel close to the NumPy version (1 step)")
    base = first = None
    for t in threads:
        timing, result = measure(
            lambda: nogilkit.nbody_direct(r, v, m, steps, dt=1e-3, softening=0.05, threads=t), repeats)
        first = first or result
        check(all(np.array_equal(a, b) for a, b in zip(result, first)), f"threads={t} bitwise equal")
        base = base or timing.median
        pairs_per_s = (steps + 1) * n * (n - 1) / timing.median
        row(f"cython threads={t}", timing.median,
            f"{base / timing.median:4.2f}x vs 1 thread, {pairs_per_s / 1e6:7.0f} M interactions/s")


def stream_figures(n, threads, repeats):
    print(f"triad and total, n={n:,} float64")
    rng = np.random.default_rng(0)
    a, b, c = np.empty(n), rng.normal(size=n), rng.normal(size=n)
    expected = b + 3.0 * c
    timing, _ = measure(lambda: vectorized.triad(a, b, c, 3.0), repeats)
    check(np.array_equal(a, expected), "numpy triad")
    gb = 24 * n / 1e9  # STREAM's count: read b and c, write a
    row("numpy triad (a = s*c; a += b)", timing.median, f"{gb / timing.median:6.1f} GB/s")
    for t in threads:
        a[:] = 0.0
        timing, _ = measure(lambda: nogilkit.triad(a, b, c, 3.0, threads=t), repeats)
        check(np.array_equal(a, expected), f"triad threads={t}")
        row(f"cython triad threads={t}", timing.median, f"{gb / timing.median:6.1f} GB/s")
    exact = math.fsum(b.tolist())
    timing, value = measure(lambda: float(np.sum(b)), repeats)
    gb = 8 * n / 1e9
    row("numpy sum", timing.median, f"{gb / timing.median:6.1f} GB/s, error {abs(value - exact):.1e}")
    first = None
    for t in threads:
        timing, value = measure(lambda: nogilkit.total(b, threads=t), repeats)
        first = value if first is None else first
        check(value == first, f"total threads={t} bitwise equal")
        check(abs(value - exact) <= 1e-9 * abs(b).sum(), f"total threads={t} accurate")
        row(f"cython total threads={t}", timing.median,
            f"{gb / timing.median:6.1f} GB/s, error {abs(value - exact):.1e}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, to check the script")
    parser.add_argument("--threads", default=None, help="comma-separated (default 1 and all CPUs)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    cpus = nogilkit.available_cpus()
    threads = ([int(t) for t in args.threads.split(",")] if args.threads
               else sorted({1, 2, cpus} if cpus >= 2 else {1}))
    if threads[0] != 1:
        threads.insert(0, 1)  # speedups are relative to one thread
    print(f"nogilkit {nogilkit.__version__}, {cpus} CPUs, threads {threads}, "
          f"median of {args.repeats}")
    q = args.quick
    mandelbrot_figures(200 if q else 2000, threads, args.repeats)
    spectral_norm_figures(200 if q else 2000, threads, args.repeats)
    nbody_figures(10_000 if q else 500_000, args.repeats)
    nbody_direct_figures(256 if q else 4096, 2 if q else 10, threads, args.repeats)
    stream_figures(1_000_000 if q else 50_000_000, threads, args.repeats)


if __name__ == "__main__":
    main()
