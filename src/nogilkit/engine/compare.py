"""``nogilkit compare`` and ``nogilkit.compare()``: workloads x implementations x
strategies x workers, every run verified, timed and reported.

The default answers, for Mandelbrot at size ``small``, which way of using the
cores works here: pure Python, NumPy and the nogil Cython kernel under
serial, threads, processes and asyncio on 1, 2 and all cores.
"""

import contextlib

from .._control import Control
from .._provenance import provenance
from .._runtime import (START_METHODS, available_cpus, available_start_methods,
                        default_start_method, native_pools_limited)
from .._workload import BASELINE
from ..strategies import STRATEGIES, WITH_START_METHOD, Options, get_strategy
from ..strategies.processes import refuse_worker_import
from ..workloads import IMPLEMENTATIONS, WORKLOADS, get_workload
from .harness import run_group
from .report import Report

__all__ = ["DEFAULT_IMPLEMENTATIONS", "DEFAULT_STRATEGIES", "DEFAULT_WORKLOADS", "compare"]

DEFAULT_WORKLOADS = ("mandelbrot",)
DEFAULT_IMPLEMENTATIONS = ("python", "numpy", "cython", "cython-baseline")
DEFAULT_STRATEGIES = ("serial", "threads", "processes", "asyncio")
DEFAULT_SIZE = "small"
DEFAULT_PLOT = "nogilkit-compare.png"
# Size "tiny" is a smoke test of every path: its runs (under a millisecond)
# are too short to time meaningfully, so they are not repeated up to 0.1 s
# samples and take no extra rounds.
SAMPLING = {"tiny": {"min_sample": 0.0, "precision": None}}


def default_workers(workload=None):
    """Worker counts when none are given: 1, 2 and all CPUs, or the workload's own
    (``io`` waits rather than computes, so its concurrency goes beyond the cores)."""
    if workload is not None and get_workload(workload).default_workers:
        return list(get_workload(workload).default_workers)
    return sorted({1, 2, available_cpus()})


def _names(kind, values, valid, plural=None, also=()):
    """The names in ``values`` (a list or "a,b"), checked against ``valid`` ("all": every
    one of them) and ``also`` (accepted, but not part of "all")."""
    if isinstance(values, str):
        values = [v.strip() for v in values.split(",") if v.strip()]
    if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values):
        hint = " (or a function, as compare(fn, items))" if kind == "workload" else ""
        raise TypeError(f"{plural or kind + 's'} must be names, as a list or 'a,b'{hint}, "
                        f"got {type(values).__name__}")
    values = list(values)
    if values == ["all"]:
        return list(valid)
    unknown = [v for v in values if v not in valid and v not in also]
    if unknown or not values:
        raise ValueError(f"unknown {kind} {', '.join(map(repr, unknown)) or '(none given)'}; "
                         f"valid {plural or kind + 's'}: {', '.join(valid)} (or 'all')"
                         + (f"; also {', '.join(also)}" if also else ""))
    return list(dict.fromkeys(values))


def worker_counts(values):
    """Checked, sorted worker counts; None stays None (each workload's default)."""
    if values is None:
        return None  # each workload's default_workers
    values = list(values)
    for w in values:
        if isinstance(w, bool) or not isinstance(w, int) or w < 1:
            raise ValueError(f"workers must be integers >= 1, got {w!r}")
    if not values:
        raise ValueError("workers must name at least one worker count")
    return sorted(set(values))


def strategy_names(strategies):
    """Checked strategy names, ``processes:spawn`` style ones included."""
    return _names("strategy", strategies, list(STRATEGIES), "strategies", also=WITH_START_METHOD)


def validate(workloads, implementations, strategies, workers, *, size, repeats, options=None):
    """The normalised (workloads, implementations, strategies, workers); ValueError
    naming what is wrong before any work starts."""
    workloads = _names("workload", workloads, list(WORKLOADS))
    implementations = _names("implementation", implementations, list(IMPLEMENTATIONS))
    strategies = strategy_names(strategies)
    workers = worker_counts(workers)
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be an integer >= 1, got {repeats!r}")
    for name in workloads:
        if size not in get_workload(name).sizes:
            raise ValueError(f"size must be one of {', '.join(get_workload(name).sizes)} "
                             f"for workload {name}, got {size!r}")
    return workloads, implementations, strategies, workers


def plan(workloads, implementations, strategies, workers):
    """The combinations to run, in report order: serial once, on 1 worker;
    ``workers`` None means each workload's default. With the default
    implementations, cython-baseline only for workloads with vector paths
    (elsewhere it is cython); asked for by name, it is a row saying so."""
    def wanted(w, i):
        return not (i == BASELINE and tuple(implementations) == DEFAULT_IMPLEMENTATIONS
                    and get_workload(w).vector_kernel is None)

    return [(w, i, s, n)
            for w in workloads for i in implementations if wanted(w, i) for s in strategies
            for n in ([1] if s == "serial" else workers or default_workers(w))]


def nothing_runs(workloads, implementations, strategies, workers, options=None):
    """None when some combination of the plan can run here; else why none can,
    one line per reason with the combinations it stops ("python+dask,
    numpy+dask: dask distributed is not installed (...)"). The names are
    validate()'s."""
    options = options or Options()
    stopped = []  # (combination, reason)
    for w, i, s, _ in plan(workloads, implementations, strategies, workers):
        workload = get_workload(w)
        why = workload.unavailable(i) or get_strategy(s).unavailable(workload, i, options)
        if why is None:
            return None
        stopped.append((f"{i}+{s}", why))
    return by_reason(stopped)


def by_reason(stopped):
    """[(combination, reason)] as one line per reason, naming each combination
    once: "python+dask, numpy+dask: dask distributed is not installed"."""
    reasons = {}  # reason -> combinations
    for combination, why in stopped:
        combos = reasons.setdefault(why, [])
        if combination not in combos:
            combos.append(combination)
    return [f"{', '.join(combos)}: {why}" for why, combos in reasons.items()]


def oversubscribed(workloads, workers):
    """A warning when ``workers`` ask for more workers than there are CPUs for a
    workload that computes (not one that waits, as io), else None."""
    cpus = available_cpus()
    most = max(workers or [0])
    computing = [w for w in workloads if not get_workload(w).waits]
    if most <= cpus or not computing:
        return None
    return (f"asked for {most} workers on {cpus} CPUs: rows past {cpus} workers share cores, "
            f"so they measure oversubscription, not scaling")


def compare(workloads=DEFAULT_WORKLOADS, implementations=DEFAULT_IMPLEMENTATIONS,
            strategies=DEFAULT_STRATEGIES, workers=None, *, size=DEFAULT_SIZE, repeats=5,
            options=None, max_seconds=5.0, progress=None, pythons=None):
    """Run the comparison and return a Report (print it, ``.to_json()``, ``.plot(path)``).

    Parameters
    ----------
    workloads, implementations, strategies : sequence of str or "all"
        Names from ``nogilkit compare --list``; unknown names raise ValueError
        listing the valid ones. Combinations that cannot run here (numba not
        installed, no OpenMP build, openmp with python...) become rows that
        say why.
    workers : sequence of int, optional
        Worker counts (default 1, 2 and every available CPU; for ``io``,
        whose workers wait rather than compute, 4 and 16). ``serial``
        always runs on one.
    size : str
        ``tiny``, ``small``, ``medium`` or ``large`` (see each workload).
        ``tiny`` is a smoke test: one run per sample, no extra rounds.
    repeats : int
        Timed samples per combination after one untimed warm-up (fewer, but
        at least 3, for samples slower than ``max_seconds / repeats``; more,
        within ``max_seconds`` per row, while a speedup's 95% interval is
        wider than +-5%). A sample lasts at least 0.1 s: shorter runs are
        repeated within it and the times are per run.
    options : Options, optional
        Start method, pool API, chunksize, transfer of arrays, chunks per worker.
    progress : callable, optional
        Called as ``progress(done, total, label)`` before each workload and
        implementation, whose strategies are measured together, runs
        interleaved.
    pythons : sequence of paths, optional
        Run the comparison under each of these interpreters instead, each in
        a process of its own (nogilkit installed there), and merge the rows
        into one report, labelled with their interpreter (version, ``t`` when
        free-threaded, ``GIL on`` when such a build runs with the GIL).
    """
    refuse_worker_import()
    workloads, implementations, strategies, workers = validate(
        workloads, implementations, strategies, workers, size=size, repeats=repeats)
    options = options or Options()
    if pythons:
        from .pythons import compare_across

        return compare_across(pythons, workloads, implementations, strategies, workers,
                              size=size, repeats=repeats, options=options, progress=progress)
    todo = plan(workloads, implementations, strategies, workers)
    report = Report(rows=[], config={
        "workloads": workloads, "implementations": implementations, "strategies": strategies,
        "workers": workers or {w: default_workers(w) for w in workloads}, "size": size,
        "repeats": repeats, "max_seconds": max_seconds,
        "options": vars(options), "descriptions": {},
    })
    # One control for the whole comparison, sampled once per round of every group.
    control = Control(max(n for _, _, _, n in todo))
    problems = {}  # each closed at the end: io's holds a server process
    groups = {}  # (workload, implementation) -> [(strategy, workers)], in plan order
    for w, i, s, n in todo:
        groups.setdefault((w, i), []).append((get_strategy(s), n))
    done = 0
    with contextlib.ExitStack() as cleanup, native_pools_limited() as pinned:
        report.config["blas_threads_pinned"] = pinned
        for (w, i), combos in groups.items():
            if progress:
                progress(done, len(todo), f"{w} {i} ({len(combos)} strategies x workers)")
            if w not in problems:
                problems[w] = get_workload(w).prepare_checked(size)
                cleanup.callback(problems[w].close)
                report.config["descriptions"][w] = problems[w].description
            report.rows.extend(run_group(get_workload(w), problems[w], i, combos, options,
                                         repeats=repeats, max_seconds=max_seconds,
                                         control=control, **SAMPLING.get(size, {})))
            done += len(combos)
    report.provenance = provenance(control)
    if progress:
        progress(len(todo), len(todo), "done")
    return report


def strategy_unavailable(strategy, options=None):
    """Why ``strategy`` cannot run anything with this interpreter, build and
    packages, or None when some workload and implementation can run under it."""
    options = options or Options()
    reason = strategy.missing()
    if reason:
        return reason
    reasons = []
    for w in WORKLOADS.values():
        for i in w.implementations:
            if w.unavailable(i):
                continue
            why = strategy.unavailable(w, i, options)
            if why is None:
                return None
            reasons.append(why)
    return reasons[0] if reasons else "no workload can run here"


def implementation_unavailable(implementation):
    """Why no workload can run ``implementation`` here, or None."""
    reasons = [w.unavailable(implementation) for w in WORKLOADS.values()
               if implementation in w.implementations]
    return None if not reasons or None in reasons else reasons[0]


def availability():
    """Lines saying what exists and what can run with this interpreter (``--list``):
    "available" only where a run could start here, else "unavailable: why"."""
    lines = ["workloads (sizes; implementations):"]
    for w in WORKLOADS.values():
        lines.append(f"  {w.name:<16}{w.summary}")
        lines.append(f"  {'':<16}sizes {', '.join(w.sizes)}; implementations "
                     + ", ".join(i if not w.unavailable(i) else f"{i} (unavailable: {w.unavailable(i)})"
                                 for i in w.implementations))
    methods = available_start_methods()
    lines.append("strategies:")
    for s in STRATEGIES.values():
        reason = strategy_unavailable(s)
        note = "available" if reason is None else f"unavailable: {reason}"
        if reason is None and s.start_method_variants:
            note += f"; start method default {default_start_method()}"
        lines.append(f"  {s.name:<19}{s.summary} [{note}]")
    lines.append(f"  ({' and '.join(s.name for s in STRATEGIES.values() if s.start_method_variants)}"
                 " also as NAME:METHOD, one start method each: " + ", ".join(methods)
                 + "".join(f"; {m} unavailable here" for m in START_METHODS if m not in methods)
                 + ")")
    reasons = {i: implementation_unavailable(i) for i in IMPLEMENTATIONS}
    lines.append("implementations: " + ", ".join(
        i if not why else f"{i} (unavailable: {why})" for i, why in reasons.items()))
    lines.append(f"available CPUs: {available_cpus()}; default workers: "
                 f"{', '.join(map(str, default_workers()))}"
                 + "".join(f"; {w.name}: {', '.join(map(str, w.default_workers))}"
                           for w in WORKLOADS.values() if w.default_workers))
    return lines
