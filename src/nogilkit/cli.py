"""The ``nogilkit`` command line."""

import argparse
import contextlib
import importlib.util
import json
import os
import signal
import sys
import threading

from ._runtime import START_METHODS
from ._text import check_output, format_seconds, write_atomically
from ._version import __version__

__all__ = ["build_parser", "main"]


def _info(args, parser):
    from ._runtime import format_info, system_info

    _check_json_path(args, parser)
    info = system_info()
    if args.json != "-":
        print(format_info(info))
    _write_json(args, info, add_provenance=False)  # the info is itself the provenance
    return 0


def _compare(args, parser):
    from .engine import compare as engine
    from .strategies import Options

    if args.list:
        print("\n".join(engine.availability()))
        return 0
    has_matplotlib = importlib.util.find_spec("matplotlib") is not None
    plot = None if args.no_plot else args.plot
    _check_json_path(args, parser)
    try:
        if plot and not has_matplotlib:
            raise ValueError("--plot needs matplotlib: pip install 'nogilkit[plot]'")
        if plot is None and not args.no_plot and has_matplotlib:
            plot = engine.DEFAULT_PLOT
        baseline = None
        if args.baseline:
            from .engine.baseline import load_report

            baseline = load_report(args.baseline)
        if plot:
            from .engine.report import plot_path

            plot = plot_path(plot, "--plot")
        options = Options(chunks_per_worker=args.chunks_per_worker,
                          start_method=args.start_method or Options().start_method,
                          pool=args.pool, chunksize=args.chunksize, transfer=args.transfer,
                          scheduler=args.scheduler)
        if args.function:
            function, run = _function_run(args, options)
        else:
            function, run = engine.compare, _workloads_run(args, options)
    except (TypeError, ValueError) as exc:
        parser.error(str(exc))
    from .workloads.function import FunctionExited

    if not args.function:
        names = engine.validate(**_names_of(run))
        if not args.python:  # another interpreter may have what this one lacks
            reasons = engine.nothing_runs(*names, options)
            if reasons:
                _say("nothing can run here: " + "; ".join(reasons))
                return 2
        warning = engine.oversubscribed(names[0], args.workers)
        if warning:
            _say(f"warning: {warning}")
    try:
        report = _with_progress(function, args.quiet, **run)
    except FunctionExited as exc:
        _say(str(exc))
        return 1
    except ValueError as exc:
        if not args.function:
            raise
        # Every argument was checked before: this is fn's two serial loops
        # differing, so no result can be checked.
        _say(str(exc))
        return 1
    against = None
    if baseline is not None:
        from .engine.baseline import BaselineComparison

        against = BaselineComparison(report, baseline, label=args.baseline)
    # What was measured is saved before anything else can fail.
    _write_json(args, dict(report.to_dict(), **(
        {"against_baseline": against.to_dict()} if against else {})))
    print(report)
    if against is not None:
        print()
        print(against)
    if plot:
        print(f"wrote {report.plot(plot)}")
    elif not args.no_plot:
        print("no plot: pip install 'nogilkit[plot]' for matplotlib")
    return _status(args, report)


def _say(message):
    print(f"nogilkit compare: {message}", file=sys.stderr)


def _names_of(run):
    return {k: run[k] for k in ("workloads", "implementations", "strategies", "workers",
                                "size", "repeats")}


def _status(args, report):
    """The exit status of a comparison: 0 when every row asked for ran and was
    checked (rows that cannot run here, listed under "not measured", do not
    count against it), 1 when a row failed or computed a wrong result, 2 when
    nothing asked for could run. With MODULE:FUNCTION the serial row is asked
    for only when --strategies names it (else it is the baseline, added)."""
    from .engine.compare import available_cpus, strategy_names

    rows = report.rows
    if args.function:
        if args.strategies is not None and "serial" not in strategy_names(args.strategies):
            rows = [r for r in rows if r.strategy != "serial"]
        from .engine.function_compare import _waits

        most = max(report.config.get("workers") or [0])
        if args.workers and most > available_cpus() and not _waits(report.facts):
            _say(f"warning: asked for {max(args.workers)} workers on {available_cpus()} CPUs: rows past "
                 f"{available_cpus()} workers share cores (more than the CPUs help only a "
                 "function that waits)")
    if rows and all(r.status == "unavailable" for r in rows):
        from .engine.compare import by_reason

        _say("nothing could run: " + "; ".join(by_reason(
            ((f"{r.interpreter} " if r.interpreter else "") + f"{r.implementation}+{r.strategy}",
             r.reason) for r in rows)))
        return 2
    failed = report.failed()
    if failed:
        wrong = sum(not r.reason.startswith("the run failed") for r in failed)
        print(f"{len(failed)} combination(s) failed: {wrong} computed a wrong result, "
              f"{len(failed) - wrong} did not complete (see \"not measured\")")
        return 1
    return 0


def _workloads_run(args, options):
    """compare()'s arguments for the built-in workloads; ValueError for a bad one."""
    from .engine import compare as engine

    given = [name for name, value in (("--items", args.items), ("--setup", args.setup),
                                      ("--check", args.check)) if value is not None]
    if given:
        raise ValueError(f"{', '.join(given)} go with MODULE:FUNCTION (your own function)")
    run = dict(workloads=args.workloads or ",".join(engine.DEFAULT_WORKLOADS),
               implementations=args.implementations or ",".join(engine.DEFAULT_IMPLEMENTATIONS),
               strategies=args.strategies or ",".join(engine.DEFAULT_STRATEGIES),
               workers=args.workers, size=args.size or engine.DEFAULT_SIZE, repeats=args.repeats,
               options=options)
    engine.validate(**run)  # every name and number, before the long run starts
    if args.python:
        from .engine.pythons import describe

        for path in args.python:
            describe(path)  # each one runs nogilkit, before the long run starts
        run["pythons"] = args.python
    return run


def _function_run(args, options):
    """(compare_function, its arguments) for MODULE:FUNCTION; ValueError for a bad one."""
    from .engine.compare import strategy_names
    from .engine.function_compare import compare_function, default_strategies, load_callable
    from .workloads.function import is_coroutine_function

    given = [name for name, value in (("--workloads", args.workloads),
                                      ("--implementations", args.implementations),
                                      ("--size", args.size), ("--python", args.python))
             if value is not None]
    if given:
        raise ValueError(f"{', '.join(given)} go with the built-in workloads, not with "
                         f"{args.function}")
    if args.items is None:
        raise ValueError(f"--items is needed with {args.function}: an expression giving the "
                         "work items, such as 'range(100)'")
    fn = load_callable(args.function, "FUNCTION")
    check = load_callable(args.check, "--check") if args.check else None
    namespace = _run_setup(args.setup or "pass")
    try:
        items = eval(compile(args.items, "<items>", "eval"), namespace)
    except SyntaxError as exc:
        raise ValueError(f"--items does not compile: {exc.msg} ({args.items!r})") from None
    except Exception as exc:
        raise ValueError(f"--items raised {type(exc).__name__}: {exc}") from None
    if isinstance(items, (str, bytes)) or not hasattr(items, "__iter__"):
        raise ValueError(f"--items must give an iterable of work items, such as "
                         f"'range(100)'; {args.items!r} gave {type(items).__name__!r}")
    items = list(items)
    if not items:
        raise ValueError(f"--items gave no work items ({args.items!r})")
    strategies = args.strategies
    if strategies is not None:
        strategy_names(strategies)  # ValueError naming the valid ones, before any work
    if strategies is None:
        # --start-method names the one start method for the process rows.
        strategies = default_strategies(is_coroutine_function(fn), args.start_method)
    return compare_function, dict(fn=fn, items=items, strategies=strategies,
                                  workers=args.workers, check=check, repeats=args.repeats,
                                  options=options)


def _run_setup(setup):
    """The namespace the setup statements build; ValueError if they fail. Modules
    in the current folder can be imported (as with ``python -m timeit``), after
    the installed ones."""
    from .engine.function_compare import current_folder_importable

    current_folder_importable()
    namespace = {}
    try:
        exec(compile(setup, "<setup>", "exec"), namespace)
    except SyntaxError as exc:
        raise ValueError(f"the setup does not compile: {exc.msg} ({setup!r})") from None
    except Exception as exc:
        raise ValueError(f"the setup raised {type(exc).__name__}: {exc}") from None
    return namespace


def _with_progress(function, quiet, **kwargs):
    """``function(**kwargs)``, with a progress bar on stderr unless ``quiet``."""
    if quiet:
        return function(**kwargs)
    with progress_bar() as progress:
        return function(**kwargs, progress=progress)


@contextlib.contextmanager
def progress_bar():
    """Yields a ``progress(done, total, label)`` callback drawing a bar on stderr (rich)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description:<40}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("nogilkit compare", total=None)

        def progress(done, total, label):
            bar.update(task, completed=done, total=total, description=label)

        yield progress


def _write_json(args, data, add_provenance=True):
    """Write ``data`` as JSON to ``--json PATH`` (whole or not at all) and say so,
    or to standard output for ``--json -``; a result without its own provenance
    block (one with no contention control) gets one now, first."""
    if not args.json:
        return
    if add_provenance and "provenance" not in data:
        from ._provenance import provenance

        data = {"provenance": provenance(), **data}
    text = json.dumps(data, indent=2)
    if args.json == "-":
        print(text, file=args.stdout, flush=True)
    else:
        write_atomically(args.json, lambda f: f.write(text.encode()))
        print(f"wrote {args.json}")


def _check_json_path(args, parser):
    if args.json not in (None, "-"):
        try:
            check_output("--json", args.json)
        except ValueError as exc:
            parser.error(str(exc))


def _one(parser, command, flag, counts):
    """The count of a ``command`` that runs at one count, from ``flag``'s list."""
    if counts is None:
        return None
    if len(counts) != 1:
        parser.error(f"{command} takes one {flag} count, got {len(counts)}")
    return counts[0]


def _serve(args, parser):
    import asyncio

    from .net import server

    try:
        server.check_loopback(args.host)
        server.check_settings(args.latency, args.response_bytes, size_name="--response-bytes")
    except (ValueError, TypeError) as exc:
        parser.error(str(exc))

    def ready(port):
        print(f"serving on http://{args.host}:{port}/data/<index> (latency "
              f"{format_seconds(args.latency)}, {args.response_bytes} bytes per response); "
              "Ctrl-C stops", flush=True)

    try:
        asyncio.run(server.serve_forever(args.host, args.port, latency=args.latency,
                                         size=args.response_bytes, ready=ready))
    except KeyboardInterrupt:
        print("stopped")
    except OSError as exc:
        print(f"nogilkit serve: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
              file=sys.stderr)
        return 1
    return 0


def _measure(args, parser, function, **run):
    """Run a measurement that validates its arguments first; print it, write its JSON."""
    _check_json_path(args, parser)
    try:
        result = _with_progress(function, args.quiet, **run)
    except ValueError as exc:
        parser.error(str(exc))
    print(result)
    _write_json(args, result.to_dict())
    return 0


def _mixed(args, parser):
    from .mixed import service_under_load

    return _measure(args, parser, service_under_load,
                    variants=args.variants.split(",") if args.variants else None,
                    duration=args.duration, rate=args.rate,
                    workers=_one(parser, "mixed", "--workers", args.workers))


def _overhead(args, parser):
    from .overhead import measure_overheads

    return _measure(args, parser, measure_overheads, quick=args.quick,
                    max_payload=args.max_payload,
                    start_methods=args.start_methods.split(",") if args.start_methods else None)


def _demo(args, parser):
    from . import demos

    if args.json and args.name == "histogram":
        parser.error("demo histogram has no JSON form; --json works for counter and contention")
    _check_json_path(args, parser)
    run = {"histogram": demos.histogram_race, "counter": demos.counter_race,
           "contention": demos.lock_contention}[args.name]
    kwargs = {}
    if args.threads is not None:
        kwargs["threads"] = (args.threads if args.name == "contention"
                             else _one(parser, f"demo {args.name}", "--threads", args.threads))
    result = run(**kwargs)
    print(result)
    _write_json(args, result.to_dict())
    return 0


def _probe(args, parser):
    from ._probe import Statement, probe

    _check_json_path(args, parser)
    try:
        namespace = _run_setup(args.setup or "pass")
    except ValueError as exc:
        parser.error(str(exc))
    try:
        statement = Statement(args.statement, namespace)
    except SyntaxError as exc:
        parser.error(f"the statement does not compile: {exc.msg} ({args.statement!r})")
    try:
        result = probe(statement, threads=args.threads, min_time=args.min_time,
                       timeout=args.timeout)
    except (TypeError, ValueError) as exc:
        parser.error(str(exc))
    print(result)
    _write_json(args, result.to_dict())
    return 0


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


def _port(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 0 to 65535, got {value}")
    return value


# One vocabulary across the subcommands (docs/cli.md). A flag that several of
# them take is defined here once, so it parses and defaults the same in each;
# only its help, which says what it counts there, differs. A plural name takes
# a comma-separated list (a subcommand that runs at one count takes a list of
# one); "workers" counts whatever a strategy runs on, "threads" only threads.
SHARED_FLAGS = {
    "--workers": dict(type=_positive_list, metavar="N[,N...]"),
    "--threads": dict(type=_positive_list, metavar="N[,N...]"),
    "--setup": dict(metavar="STATEMENTS"),
    "--json": dict(metavar="PATH", help="write the result as JSON to PATH; - writes it to "
                                        "standard output and the table to standard error"),
    "--quiet": dict(action="store_true", help="no progress bar"),
}
CLI_DOCS = "https://github.com/nogilkit/nogilkit/blob/main/docs/cli.md"


def _shared(command, *names, **specific):
    """Add the flag ``names`` (its long name last) as SHARED_FLAGS defines it;
    ``specific`` gives its help here (and, for info's --json, its old form)."""
    return command.add_argument(*names, **{**SHARED_FLAGS[names[-1]], **specific})


class _Deprecated(argparse.Action):
    """An old spelling kept working for scripts: it stores what its successor
    stores, after a one-line note on stderr naming the spelling to use."""

    def __init__(self, option_strings, dest, use, **kwargs):
        super().__init__(option_strings, dest, help=argparse.SUPPRESS, **kwargs)
        self.use = use

    def __call__(self, parser, namespace, values, option_string=None):
        _deprecation_note(parser, f"{option_string} is deprecated; use {self.use}")
        setattr(namespace, self.dest, values)


def _deprecated(command, old, new):
    """Keep the flag ``old`` working as ``new``, an action already added."""
    return command.add_argument(old, action=_Deprecated, use=new.option_strings[-1],
                                dest=new.dest, type=new.type, choices=new.choices,
                                metavar=new.metavar, default=argparse.SUPPRESS)


class _JsonOrSwitch(argparse.Action):
    """info's --json PATH, which was a switch: alone, it still means ``-``."""

    def __call__(self, parser, namespace, values, option_string=None):
        if values is None:
            _deprecation_note(parser, f"{option_string} without a PATH is deprecated; "
                                      f"use {option_string} -")
            values = "-"
        setattr(namespace, self.dest, values)


def _deprecation_note(parser, message):
    print(f"{parser.prog}: {message}", file=sys.stderr)


def _json_and_quiet(command, handler):
    _shared(command, "--json")
    _shared(command, "--quiet")
    command.set_defaults(handler=handler, subparser=command)


def build_parser():
    from .strategies import POOL_APIS, STRATEGIES, TRANSFERS

    parser = argparse.ArgumentParser(
        prog="nogilkit",
        description="nogil Cython kernels and a comparison of ways to use many cores.",
        epilog=f"Every flag, what it means in each subcommand, its Python parameter and its "
               f"default: docs/cli.md ({CLI_DOCS}).",
    )
    parser.add_argument("--version", action="version", version=f"nogilkit {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    info = commands.add_parser("info", help="show the package, interpreter and build")
    _shared(info, "--json", action=_JsonOrSwitch, nargs="?",
            help="write the information as JSON to PATH; - (or --json alone) writes it to "
                 "standard output instead of the table")
    info.set_defaults(handler=_info, subparser=info)

    compare = commands.add_parser(
        "compare",
        help="time and verify workloads under every way of using the cores",
        description="Run workloads x implementations x strategies x workers, verify every "
                    "result, and report medians, speedups, efficiency and start-up costs. "
                    "Without options: Mandelbrot (small), python/numpy/cython/cython-baseline, "
                    "serial/threads/processes/asyncio on 1, 2 and all cores. With "
                    "MODULE:FUNCTION and --items: your function over your items, every "
                    "strategy checked against the serial loop, and a recommendation.",
    )
    compare.add_argument("function", nargs="?", metavar="MODULE:FUNCTION",
                         help="compare your own function over --items instead of the built-in "
                              "workloads, and recommend how to run it")
    compare.add_argument("--items", metavar="EXPR",
                         help="with MODULE:FUNCTION: an expression giving the work items, "
                              "evaluated in the namespace --setup built")
    _shared(compare, "-s", "--setup",
            help="with MODULE:FUNCTION: run first (imports, data for --items)")
    compare.add_argument("--check", metavar="MODULE:FUNCTION",
                         help="with MODULE:FUNCTION: check(expected, actual) -> bool for one "
                              "item's result, instead of == (numpy.array_equal for arrays)")
    compare.add_argument("--list", action="store_true",
                         help="list workloads, implementations and strategies, and what is available")
    compare.add_argument("--workloads", metavar="NAME,...|all", help="default mandelbrot")
    compare.add_argument("--implementations", metavar="NAME,...|all",
                         help="default python,numpy,cython,cython-baseline (cython on the baseline instruction set)")
    default_strategies = ("serial", "threads", "processes", "asyncio")
    compare.add_argument("--strategies", metavar="NAME,...|all",
                         help=f"default {','.join(default_strategies)}; also "
                              f"{', '.join(n for n in STRATEGIES if n not in default_strategies)} "
                              "(--list says which can run here); for MODULE:FUNCTION "
                              "serial, threads, processes:METHOD for each start method, "
                              "asyncio+threads, asyncio+processes (a coroutine function: "
                              "serial, asyncio)")
    _shared(compare, "--workers",
            help="worker counts, each a row per strategy (default 1, 2 and all available CPUs)")
    compare.add_argument("--size", help="tiny, small, medium or large (default small)")
    repeats = compare.add_argument(
        "--repeats", type=_positive, default=5,
        help="timed samples per combination after a warm-up (default %(default)s; more while "
             "a speedup's 95%% interval is wider than +-5%%, fewer, at least 3, for slow runs)")
    _deprecated(compare, "--repeat", repeats)
    compare.add_argument("--start-method", choices=START_METHODS,
                         help="the process start method of the process rows (default "
                              "forkserver, else spawn)")
    compare.add_argument("--pool", choices=POOL_APIS, default="executor",
                         help="process pool: ProcessPoolExecutor.map, Pool.map or Pool.imap_unordered")
    compare.add_argument("--chunksize", type=_positive, default=1,
                         help="tasks sent to a worker process at a time (default %(default)s)")
    compare.add_argument("--transfer", choices=TRANSFERS, default="pickle",
                         help="input arrays to processes: pickled per task, or shared memory once")
    compare.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                         help="the dask strategies attach to this Dask scheduler instead of "
                              "starting a local cluster")
    compare.add_argument("--python", action="append", metavar="PATH",
                         help="run the comparison under this interpreter (repeatable; nogilkit "
                              "installed there) and merge the rows into one report")
    compare.add_argument("--chunks-per-worker", type=_positive, default=4,
                         help="chunks per worker (default %(default)s)")
    compare.add_argument("--baseline", metavar="OLD.json",
                         help="a report saved with --json: show the same combinations side by "
                              "side, the change with its interval, regressions marked")
    compare.add_argument("--plot", metavar="PATH",
                         help="write the speedup plot (default nogilkit-compare.png when "
                              "matplotlib is installed)")
    compare.add_argument("--no-plot", action="store_true", help="do not write a plot")
    _json_and_quiet(compare, handler=_compare)

    serve = commands.add_parser(
        "serve", help="run the loopback HTTP test server of the io workload",
        description="An HTTP/1.1 server on loopback: GET /data/<index> answers after --latency "
                    "seconds with --response-bytes bytes (query parameters size= and latency= "
                    "override them per request). Runs until Ctrl-C.")
    serve.add_argument("--host", default="127.0.0.1", help="a loopback address (default %(default)s)")
    serve.add_argument("--port", type=_port, default=0, help="port (default 0: any free port)")
    serve.add_argument("--latency", type=float, default=0.020,
                       help="seconds before each response (default %(default)s)")
    response_bytes = serve.add_argument("--response-bytes", type=int, default=16 * 1024,
                                        metavar="BYTES",
                                        help="bytes in each response's body (default %(default)s)")
    _deprecated(serve, "--size", response_bytes)
    serve.set_defaults(handler=_serve, subparser=serve)

    mixed = commands.add_parser(
        "mixed", help="an asyncio service's lag and latency while CPU work runs four ways",
        description="An event loop answers requests from a load generator in another process "
                    "while Mandelbrot bands are computed inline on the loop, in threads (pure "
                    "Python, holding the GIL), in threads (the nogil Cython kernel) or in "
                    "processes; reports event-loop lag, request latency and throughput.")
    mixed.add_argument("--variants", metavar="NAME,...",
                       help="inline, python-threads, cython-threads, processes (default all)")
    mixed.add_argument("--duration", type=float, default=3.0,
                       help="seconds per variant (default %(default)s)")
    mixed.add_argument("--rate", type=float, default=100.0,
                       help="requests per second (default %(default)s)")
    _shared(mixed, "--workers",
            help="one count: threads or processes for the CPU work (default: CPUs - 1, at "
                 "least 1)")
    _json_and_quiet(mixed, handler=_mixed)

    overhead = commands.add_parser(
        "overhead", help="what calls, threads, tasks, processes and pickling cost here",
        description="Time the mechanisms themselves: a call vs a generator resume vs an await, "
                    "thread start, thread-pool and asyncio-task round trips, process start per "
                    "start method, and process-pool round trips of 1 KiB to 64 MiB by pickle "
                    "against shared memory.")
    overhead.add_argument("--quick", action="store_true", help="fewer, shorter samples")
    overhead.add_argument("--max-payload", type=_positive, default=64 * 2**20, metavar="BYTES",
                          help="largest round-trip payload (default 64 MiB)")
    overhead.add_argument("--start-methods", metavar="NAME,...",
                          help="process start methods to time (default all available)")
    _json_and_quiet(overhead, handler=_overhead)

    probe = commands.add_parser(
        "probe", help="does a statement hold the GIL, and how should it run? (as python -m timeit)",
        description="Time a statement, run it on 1, 2, ... threads, measure the share of its "
                    "time it holds the GIL and the cost of pickling it to another process, and "
                    "recommend threads, processes or serial. Native thread pools (BLAS, OpenMP) "
                    "are pinned to one thread meanwhile.")
    probe.add_argument("statement", help="the statement to probe (an expression or statements)")
    _shared(probe, "-s", "--setup",
            help="run once first; the statement runs in the namespace it builds")
    _shared(probe, "--threads",
            help="thread counts (default 1, 2, 4, ... up to the available CPUs)")
    probe.add_argument("--min-time", type=float, default=0.2,
                       help="seconds each measurement lasts at least (default %(default)s)")
    probe.add_argument("--timeout", type=float, default=300.0,
                       help="seconds for the whole probe before it gives up (default %(default)s)")
    _json_and_quiet(probe, handler=_probe)

    demo = commands.add_parser(
        "demo", help="shared state between threads: races, locks, queues",
        description="counter: a read-modify-write counter from plain threads, unsynchronised "
                    "(updates lost), with a Lock and with a Queue to one owner thread (exact). "
                    "contention: time per operation as more threads contend for one Lock. "
                    "histogram: one histogram counted from nogil threads four ways.")
    demo.add_argument("name", choices=("counter", "contention", "histogram"))
    _shared(demo, "--threads",
            help="counter and histogram: one count (default 4 and 2); contention: a list "
                 "(default 1, 2, 4, 8)")
    _shared(demo, "--json")
    demo.set_defaults(handler=_demo, subparser=demo)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: stop as Ctrl-C stops (every pool, process and shared
    memory segment cleaned up), then exit with 128 + the signal's number."""

    def __init__(self, signum):
        super().__init__(f"terminated by {signal.Signals(signum).name}")
        self.signum = signum


def _default_termination():
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)


@contextlib.contextmanager
def _termination_stops():
    """SIGTERM and SIGHUP raise Terminated in the main thread; a second one exits
    at once. Forked children get the default handlers back (a pool's worker
    must die when the pool terminates it)."""
    names = [name for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return
    saved = {name: signal.getsignal(getattr(signal, name)) for name in names}

    def terminate(signum, frame):
        for name in names:  # a second signal: no more cleaning up
            signal.signal(getattr(signal, name), lambda n, f: os._exit(128 + n))
        raise Terminated(signum)

    for name in names:
        signal.signal(getattr(signal, name), terminate)
    try:
        yield
    finally:
        for name in names:
            signal.signal(getattr(signal, name), saved[name])


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_default_termination)


def main(argv=None):
    args = build_parser().parse_args(argv)
    # With --json -, standard output carries the JSON alone (for a pipe); what
    # a person reads goes to standard error.
    args.stdout = sys.stdout
    text_out = (contextlib.redirect_stdout(sys.stderr) if getattr(args, "json", None) == "-"
                else contextlib.nullcontext())
    try:
        with _termination_stops(), text_out:
            status = args.handler(args, args.subparser)
    except KeyboardInterrupt as exc:
        signum = getattr(exc, "signum", signal.SIGINT)
        print(f"\nnogilkit: {str(exc) or 'interrupted (Ctrl-C)'}: stopped, pools and "
              "processes cleaned up", file=sys.stderr)
        status = 128 + signum
    except BrokenPipeError:
        # The reader of standard output left (`nogilkit info | head -1`): what
        # is left to print has nowhere to go. Exit as a program that SIGPIPE
        # ended, with no traceback, and keep the exit's flush from raising again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = 128 + getattr(signal, "SIGPIPE", 13)
    return _leave(status)


def _leave(status):
    """``status``, or exit at once with it if a thread that could not be
    stopped (user code blocked in native code, a pool's stuck clean-up) would
    keep the interpreter from exiting."""
    from .strategies.base import ABANDONED

    if any(thread.is_alive() for thread in ABANDONED):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status or 0)
    return status


if __name__ == "__main__":
    sys.exit(main())
