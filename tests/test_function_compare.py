"""nogilkit.compare(fn, items): your function under each strategy, verified
against the serial loop, and the recommendation drawn from the measurements."""

import json
import multiprocessing
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import nogilkit
from nogilkit.engine.function_compare import recommend
from nogilkit.engine.harness import Row
from nogilkit._runtime import gil_enabled
from nogilkit.workloads.function import Facts, same

from . import userfuncs
from .leaks import threads

METHODS = [m for m in ("fork", "forkserver", "spawn") if m in multiprocessing.get_all_start_methods()]
QUICK = {"workers": [2], "repeats": 1}


@pytest.fixture(autouse=True)
def nothing_left_behind():
    before = threads()
    yield
    assert threads() <= before
    assert multiprocessing.active_children() == []


def by_strategy(report):
    return {(r.strategy, r.workers): r for r in report.rows}


# Each strategy, at tiny size -------------------------------------------------

def test_every_default_strategy_runs_and_is_checked():
    report = nogilkit.compare(userfuncs.square_sum, [200, 300, 400, 500, 600], **QUICK)
    rows = by_strategy(report)
    assert list(rows) == [("serial", 1), ("threads", 2),
                          *((f"processes:{m}", 2) for m in METHODS),
                          ("asyncio+threads", 2), ("asyncio+processes", 2)]
    assert all(r.ok for r in report.rows), [r.reason for r in report.rows]
    assert all(r.implementation == "function" and r.size == "5 items" for r in report.rows)
    assert report.facts.items == 5 and report.facts.pickle_error is None
    assert report.recommendation.startswith(("Use ", "Stay serial: ", "Inconclusive: "))
    assert "== tests.userfuncs.square_sum (5 items) ==" in str(report)


def test_more_strategies_and_array_results():
    report = nogilkit.compare(userfuncs.kernel, range(6), strategies=["asyncio", "threads+loop"],
                              workers=[1, 3], repeats=1)
    assert [(r.strategy, r.workers) for r in report.rows] == [
        ("serial", 1), ("asyncio", 1), ("asyncio", 3), ("threads+loop", 1), ("threads+loop", 3)]
    assert all(r.ok for r in report.rows), [r.reason for r in report.rows]
    assert report.rows[2].chunks == 6  # 3 workers x 4 chunks, at most one per item


def test_the_check_catches_a_wrong_result():
    # Under processes, a result that depends on the process differs: the row
    # fails with the item and both values, and is never timed.
    report = nogilkit.compare(userfuncs.process_id, range(4),
                              strategies=["threads", f"processes:{METHODS[0]}"], **QUICK)
    rows = by_strategy(report)
    assert rows[("threads", 2)].ok
    failed = rows[(f"processes:{METHODS[0]}", 2)]
    assert failed.status == "failed" and failed.times == []
    assert failed.reason.startswith("results differ in worker processes")
    assert "item 0: the serial loop returned (0, " in failed.reason


def test_a_race_is_reported_not_thread_safe():
    report = nogilkit.compare(userfuncs.racy, range(16),
                              strategies=["threads", "asyncio+threads", "processes:" + METHODS[0]],
                              **QUICK)
    rows = by_strategy(report)
    for name in ("threads", "asyncio+threads"):
        assert rows[(name, 2)].status == "failed"
        assert rows[(name, 2)].reason.startswith("not thread-safe: results differ")
    assert rows[("processes:" + METHODS[0], 2)].ok  # each process has its own global
    assert "threads x2 and asyncio+threads x2 are ruled out: not thread-safe" in report.recommendation
    assert not report.recommendation.startswith("Use threads")
    assert "FAILED: not thread-safe" in str(report)


def test_an_exception_only_under_threads_fails_that_row():
    report = nogilkit.compare(userfuncs.not_reentrant, range(12), strategies=["threads"], **QUICK)
    row = by_strategy(report)[("threads", 2)]
    assert row.status == "failed"
    assert "raised RuntimeError: called while another call was running" in row.reason
    assert row.reason.startswith("not thread-safe")


def test_an_exception_in_the_serial_loop_is_raised_with_the_item():
    with pytest.raises(ValueError, match="three is not allowed") as info:
        nogilkit.compare(userfuncs.fails_on_three, range(5), **QUICK)
    assert "item 3 in the serial loop" in "".join(getattr(info.value, "__notes__", [])) + str(
        info.value.args)


def test_check_callable_accepts_what_equality_would_not():
    if gil_enabled():  # the GIL measurement runs the loop twice and compares
        with pytest.raises(ValueError, match="fn: two serial loops .* not deterministic"):
            nogilkit.compare(userfuncs.noisy, range(4), strategies=["threads"], **QUICK)
    else:  # no second loop: the serial run itself differs
        report = nogilkit.compare(userfuncs.noisy, range(4), strategies=["threads"], **QUICK)
        assert by_strategy(report)[("serial", 1)].reason.startswith("not deterministic")
    report = nogilkit.compare(userfuncs.noisy, range(4), strategies=["threads"],
                              check=userfuncs.close, **QUICK)
    assert all(r.ok for r in report.rows)


def test_coroutine_function_awaited_one_by_one_against_gather():
    report = nogilkit.compare(userfuncs.waits, range(20), repeats=1)
    assert [(r.strategy, r.workers) for r in report.rows] == [
        ("serial", 1), ("asyncio", 4), ("asyncio", 16)]
    assert all(r.ok and r.implementation == "coroutine" for r in report.rows)
    assert report.facts.gil_held is None and "coroutine" in report.facts.gil_note


def test_keyword_form_and_json():
    report = nogilkit.compare(fn=userfuncs.twice, items=[np.arange(3), np.ones(2)],
                              strategies=["threads"], **QUICK)
    data = json.loads(report.to_json())
    assert data["recommendation"] == report.recommendation
    assert data["facts"]["items"] == 2
    assert [row["strategy"] for row in data["rows"]] == ["serial", "threads"]


# Processes and pickling --------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
def test_a_lambda_under_processes_is_a_clear_reason_not_a_hang(method):
    report = nogilkit.compare(lambda x: x + 1, range(4), strategies=[f"processes:{method}"],
                              **QUICK)
    row = by_strategy(report)[(f"processes:{method}", 2)]
    assert row.status == "unavailable"
    assert "fn cannot be pickled" in row.reason and "lambda" in row.reason
    assert "Processes could not run: fn cannot be pickled" in report.recommendation


def test_unpicklable_items_rule_out_processes():
    lock = __import__("threading").Lock()
    report = nogilkit.compare(userfuncs.process_id, [lock], strategies=["processes:" + METHODS[0]],
                              **QUICK)
    row = report.rows[1]
    assert row.status == "unavailable"
    assert row.reason.startswith("the items or the results cannot be pickled")


@pytest.mark.skipif("spawn" not in METHODS, reason="needs the spawn start method")
def test_a_function_from_standard_input_under_spawn_says_why():
    # spawn workers import __main__, which standard input does not give them.
    code = textwrap.dedent("""
        import nogilkit

        def double(x):
            return 2 * x

        report = nogilkit.compare(double, range(4), strategies=["processes:spawn"],
                                  workers=[2], repeats=1)
        print(report.rows[1].status, report.rows[1].reason)
    """)
    done = subprocess.run([sys.executable, "-"], input=code, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("unavailable fn is defined in __main__ of an interactive "
                                  "session or standard input, which spawn workers cannot import")


UNGUARDED = """
import nogilkit
from nogilkit.strategies import Options

with open({runs!r}, "a") as f:  # one line each time the body runs
    f.write("ran\\n")

def double(x):
    return 2 * x

nogilkit.compare(double, range(4), strategies={strategies!r}, workers=[2], repeats=1,
                 options=Options(pool={pool!r}))
"""


@pytest.mark.parametrize("strategies, pool", [
    (None, "executor"),  # the default strategies: forkserver is the first to re-import
    (["processes:spawn"], "executor"),
    (["processes:spawn"], "pool"),
    (["asyncio+processes"], "executor"),
])
def test_an_unguarded_script_stops_with_one_sentence(tmp_path, strategies, pool):
    # spawn and forkserver workers import the main script; without the main
    # guard each would run compare again (and again, in their own workers).
    runs = tmp_path / "runs.txt"
    script = tmp_path / "unguarded.py"
    script.write_text(UNGUARDED.format(runs=str(runs), strategies=strategies, pool=pool))
    if strategies is None and not {"spawn", "forkserver"} & set(METHODS):
        pytest.skip("needs spawn or forkserver")
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    sentence = (f"nogilkit.compare() was called again while a worker process imported your "
                f"script {script}: put the call under `if __name__ == \"__main__\":` (worker "
                f"processes started by spawn or forkserver import the main module)")
    assert done.returncode == 1, done.stderr
    assert f"nogilkit.strategies.base.MainReimported: {sentence}" in done.stderr.splitlines(), \
        done.stderr
    assert done.stderr.count("was called again") == 1, done.stderr
    for leak in ("BrokenProcessPool", "must be importable", "bootstrapping", "'loop'"):
        assert leak not in done.stderr
    # The script itself, and at most one re-import by each of two workers:
    # none of them started workers of its own. multiprocessing.Pool, though,
    # replaces a worker that died (it looks every 0.1 s) until the pool is
    # terminated, and each replacement imports the script again: how many
    # depends on how busy the machine is (4 under two busy loops), so there
    # only "it stopped" (the run above ended, with one sentence) is exact.
    ran = len(runs.read_text().splitlines())
    assert ran >= 2, done.stderr
    if pool != "pool":
        assert ran <= 3, done.stderr


def test_a_process_pool_on_a_loop_that_fails_to_start_says_why(monkeypatch):
    # The session closes before its event loop exists: the start-up error
    # comes out, not "'LoopProcessSession' object has no attribute 'loop'".
    from nogilkit.strategies import Options
    from nogilkit.strategies.coroutines import LoopProcessSession
    from nogilkit.strategies.processes import ProcessSession

    def fail(self):
        raise OSError("no processes today")

    monkeypatch.setattr(ProcessSession, "_probe", fail)
    with pytest.raises(OSError, match="no processes today"):
        LoopProcessSession(1, Options(start_method=METHODS[0]))


# Bad input ----------------------------------------------------------------------

@pytest.mark.parametrize("args, kwargs, error, match", [
    ((userfuncs.square_sum, "abc"), {}, TypeError, "items must be an iterable of work items"),
    ((userfuncs.square_sum, 5), {}, TypeError, "items must be an iterable of work items, got int"),
    ((userfuncs.square_sum, []), {}, ValueError, "items must not be empty"),
    ((userfuncs.square_sum, [1]), {"check": 3}, TypeError, "check must be callable"),
    ((userfuncs.square_sum, [1]), {"strategies": ["warp"]}, ValueError, "unknown strategy 'warp'"),
    ((userfuncs.square_sum, [1]), {"strategies": ["processes:vfork"]}, ValueError,
     "also processes:fork"),
    ((userfuncs.square_sum, [1]), {"workers": [0]}, ValueError, "workers must be integers >= 1"),
    ((userfuncs.square_sum, [1]), {"repeats": 0}, ValueError, "repeats must be an integer >= 1"),
    ((userfuncs.square_sum, [1]), {"options": {}}, TypeError, "options must be"),
])
def test_bad_arguments_are_named(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        nogilkit.compare(*args, **kwargs)


def test_not_callable_goes_to_the_workload_form():
    # compare(42, ...) is not a function, so it is the built-in workloads' form,
    # which names what it expected.
    with pytest.raises(TypeError, match=r"workloads must be names, .* \(or a function, as "
                                        r"compare\(fn, items\)\), got int"):
        nogilkit.compare(42, [1, 2])
    from nogilkit.engine.function_compare import compare_function

    with pytest.raises(TypeError, match="fn must be callable, got int"):
        compare_function(42, [1, 2])


# Equality and the recommendation's logic (no timing) ----------------------------

@pytest.mark.parametrize("a, b, equal", [
    (np.array([1.0, np.nan]), np.array([1.0, np.nan]), True),
    (np.array([1, 2]), np.array([1.0, 2.0]), False),  # dtype differs
    (np.array([1, 2]), [1, 2], False),
    ((1, [2.0, float("nan")]), (1, [2.0, float("nan")]), True),
    ((1, 2), [1, 2], False),
    ({"a": np.zeros(2)}, {"a": np.zeros(2)}, True),
    ({"a": 1}, {"b": 1}, False),
    (3, 3.0, True),
    ("x", "y", False),
    (np.float32("nan"), np.float32("nan"), True),
    (complex(float("nan"), 0), complex(float("nan"), 0), True),
    (None, None, True),
])
def test_same(a, b, equal):
    assert same(a, b) is equal


def test_same_refuses_an_ambiguous_equality():
    class Elementwise:
        def __eq__(self, other):
            return np.array([True, False])

    with pytest.raises(TypeError, match="pass check="):
        same(Elementwise(), Elementwise())


def facts(gil_held=0.99, pickle_seconds=1e-5, pickle_error=None):
    return Facts(items=40, serial_seconds=1.0, gil_held=gil_held, gil_note="",
                 pickle_seconds=pickle_seconds, pickle_bytes=100, pickle_error=pickle_error)


def row(strategy, workers, median, status="ok", reason="", startup=0.01, chunks=8):
    return Row("f", "40 items", "function", strategy, workers, status, reason,
               times=[median] if status == "ok" else [], startup_seconds=startup,
               peak_bytes=100 * 2**20, chunks=chunks)


def test_recommends_threads_when_they_win():
    text = recommend([row("serial", 1, 1.0, chunks=4), row("threads", 2, 0.52),
                      row("processes:fork", 2, 0.6, startup=0.2)], facts(gil_held=0.02), False)
    assert text.startswith("Use threads x2: 1.92x faster than serial (1 s -> 520 ms for 40 items)")
    assert "fn holds the GIL 2% of its time, so threads run the rest of it in parallel" in text
    assert "Processes: 1.67x at best (processes:fork x2); they pay 10 µs of pickling" in text
    assert "200 ms to start the pool" in text


def test_recommends_processes_and_says_when_start_up_outweighs_one_run():
    text = recommend([row("serial", 1, 1.0), row("threads", 2, 1.0),
                      row("processes:spawn", 2, 0.55, startup=0.6),
                      row("processes:fork", 2, 0.58, startup=0.06),
                      row("processes:forkserver", 2, 0.7, startup=0.3)], facts(), False)
    assert text.startswith("Use processes:spawn x2: 1.82x faster than serial")
    # Rows within noise of the fastest are named, with what sets them apart.
    assert "Within 10% of it: processes:fork x2 (1.72x, start-up 60 ms)." in text
    assert "forkserver" not in text
    assert "Why: fn holds the GIL 99% of its time; each process has its own interpreter" in text
    assert "The pool's start-up, 600 ms, is not in the median; that is more than one run " \
           "saves (450 ms): worth it when the pool is kept for several runs." in text
    assert "Threads: 1.00x at best (threads x2), because fn holds the GIL 99%" in text


def test_stays_serial_below_ten_percent():
    text = recommend([row("serial", 1, 1.0), row("threads", 2, 0.95),
                      row("processes:fork", 1, 1.3), row("processes:fork", 2, 0.93)],
                     facts(gil_held=0.1), False)
    assert text.startswith("Stay serial: no strategy beat the serial run by 10% (the fastest, "
                           "processes:fork x2, ran at 1.08x).")
    # A one-process pool's extra time per chunk is the hand-off cost.
    assert ("37.5 ms per chunk to hand work over (pickling included), against 125 ms of work "
            "per chunk") in text


def test_unpicklable_and_unsafe_are_said():
    text = recommend([row("serial", 1, 1.0),
                      row("threads", 2, None, "failed", "not thread-safe: item 0 differs"),
                      row("processes:spawn", 2, None, "unavailable", "fn cannot be pickled (x)")],
                     facts(pickle_seconds=None, pickle_error="x"), False)
    assert text.startswith("Stay serial: no strategy beat the serial run by 10%.")
    assert "Processes could not run: fn cannot be pickled (x)." in text
    assert "threads x2 is ruled out: not thread-safe: item 0 differs." in text


def test_one_worker_faster_than_serial_is_noise_never_the_advice():
    # "threads x1: 1.45x faster than serial" was recommended once: one worker cannot do that.
    text = recommend([row("serial", 1, 1.0), row("threads", 1, 0.69), row("threads", 2, 0.98)],
                     facts(gil_held=0.99), False)
    assert text.startswith("Stay serial")
    assert "threads x1 measured 1.45x: noise, as one worker cannot beat serial." in text


def test_threads_are_never_advised_for_a_function_holding_the_gil():
    # GIL held 100% never leads to "threads run it in parallel".
    text = recommend([row("serial", 1, 1.0), row("threads", 2, 0.7),
                      row("processes:fork", 2, 0.9)], facts(gil_held=1.0), False)
    assert not text.startswith("Use threads") and "run it in parallel" not in text
    assert "threads x2 measured 1.43x: noise, as threads cannot gain on a function holding " \
           "the GIL." in text


def test_a_gain_whose_interval_includes_no_difference_is_uncertain():
    serial = row("serial", 1, 1.0)
    serial.times = [0.8, 1.0, 1.3]
    threads = row("threads", 2, 0.8)
    threads.times = [0.7, 0.8, 1.2]
    text = recommend([serial, threads], facts(gil_held=0.0), False)
    assert text.startswith("Use threads x2: 1.25x [")
    assert "Uncertain: the interval includes no difference" in text


def test_on_a_busy_machine_staying_serial_is_inconclusive():
    control = {"cores_requested": 2, "cores_available": 1.0, "sufficient": False,
               "samples": [1.0], "load_before": 4.0, "load_after": 4.2}
    rows = [row("serial", 1, 1.0), row("threads", 2, 0.98)]
    text = recommend(rows, facts(gil_held=0.0), False, control)
    assert text.startswith("Inconclusive: the machine was busy (cores available: 1.0 of 2")
    assert recommend(rows, facts(gil_held=0.0), False, dict(control, sufficient=True,
                     cores_available=2.0)).startswith("Stay serial")


def test_no_recommendation_without_a_serial_run():
    text = recommend([row("serial", 1, None, "failed", "not deterministic: x")], facts(), False)
    assert text == "No recommendation: the serial run did not complete (not deterministic: x)."


# Command line ---------------------------------------------------------------------

WORK = """
import time

def halve(x):
    return x / 2

_last = None

def racy(x):
    global _last
    _last = x
    time.sleep(0.002)
    return _last

def near(expected, actual):
    return abs(expected - actual) < 1e-9
"""


def cli(tmp_path, *args):
    (tmp_path / "mywork.py").write_text(WORK)
    return subprocess.run([sys.executable, "-m", "nogilkit", "compare", *args, "--no-plot",
                           "--quiet"], cwd=tmp_path, capture_output=True, text=True, timeout=300)


def test_cli_end_to_end(tmp_path):
    done = cli(tmp_path, "mywork:halve", "-s", "n = 6", "--items", "range(n)", "--workers", "2",
               "--repeats", "1", "--strategies", f"threads,processes:{METHODS[0]}",
               "--check", "mywork:near", "--json", "out.json")
    assert done.returncode == 0, done.stderr
    assert "== mywork.halve (6 items) ==" in done.stdout
    data = json.loads((tmp_path / "out.json").read_text())
    assert [r["status"] for r in data["rows"]] == ["ok", "ok", "ok"]
    assert data["recommendation"] in done.stdout
    assert data["facts"]["items"] == 6


def test_cli_reports_a_race(tmp_path):
    done = cli(tmp_path, "mywork:racy", "--items", "range(16)", "--workers", "2", "--repeats", "1",
               "--strategies", "threads")
    assert done.returncode == 1, done.stderr  # a row failed its check
    assert "threads x2 is ruled out: not thread-safe" in done.stdout


@pytest.mark.parametrize("args, message", [
    (["mywork:halve"], "--items is needed with mywork:halve"),
    (["mywork", "--items", "[1]"], "FUNCTION: expected MODULE:FUNCTION (as mymodule:work)"),
    (["nomodule:f", "--items", "[1]"], "cannot import module 'nomodule'"),
    (["mywork:absent", "--items", "[1]"], "module 'mywork' has no 'absent'"),
    (["mywork:_last", "--items", "[1]"], "mywork:_last is a NoneType, not a function"),
    (["mywork:halve", "--items", "[1", ], "--items does not compile"),
    (["mywork:halve", "--items", "1 / 0"], "--items raised ZeroDivisionError"),
    (["mywork:halve", "-s", "raise KeyError(3)", "--items", "[1]"], "the setup raised KeyError"),
    (["mywork:halve", "--items", "[1]", "--workloads", "io"], "--workloads go with the built-in"),
    (["--items", "[1]"], "--items go with MODULE:FUNCTION"),
    (["mywork:halve", "--items", "[1]", "--check", "mywork:nothing"], "--check: module"),
])
def test_cli_bad_input(tmp_path, args, message):
    done = cli(tmp_path, *args)
    assert done.returncode == 2
    assert message in done.stderr


def test_without_a_gil_the_fraction_is_not_measured(monkeypatch):
    import nogilkit.workloads.function

    if gil_enabled():
        monkeypatch.setattr(nogilkit.workloads.function, "gil_enabled", lambda: False)
    report = nogilkit.compare(userfuncs.square_sum, [100, 200], strategies=["threads"], **QUICK)
    assert report.facts.gil_held is None
    assert report.facts.gil_note == "this interpreter runs without a GIL"
    assert "GIL held: not measured (this interpreter runs without a GIL)" in str(report)


def test_the_readme_examples_run(tmp_path):
    # The README's commands, on a few small items.
    import pathlib

    examples = pathlib.Path(__file__).resolve().parent.parent / "examples"
    for function, items in (("work:compress", "[b'abc' * 1000, b'xyz' * 500]"),
                            ("work:collatz_longest", "range(1, 4001, 2000)")):
        done = subprocess.run([sys.executable, "-m", "nogilkit", "compare", function, "--items",
                               items, "--strategies", "threads", "--workers", "2", "--repeats",
                               "1", "--no-plot", "--quiet"], cwd=examples, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert "(2 items) ==" in done.stdout


def test_one_failed_row_rules_out_its_whole_family():
    # threads x2 passing proves nothing when threads x4 returned something else.
    text = recommend([row("serial", 1, 1.0), row("threads", 2, 0.5),
                      row("threads", 4, None, "failed", "not thread-safe: item 2 differs"),
                      row("processes:fork", 2, 0.6, startup=0.05)], facts(gil_held=0.1), False)
    assert text.startswith("Use processes:fork x2: 1.67x")
    assert "and it is not thread-safe (below); each process has its own copy of its state" in text
    assert "Threads:" not in text
    assert text.endswith("threads x4 is ruled out: not thread-safe: item 2 differs.")


def test_a_tie_names_the_simpler_strategy():
    text = recommend([row("serial", 1, 1.0), row("threads", 2, 0.52),
                      row("asyncio+threads", 2, 0.51), row("processes:spawn", 2, 0.50, startup=0.3)],
                     facts(gil_held=0.0), False)
    assert text.startswith("Use threads x2: 1.92x faster than serial")
    assert "(processes:spawn x2 measured 2.00x, within 5%: the simpler one is named.)" in text
    assert "Within 10% of it: asyncio+threads x2 (1.96x, start-up 10 ms)." in text


def test_coroutine_that_gains_nothing_from_gather():
    text = recommend([row("serial", 1, 1.0), row("asyncio", 4, 0.98), row("asyncio", 16, 0.99)],
                     facts(gil_held=None), True)
    assert text == ("Stay serial: no strategy beat the serial run by 10% (the fastest, asyncio "
                    "x4, ran at 1.02x). Gathered, the calls gain 1.02x: their time is work on "
                    "the event loop's thread, not waiting.")


def test_a_check_that_raises_is_named():
    def broken(expected, actual):
        raise KeyError("oops")

    with pytest.raises(TypeError, match=r"check raised KeyError on item 0: 'oops'; check must "
                                        r"take \(expected, actual\)"):
        nogilkit.compare(userfuncs.square_sum, [10, 20], check=broken, strategies=["threads"],
                         **QUICK)


def test_a_check_that_rejects_equal_results_is_refused_first():
    with pytest.raises(TypeError, match="check returned False for item 0's result compared "
                                        "with itself"):
        nogilkit.compare(userfuncs.square_sum, [10], check=lambda a, b: False, **QUICK)


def test_worker_counts_above_the_items_are_capped():
    report = nogilkit.compare(userfuncs.square_sum, [10, 20], strategies=["threads"],
                              workers=[1, 2, 8, 64], repeats=1)
    assert [(r.strategy, r.workers) for r in report.rows] == [
        ("serial", 1), ("threads", 1), ("threads", 2)]


def test_a_worker_process_that_dies_fails_its_row_only():
    report = nogilkit.compare(userfuncs.dies_in_a_worker, range(4),
                              strategies=["threads", "processes:" + METHODS[0]], **QUICK)
    rows = by_strategy(report)
    assert rows[("threads", 2)].ok
    failed = rows[("processes:" + METHODS[0], 2)]
    assert failed.status == "failed"
    assert failed.reason.startswith("the run failed: a worker process died while running chunks")


def test_a_main_thread_only_function_is_measured_without_the_gil_share():
    report = nogilkit.compare(userfuncs.main_thread_only, range(4), strategies=["threads"],
                              **QUICK)
    assert report.facts.gil_held is None
    if gil_enabled():  # else there is no GIL to measure, and the note says that
        assert report.facts.gil_note.startswith("fn raised RuntimeError when called from "
                                                "another thread: main thread only")
    assert by_strategy(report)[("threads", 2)].reason.startswith("not thread-safe")


def test_an_object_with_an_async_call_is_awaited():
    report = nogilkit.compare(userfuncs.AsyncAdder(5), range(3), strategies=["asyncio"],
                              workers=[2], repeats=1)
    assert report.rows[0].implementation == "coroutine"
    assert all(r.ok for r in report.rows)


def test_a_function_returning_an_awaitable_is_refused():
    with pytest.raises(TypeError, match="fn returned an awaitable, not a result: define it "
                                        "with async def"):
        nogilkit.compare(userfuncs.returns_coroutine, range(3), **QUICK)


def test_a_coroutine_function_inside_a_running_loop_says_how():
    import asyncio

    async def main():
        nogilkit.compare(userfuncs.waits, range(3), **QUICK)

    with pytest.raises(RuntimeError, match="this thread already runs one"):
        asyncio.run(main())


def test_a_function_that_waits_is_tried_past_the_cores():
    # time.sleep gets 1.97x on 2 threads, 13x on 16: worker counts must not stop at the cores.
    report = nogilkit.compare(userfuncs.sleeps, list(range(16)), strategies=["threads"],
                              repeats=2)
    assert report.facts.cpu_seconds < 0.5 * report.facts.serial_seconds
    assert max(r.workers for r in report.rows) == 16
    assert "it waits: workers tried past the cores" in str(report)
