"""``nogilkit.compare(fn, items)``: your function under every way of running it,
verified against your serial loop, with a recommendation.

The function runs over the items in chunks of consecutive items under the
comparison engine's strategies and harness: serial, threads, processes with
each start method, asyncio+threads and asyncio+processes (a coroutine
function: awaited one by one against ``asyncio.gather`` with a concurrency
limit). Every run's results must equal the serial loop's, item by item, or
the row is a failure that says why (not thread-safe, not deterministic).

The recommendation names the fastest verified strategy and its gain over
serial, and says why, from what was measured: the share of its time the
function holds the GIL (nogilkit.probe's monitor over a serial loop), the
cost of pickling the items and results, the pools' start-up, and the
hand-off cost per chunk (a one-worker pool against serial). A strategy must
beat serial by ``MIN_GAIN`` to be recommended; otherwise: stay serial.
"""

import importlib
import importlib.util
import os
import sys
from dataclasses import dataclass

from .._runtime import available_start_methods, native_pools_limited
from .._text import format_seconds as seconds
from .._validation import sequence
from ..strategies import Options, get_strategy
from ..strategies.processes import refuse_worker_import
from ..workloads import CheckFailed
from ..workloads.function import FunctionWorkload
from .._control import Control, busy, describe
from .._provenance import provenance
from .._stats import ratio_interval
from .compare import default_workers, strategy_names, worker_counts
from .harness import run_group
from .report import Report

__all__ = ["FunctionReport", "compare_function", "current_folder_importable", "default_strategies",
           "load_callable", "recommend"]

MIN_GAIN = 1.10  # a strategy must beat serial by this factor to be recommended
SAME_WITHIN = 1.05  # rows this close to the fastest are a tie: the simplest is named
COROUTINE_WORKERS = (4, 16)  # concurrency limits for a coroutine function
WAITING_WORKERS = (8, 16)  # also tried for a function that mostly waits
WAITING_GIL_SHARE, WAITING_CPU_SHARE = 0.25, 0.5  # ... which releases the GIL, uses little CPU


def default_strategies(coroutine, start_method=None):
    """serial, threads, processes under each available start method (or the one
    given), asyncio+threads, asyncio+processes; for a coroutine function:
    serial (awaited one by one) and asyncio (gathered, a limit at a time)."""
    if coroutine:
        return ["serial", "asyncio"]
    methods = [start_method] if start_method else available_start_methods()
    return ["serial", "threads", *(f"processes:{m}" for m in methods), "asyncio+threads",
            "asyncio+processes"]


def compare_function(fn, items, *, strategies=None, workers=None, check=None, repeats=5,
                     options=None, max_seconds=5.0, progress=None):
    """Run ``fn`` over ``items`` under each strategy; verify, time and recommend.

    Parameters
    ----------
    fn : callable
        Called as ``fn(item)``; a coroutine function is awaited. Processes need
        it defined at the top level of a module (they import it by name).
    items : iterable
        The work items (not a string), at least one.
    strategies : sequence of str, optional
        Names as in ``nogilkit compare --list``, processes also as
        ``processes:fork`` etc. Default: see ``default_strategies``. serial
        always runs: it is the baseline.
    workers : sequence of int, optional
        Worker counts (default 1, 2 and all CPUs; a coroutine function's
        concurrency limits 4 and 16).
    check : callable, optional
        ``check(expected, actual) -> bool`` for one item's result; default:
        ``==``, ``numpy.array_equal`` for arrays (NaN equal to NaN).
    repeats, options, max_seconds, progress
        As for ``nogilkit.compare``; ``progress(done, total, label)`` is called
        before each run.

    Returns
    -------
    FunctionReport
        The engine's report (print it, ``to_json()``, ``plot()``) with the
        measured ``facts`` and the ``recommendation``.

    Raises MainReimported when worker processes, importing the main script,
    run this call again: the script needs ``if __name__ == "__main__":``.
    """
    refuse_worker_import()
    chosen = workers
    workload, strategies, workers, options = _validate(fn, items, strategies, workers, check,
                                                       repeats, options)
    report = FunctionReport(rows=[], config={
        "function": workload.name, "items": len(workload.items), "strategies": strategies,
        "repeats": repeats, "max_seconds": max_seconds,
        "options": vars(options), "descriptions": {}})
    with native_pools_limited() as pinned:
        report.config["blas_threads_pinned"] = pinned
        if progress:
            progress(0, None, "the serial loop, and the GIL held during it")
        try:
            problem = workload.prepare(workload.size)
        except CheckFailed as exc:  # two serial loops differ
            raise ValueError(f"fn: {exc}") from None
        if chosen is None and _waits(workload.facts):
            # Waiting scales past the cores: 16 threads sleeping overlap 16 waits.
            workers = sorted({*workers, *(min(n, len(workload.items)) for n in WAITING_WORKERS)})
        report.config["workers"] = workers
        combos = [(get_strategy(s), n) for s in strategies
                  for n in ([1] if s == "serial" else workers)]
        control = Control(max(n for _, n in combos))
        report.config["descriptions"][workload.name] = problem.description
        try:
            report.rows = run_group(workload, problem, workload.implementation, combos, options,
                                    repeats=repeats, max_seconds=max_seconds, progress=progress,
                                    control=control)
        finally:
            problem.close()
    report.provenance = provenance(control)
    for row in report.rows:
        if row.status == "failed" and row.reason.startswith("wrong result: "):
            row.reason = _failure(row)
    report.facts = workload.facts
    report.recommendation = recommend(report.rows, workload.facts, workload.coroutine,
                                      report.provenance["control"])
    return report


def _validate(fn, items, strategies, workers, check, repeats, options):
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    items = sequence("items", items, convert=list, what="an iterable of work items")
    if not items:
        raise ValueError("items must not be empty")
    if check is not None and not callable(check):
        raise TypeError(f"check must be callable (expected, actual) -> bool, "
                        f"got {type(check).__name__}")
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be an integer >= 1, got {repeats!r}")
    if options is not None and not isinstance(options, Options):
        raise TypeError(f"options must be nogilkit.strategies.Options, got {type(options).__name__}")
    workload = FunctionWorkload(fn, items, check)
    strategies = strategy_names(strategies or default_strategies(workload.coroutine))
    if "serial" not in strategies:
        strategies.insert(0, "serial")
    workers = worker_counts(workers) or (list(COROUTINE_WORKERS) if workload.coroutine
                                         else default_workers())
    # More workers than items would idle: a row per useful count.
    workers = sorted({min(n, len(items)) for n in workers})
    return workload, strategies, workers, options or Options()


def _waits(facts):
    """Whether the function mostly waits: it releases the GIL and its serial
    loop used under half a CPU."""
    return (facts.gil_held is not None and facts.gil_held < WAITING_GIL_SHARE
            and facts.cpu_seconds is not None
            and facts.cpu_seconds < WAITING_CPU_SHARE * facts.serial_seconds)


def _family(strategy):
    """What a strategy (by name) is at heart: threads, processes, asyncio..."""
    return get_strategy(strategy).family


def _failure(row):
    """A failed row's reason, saying what a difference under its strategy means."""
    detail = row.reason.removeprefix("wrong result: ")
    family = _family(row.strategy)
    if row.strategy == "serial":
        return f"not deterministic: the serial run differs from the serial loop ({detail})"
    if family == "threads":
        return f"not thread-safe: results differ from the serial loop's under threads ({detail})"
    if family == "asyncio":
        return (f"not safe to run concurrently: results differ from the serial loop's when "
                f"coroutines interleave ({detail})")
    if family == "processes":
        return (f"results differ in worker processes (state kept in the process, randomness, "
                f"or a different environment: {detail})")
    return f"results differ from the serial loop's ({detail})"


def _label(row):
    return f"{row.strategy} x{row.workers}"


def _candidate(row, facts):
    """Whether a row can be the recommended one: one worker cannot beat serial
    (a gain there is noise), nor can threads on a function holding the GIL
    under an interpreter that has one."""
    if row.workers == 1 and not get_strategy(row.strategy).via_event_loop:
        return False
    return not (_family(row.strategy) == "threads" and _holds_gil(facts))


def recommend(rows, facts, coroutine, control=None):
    """What to use, its measured gain over serial, and why; in a few sentences.

    A family of strategies (threads, processes, asyncio) with any row whose
    results differed is ruled out whole: another row of it that happened to
    pass proves nothing. Among rows within ``SAME_WITHIN`` of the fastest,
    the simplest is named: threads before processes, a plain pool before one
    behind an event loop, then the shortest start-up. Rows that cannot gain
    (one worker; threads on a function holding the GIL) are never named, and
    a gain whose interval includes "no difference" is called uncertain.
    ``control``, a Control's summary: when it saw too few cores, staying
    serial is inconclusive rather than a finding.
    """
    serial = next((r for r in rows if r.strategy == "serial"), None)
    if serial is None or not serial.ok:
        return ("No recommendation: the serial run did not complete"
                + (f" ({serial.reason})." if serial is not None else "."))
    base = serial.median
    unsafe = {_family(r.strategy) for r in rows if r.status == "failed" and r.strategy != "serial"}
    measured = [r for r in rows if r.ok and r.strategy != "serial"
                and _family(r.strategy) not in unsafe]
    candidates = [r for r in measured if _candidate(r, facts)]
    fastest = min(candidates, key=lambda r: r.median, default=None)
    failures = {}  # the kind of failure, before its detail -> (first reason, rows)
    for r in rows:
        if r.status == "failed":
            failures.setdefault(r.reason.split(" (")[0], (r.reason, []))[1].append(_label(r))
    ruled_out = [f"{' and '.join(labels)} {'is' if len(labels) == 1 else 'are'} ruled out: "
                 f"{reason}." for reason, labels in failures.values()]
    if fastest is not None and base / fastest.median >= MIN_GAIN:
        best = min((r for r in candidates if r.median <= fastest.median * SAME_WITHIN),
                   key=_simplicity)
        gain = ratio_interval(serial.times, best.times)
        head = (f"Use {_label(best)}: {_times(gain, base / best.median)} faster than serial "
                f"({seconds(base)} -> {seconds(best.median)} for {facts.items} items), its "
                "results checked against the serial loop.")
        if gain is not None and gain.includes(1.0):
            head += " Uncertain: the interval includes no difference; run it again, on a quieter machine."
        if best is not fastest:
            head += (f" ({_label(fastest)} measured {base / fastest.median:.2f}x, within "
                     f"{SAME_WITHIN - 1:.0%}: the simpler one is named.)")
        reasons = [_why_best(best, facts, base, unsafe), *_peers(best, candidates, base)]
        winner = _family(best.strategy)
    else:
        head = "Stay serial: no strategy beat the serial run by 10%" + (
            f" (the fastest, {_label(fastest)}, ran at {base / fastest.median:.2f}x)."
            if fastest else ".")
        if busy(control):
            head = (f"Inconclusive: the machine was busy ({describe(control)}), so no "
                    "strategy's gain could show; " + head[0].lower() + head[1:])
        reasons, winner = [], None
    noise = [r for r in measured if not _candidate(r, facts) and base / r.median >= MIN_GAIN]
    if noise:
        reasons.append(", ".join(f"{_label(r)} measured {base / r.median:.2f}x" for r in noise)
                       + ": noise, as " + ("one worker cannot beat serial" if all(
                           r.workers == 1 for r in noise) else "threads cannot gain on a "
                           "function holding the GIL") + ".")
    reasons += _why_not(rows, measured, facts, base, winner, coroutine)
    return " ".join([head, *reasons, *ruled_out])


def _times(interval, value):
    """'1.85x [1.80-1.90]', or '1.85x' without an interval."""
    if interval is None:
        return f"{value:.2f}x"
    return f"{interval.value:.2f}x [{interval.low:.2f}-{interval.high:.2f}]"


def _simplicity(row):
    """Sort key: threads, then processes, then the rest; a plain pool before one
    behind an event loop; then the shorter start-up."""
    rank = {"threads": 0, "processes": 1}.get(_family(row.strategy), 2)
    return rank, get_strategy(row.strategy).via_event_loop, row.startup_seconds or 0.0


def _peers(best, measured, base):
    """Rows of the named one's family within 10% of it (another start method, the
    pool behind an event loop): differences this small are the noise of one run,
    and a peer may start faster. Other families have their own clause."""
    family = _family(best.strategy)
    peers = sorted((r for r in measured if r is not best and _family(r.strategy) == family
                    and r.median <= best.median * MIN_GAIN), key=lambda r: r.median)
    if not peers:
        return []
    described = [f"{_label(r)} ({base / r.median:.2f}x"
                 + (f", start-up {seconds(r.startup_seconds)})" if r.startup_seconds else ")")
                 for r in peers]
    return [f"Within 10% of it: {', '.join(described)}."]


def _best_of(measured, family):
    found = [r for r in measured if _family(r.strategy) == family]
    return min(found, key=lambda r: r.median, default=None)


def _gil_words(facts):
    if facts.gil_held is None:
        return facts.gil_note
    return f"fn holds the GIL {facts.gil_held:.0%} of its time"


def _holds_gil(facts):
    return facts.gil_held is not None and facts.gil_held >= 0.5


def _why_best(best, facts, base, unsafe):
    family = _family(best.strategy)
    if family == "asyncio":
        return (f"Awaited one by one, each call's waits add up; with {best.workers} in flight "
                "they overlap on one thread.")
    if family == "threads":
        return (f"Why: {_gil_words(facts)}, so threads run the rest of it in parallel, sharing "
                "memory: nothing is pickled and the pool starts in milliseconds.")
    if family != "processes":
        return f"Why: {_gil_words(facts)}."
    text = f"Why: {_gil_words(facts)}"
    if "threads" in unsafe:
        text += ", and it is not thread-safe (below); each process has its own copy of its state."
    else:
        text += "; each process has its own interpreter and GIL."
    if facts.pickle_seconds is not None:
        text += (f" Pickling the items and results costs {seconds(facts.pickle_seconds)} "
                 f"per run ({_share(facts.pickle_seconds, base)} of the serial time).")
    saved = base - best.median
    if best.startup_seconds is not None:
        repaid = ("one run repays it" if best.startup_seconds <= saved else
                  f"that is more than one run saves ({seconds(saved)}): worth it when the "
                  "pool is kept for several runs")
        text += (f" The pool's start-up, {seconds(best.startup_seconds)}, is not in the "
                 f"median; {repaid}.")
    return text


def _why_not(rows, measured, facts, base, winner, coroutine):
    """A clause for each family of strategies that did not win and was not ruled out."""
    clauses = []
    if coroutine:
        gathered = _best_of(measured, "asyncio")
        if winner != "asyncio" and gathered is not None:
            clauses.append(f"Gathered, the calls gain {base / gathered.median:.2f}x: their "
                           "time is work on the event loop's thread, not waiting.")
        return clauses
    threads = _best_of(measured, "threads")
    if winner != "threads" and threads is not None:
        gain = base / threads.median
        if _holds_gil(facts):
            clauses.append(f"Threads: {gain:.2f}x at best ({_label(threads)}), because "
                           f"{_gil_words(facts)} and threads take turns for it.")
        else:
            clauses.append(f"Threads: {gain:.2f}x at best ({_label(threads)}) although "
                           f"{_gil_words(facts)}: {_small_chunks(rows, 'threads', base)}.")
    processes = _best_of(measured, "processes")
    unavailable = next((r for r in rows if r.status == "unavailable"
                        and _family(r.strategy) == "processes"), None)
    if winner != "processes":
        if processes is not None:
            clauses.append(f"Processes: {base / processes.median:.2f}x at best "
                           f"({_label(processes)}); {_process_costs(rows, facts, base, processes)}.")
        elif unavailable is not None:
            clauses.append(f"Processes could not run: {unavailable.reason}.")
    return clauses


def _hand_off(rows, family, base):
    """Seconds a one-worker pool of ``family`` adds per chunk over serial, or None."""
    one = [r for r in rows if r.ok and r.workers == 1 and r.strategy != "serial"
           and _family(r.strategy) == family and r.chunks]
    if not one:
        return None
    row = min(one, key=lambda r: r.median)
    return max(0.0, row.median - base) / row.chunks


def _per_chunk(rows, base):
    """Seconds of work in one chunk of the serial run."""
    serial = next(r for r in rows if r.strategy == "serial")
    return base / max(1, serial.chunks or 1)


def _small_chunks(rows, family, base):
    per_chunk = _per_chunk(rows, base)
    hand_off = _hand_off(rows, family, base)
    if hand_off is not None and hand_off > 0.1 * per_chunk:
        return (f"too little work per chunk ({seconds(per_chunk)}) against a hand-off of "
                f"{seconds(hand_off)} per chunk")
    return "memory bandwidth, a lock inside fn, or other work on this machine limit it"


def _process_costs(rows, facts, base, row):
    """What processes paid that serial did not: pickling, hand-off, start-up, memory."""
    costs = []
    if facts.pickle_seconds is not None:
        costs.append(f"{seconds(facts.pickle_seconds)} of pickling per run "
                     f"({_share(facts.pickle_seconds, base)} of the serial time)")
    hand_off = _hand_off(rows, "processes", base)
    per_chunk = _per_chunk(rows, base)
    if hand_off is not None and hand_off > 0.1 * per_chunk:
        costs.append(f"{seconds(hand_off)} per chunk to hand work over (pickling included), "
                     f"against {seconds(per_chunk)} of work per chunk")
    if row.startup_seconds is not None:
        costs.append(f"{seconds(row.startup_seconds)} to start the pool")
    serial = next(r for r in rows if r.strategy == "serial")
    if row.peak_bytes and serial.peak_bytes:
        costs.append(f"{row.peak_bytes / 2**20:.0f} MiB of memory against serial's "
                     f"{serial.peak_bytes / 2**20:.0f} MiB")
    return "they pay " + ", ".join(costs)


def _share(part, whole):
    share = part / whole
    return "under 1%" if share < 0.01 else f"{share:.0%}"


@dataclass
class FunctionReport(Report):
    """The engine's report for one function, with what was measured about it and
    the recommendation."""

    facts: object = None
    recommendation: str = ""

    def reading(self, workload):
        return self.recommendation

    def describe_facts(self):
        f = self.facts
        parts = [f"serial loop {seconds(f.serial_seconds)} "
                 f"({seconds(f.serial_seconds / f.items)} per item)"]
        parts.append(f"GIL held {f.gil_held:.0%} of it" if f.gil_held is not None
                     else f"GIL held: not measured ({f.gil_note})")
        if f.cpu_seconds is not None and f.serial_seconds:
            parts.append(f"CPU busy {min(1.0, f.cpu_seconds / f.serial_seconds):.0%} of it"
                         + (" (it waits: workers tried past the cores)" if _waits(f) else ""))
        if f.pickle_error is None:
            parts.append(f"pickle round trip of fn, items and results "
                         f"{seconds(f.pickle_seconds)}, {f.pickle_bytes:,} bytes")
        else:
            parts.append(f"pickling fails ({f.pickle_error})")
        return "; ".join(parts)

    def __str__(self):
        (workload,) = self.workloads()
        return (f"== {workload} ({self.config['items']} items) ==\n{self.table(workload)}\n"
                f"measured: {self.describe_facts()}\n\n{self.recommendation}")

    def to_dict(self):
        return dict(super().to_dict(), facts=self.facts.to_dict(),
                    recommendation=self.recommendation)


# nogilkit's own optional dependencies: a file of the same name in the current
# folder (a threadpoolctl.py) must never stand in for them.
OWN_DEPENDENCIES = ("threadpoolctl", "rich", "matplotlib")


def current_folder_importable():
    """Let the user's modules in the current folder be imported, as ``python -m``
    does, but after the installed ones: the folder goes last on sys.path (also
    for worker processes, which inherit it), and a dependency of nogilkit's that
    is not installed is marked missing, so that the folder cannot supply it."""
    folder = os.getcwd()
    if folder in sys.path or "" in sys.path:
        return
    for module in OWN_DEPENDENCIES:
        if module not in sys.modules and importlib.util.find_spec(module) is None:
            sys.modules[module] = None  # an import fails, as for any missing package
    sys.path.append(folder)


def load_callable(spec, name):
    """The object ``module:attribute`` names (the current folder importable, see
    current_folder_importable); ValueError naming ``name`` otherwise, also when
    importing the module fails."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"{name}: expected MODULE:FUNCTION (as mymodule:work), got {spec!r}")
    current_folder_importable()
    try:
        target = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"{name}: cannot import module {module_name!r} ({exc})") from None
    except (Exception, SystemExit) as exc:  # the module's own code failed
        raise ValueError(f"{name}: importing {module_name!r} raised "
                         f"{type(exc).__name__}: {exc}") from None
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise ValueError(f"{name}: module {module_name!r} has no {attribute!r}") from None
    if not callable(target):
        raise ValueError(f"{name}: {spec} is a {type(target).__name__}, not a function")
    return target
