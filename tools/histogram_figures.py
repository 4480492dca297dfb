"""Figures for nogilkit.histogram: speed against numpy.histogram, and the race demo.

Run it with the installed package (not the source tree):

    python tools/histogram_figures.py

It first checks that nogilkit.histogram equals numpy.histogram on the data
it times, then prints the median of several runs of each, the ratios, and
nogilkit.demos.histogram_race's table. Timings are wall-clock medians after
one untimed warm-up run (which also starts the thread pool), with the
process CPU time of a run, which shows whether the cores were free.
"""

import argparse
import platform
import statistics
import sys
import time

import numpy as np

import nogilkit
from nogilkit import demos
from nogilkit._measure import measure

RANGE = (-5.0, 5.0)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=50_000_000, help="values to count")
    parser.add_argument("--bins", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=7, help="timed runs of each (>= 5)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.repeats < 5:
        parser.error("--repeats must be >= 5")
    return args


def measure_with_cpu(run, repeats):
    """(wall Timing, median process CPU seconds per run, last result).

    CPU time counts every thread of the process, so CPU / wall says how many
    cores a run kept busy: well under ``threads`` means the cores were not
    free (another process had them), not that the kernel failed to scale.
    """
    cpu = []

    def timed():
        start = time.process_time()
        result = run()
        cpu.append(time.process_time() - start)
        return result

    timing, result = measure(timed, repeats)
    return timing, statistics.median(cpu[-repeats:]), result


def main():
    args = parse_args()
    data = np.random.default_rng(args.seed).standard_normal(args.size)
    info = nogilkit.build_info()
    print(
        f"histogram of {args.size:,} float64 values (standard normal, seed {args.seed}) "
        f"in {args.bins} bins over {RANGE}"
    )
    print(
        f"Python {platform.python_version()}, numpy {np.__version__}, nogilkit "
        f"{nogilkit.__version__} ({info['compiler']}), {nogilkit.available_cpus()} CPUs "
        f"available; median of {args.repeats} runs after 1 warm-up"
    )

    runs = {
        ("numpy.histogram", 1): lambda: np.histogram(data, args.bins, RANGE)[0],
        ("nogilkit.histogram", 1): lambda: nogilkit.histogram(data, args.bins, RANGE, threads=1),
        ("nogilkit.histogram", 2): lambda: nogilkit.histogram(data, args.bins, RANGE, threads=2),
    }
    # Verify before timing anything: a fast wrong answer is not a result.
    expected = runs["numpy.histogram", 1]()
    for key, run in runs.items():
        if not np.array_equal(run(), expected):
            sys.exit(f"FAILED: {key[0]} at {key[1]} threads differs from numpy.histogram")
    print("verified: nogilkit.histogram (1 and 2 threads) equals numpy.histogram in every bin")
    print()

    timings = {}
    print(
        f"{'implementation':<20}{'threads':>8}{'median s':>10}{'min s':>9}{'max s':>9}"
        f"{'CPU s':>9}{'cores busy':>12}"
    )
    for key, run in runs.items():
        timing, cpu, counts = measure_with_cpu(run, args.repeats)
        if not np.array_equal(counts, expected):
            sys.exit(f"FAILED: {key[0]} at {key[1]} threads differs from numpy.histogram")
        timings[key] = timing
        print(
            f"{key[0]:<20}{key[1]:>8}{timing.median:>10.4f}{timing.min:>9.4f}{timing.max:>9.4f}"
            f"{cpu:>9.4f}{cpu / timing.median:>12.2f}"
        )
    numpy_s = timings["numpy.histogram", 1].median
    one_s = timings["nogilkit.histogram", 1].median
    two_s = timings["nogilkit.histogram", 2].median
    print()
    print(f"nogilkit 1 thread vs numpy.histogram: {numpy_s / one_s:.1f}x faster (goal >= 2x)")
    print(f"nogilkit 2 threads vs 1 thread:       {one_s / two_s:.2f}x (2x at best, on 2 idle cores)")
    print()

    print("nogilkit.demos.histogram_race(threads=2), its default data:")
    print(demos.histogram_race(threads=2, repeats=args.repeats))


if __name__ == "__main__":
    main()
