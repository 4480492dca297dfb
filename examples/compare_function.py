"""``nogilkit.compare(fn, items)`` from Python: your own function under every
way of running it, each result checked against the serial loop, and a
recommendation.

    python examples/compare_function.py

``collatz_longest`` (from work.py, beside this file) is pure Python and holds
the GIL, so processes should win where there are two cores to spare. Worker
processes started by spawn or forkserver import the main script, this file,
before they run anything: the work runs under ``if __name__ == "__main__":``.
Without the guard each worker would run the comparison again; nogilkit stops
instead, with one sentence saying so.
"""

import nogilkit
from work import collatz_longest


def main():
    # A few items, three strategies and a short time per row keep it to
    # seconds. Leave strategies, workers, repeats and max_seconds out to try
    # every start method and the event-loop pools too, on more workers, with
    # figures worth reading (docs/your-function.md).
    report = nogilkit.compare(collatz_longest, range(1, 16_001, 2000),
                              strategies=["serial", "threads", "processes"], workers=[2],
                              repeats=3, max_seconds=0.5)
    print(report)
    return report


if __name__ == "__main__":
    main()
