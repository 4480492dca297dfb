"""docs/compare.md's "From Python" example: the built-in workloads under a few
strategies, a report printed, saved as JSON and plotted.

    python examples/compare_workloads.py [FOLDER]

writes report.json and speedup.png (needs nogilkit[plot]) into FOLDER, the
current folder by default. size="tiny" keeps it to seconds; "small" (the
default) and larger sizes measure something worth reading.
"""

import sys
from pathlib import Path

import nogilkit


def main(folder="."):
    folder = Path(folder)
    report = nogilkit.compare(["mandelbrot", "nbody"], ["python", "cython"],
                              ["serial", "threads", "processes"], workers=[1, 2], size="tiny")
    print(report)                               # the tables and a reading per workload
    report.to_json(folder / "report.json")
    report.plot(folder / "speedup.png")         # needs nogilkit[plot]
    print(f"wrote {folder / 'report.json'} and {folder / 'speedup.png'}")


# Worker processes (spawn, forkserver) import this file: only the script runs the work.
if __name__ == "__main__":
    main(*sys.argv[1:])
