"""The ``nogilkit`` command line."""

import argparse
import importlib.util
import json
import sys

from ._version import __version__


def _info(args, parser):
    from .info import format_info, system_info

    info = system_info()
    print(json.dumps(info, indent=2) if args.json else format_info(info))
    return 0


def _compare(args, parser):
    from . import comparison as engine
    from .strategies import Options

    if args.list:
        print("\n".join(engine.availability()))
        return 0
    has_matplotlib = importlib.util.find_spec("matplotlib") is not None
    plot = None if args.no_plot else args.plot
    try:
        if plot and not has_matplotlib:
            raise ValueError("--plot needs matplotlib: pip install 'nogilkit[plot]'")
        if plot is None and not args.no_plot and has_matplotlib:
            plot = engine.DEFAULT_PLOT
        for name, path in (("--json", args.json), ("--plot", plot)):
            if path:
                engine.check_writable(name, path)
        options = Options(chunks_per_worker=args.chunks_per_worker,
                          start_method=args.start_method or Options().start_method,
                          pool=args.pool, chunksize=args.chunksize, transfer=args.transfer)
        run = dict(workloads=args.workloads, implementations=args.implementations,
                   strategies=args.strategies, workers=args.workers, size=args.size,
                   repeats=args.repeat, options=options)
        engine.validate(**run)  # every name and number, before the long run starts
    except ValueError as exc:
        parser.error(str(exc))
    if args.quiet:
        report = engine.compare(**run)
    else:
        from .progress import progress_bar

        with progress_bar() as progress:
            report = engine.compare(**run, progress=progress)
    print(report)
    if args.json:
        report.to_json(args.json)
        print(f"wrote {args.json}")
    if plot:
        report.plot(plot)
        print(f"wrote {plot}")
    elif not args.no_plot:
        print("no plot: pip install 'nogilkit[plot]' for matplotlib")
    failed = report.failed()
    if failed:
        print(f"{len(failed)} combination(s) computed a wrong result")
    return 1 if failed else 0


def _positive(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _positive_list(text):
    return [_positive(item) for item in text.split(",") if item.strip()]


def build_parser():
    parser = argparse.ArgumentParser(
        prog="nogilkit",
        description="nogil Cython kernels and a comparison of ways to use many cores.",
    )
    parser.add_argument("--version", action="version", version=f"nogilkit {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    info = commands.add_parser("info", help="show the package, interpreter and build")
    info.add_argument("--json", action="store_true", help="print JSON instead of a table")
    info.set_defaults(handler=_info, subparser=info)

    compare = commands.add_parser(
        "compare",
        help="time and verify workloads under every way of using the cores",
        description="Run workloads x implementations x strategies x workers, verify every "
                    "result, and report medians, speedups, efficiency and start-up costs. "
                    "Without options: Mandelbrot (small), python/numpy/cython, "
                    "serial/threads/processes/asyncio on 1, 2 and all cores.",
    )
    compare.add_argument("--list", action="store_true",
                         help="list workloads, implementations and strategies, and what is available")
    compare.add_argument("--workloads", default="mandelbrot", metavar="NAME,...|all")
    compare.add_argument("--implementations", default="python,numpy,cython", metavar="NAME,...|all")
    compare.add_argument("--strategies", default="serial,threads,processes,asyncio",
                         metavar="NAME,...|all")
    compare.add_argument("--workers", type=_positive_list, metavar="N,N,...",
                         help="worker counts (default 1, 2 and all available CPUs)")
    compare.add_argument("--size", default="small", help="tiny, small, medium or large (default small)")
    compare.add_argument("--repeat", type=_positive, default=5,
                         help="timed runs per combination after a warm-up (default 5)")
    compare.add_argument("--start-method", choices=("fork", "spawn", "forkserver"),
                         help="process start method (default forkserver, else spawn)")
    compare.add_argument("--pool", choices=("executor", "pool", "pool-unordered"), default="executor",
                         help="process pool: ProcessPoolExecutor.map, Pool.map or Pool.imap_unordered")
    compare.add_argument("--chunksize", type=_positive, default=1,
                         help="tasks sent to a worker process at a time (default 1)")
    compare.add_argument("--transfer", choices=("pickle", "shm"), default="pickle",
                         help="input arrays to processes: pickled per task, or shared memory once")
    compare.add_argument("--chunks-per-worker", type=_positive, default=4,
                         help="chunks per worker (default 4)")
    compare.add_argument("--json", metavar="PATH", help="write the report as JSON")
    compare.add_argument("--plot", metavar="PATH",
                         help="write the speedup plot (default nogilkit-compare.png when "
                              "matplotlib is installed)")
    compare.add_argument("--no-plot", action="store_true", help="do not write a plot")
    compare.add_argument("--quiet", action="store_true", help="no progress bar")
    compare.set_defaults(handler=_compare, subparser=compare)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args.handler(args, args.subparser)


if __name__ == "__main__":
    sys.exit(main())
