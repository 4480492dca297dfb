"""``nogilkit compare``'s exit statuses, ``--list``'s truth about this interpreter,
and its warnings.

Exit statuses: 0 every row asked for ran and was checked; 1 a row failed or
computed a wrong result; 2 bad usage, or nothing asked for can run here.
"""

import importlib.util
import os
import subprocess
import sys
import textwrap

import pytest

from nogilkit._runtime import available_cpus
from nogilkit.engine.compare import strategy_unavailable
from nogilkit.strategies import STRATEGIES
from nogilkit.strategies.interpreters import interpreters_api

HAS_DASK = importlib.util.find_spec("distributed") is not None
HAS_NUMBA = importlib.util.find_spec("numba") is not None
FUNCTION_QUICK = ["--repeats", "1", "--quiet", "--no-plot"]
QUICK = ["--size", "tiny", *FUNCTION_QUICK]
HERE = os.path.dirname(os.path.abspath(__file__))


def nogilkit(*args, cwd=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "nogilkit", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=cwd or os.path.dirname(HERE))


def strategy_lines(text):
    lines = text.split("strategies:\n", 1)[1].splitlines()
    return {line.split()[0]: line for line in lines if line.startswith("  ") and "[" in line}


# -- --list -------------------------------------------------------------------------------


def test_list_says_available_only_for_what_can_run_here():
    done = nogilkit("compare", "--list")
    assert done.returncode == 0, done.stderr
    lines = strategy_lines(done.stdout)
    assert set(lines) == set(STRATEGIES)
    for name, line in lines.items():
        reason = strategy_unavailable(STRATEGIES[name])
        if reason is None:
            assert "[available" in line, line
        else:
            assert f"[unavailable: {reason}]" in line, line
    for name in ("serial", "threads", "processes", "asyncio"):
        assert "[available" in lines[name]


@pytest.mark.skipif(HAS_DASK, reason="dask distributed is installed here")
def test_list_without_dask_names_the_extra():
    lines = strategy_lines(nogilkit("compare", "--list").stdout)
    for name in ("dask", "dask-threads"):
        assert lines[name].endswith("[unavailable: dask distributed is not installed "
                                    "(pip install 'nogilkit[dask]')]"), lines[name]


@pytest.mark.skipif(interpreters_api() is not None, reason="this Python has subinterpreters")
def test_list_without_subinterpreters_says_which_python_has_them():
    line = strategy_lines(nogilkit("compare", "--list").stdout)["interpreters"]
    assert "[unavailable: subinterpreters need Python 3.14, or Python 3.13" in line
    assert "backports-interpreters" in line


@pytest.mark.skipif(HAS_NUMBA, reason="numba is installed here")
def test_list_without_numba_says_so_for_the_strategy_and_the_implementation():
    text = nogilkit("compare", "--list").stdout
    numba = "numba is not installed (pip install 'nogilkit[numba]')"
    assert strategy_lines(text)["numba-parallel"].endswith(f"[unavailable: {numba}]")
    assert f"numba (unavailable: {numba})" in text.split("\nimplementations: ", 1)[1]


# -- exit statuses ------------------------------------------------------------------------


def test_every_row_ran_exits_0():
    done = nogilkit("compare", "--workloads", "total", "--implementations", "numpy",
                    "--strategies", "serial,threads", "--workers", "2", *QUICK)
    assert done.returncode == 0, done.stderr
    assert "== total (tiny" in done.stdout


@pytest.mark.parametrize("args, needs, message", [
    (["--strategies", "dask"], "distributed",
     "nothing can run here: python+dask, numpy+dask, cython+dask, cython-baseline+dask: "
     "dask distributed is not installed (pip install 'nogilkit[dask]')"),
    (["--implementations", "numba"], "numba",
     "nothing can run here: numba+serial, numba+threads, numba+processes, numba+asyncio: "
     "numba is not installed (pip install 'nogilkit[numba]')"),
    (["--strategies", "numba-parallel", "--implementations", "numba"], "numba",
     "numba is not installed"),
    (["tests.userfuncs:square_sum", "--items", "range(4)", "--strategies", "dask"],
     "distributed", "nothing could run: function+dask: dask distributed is not installed"),
])
def test_nothing_that_can_run_exits_2_and_says_why(args, needs, message):
    if importlib.util.find_spec(needs) is not None:
        pytest.skip(f"{needs} is installed here")
    quick = FUNCTION_QUICK if ":" in args[0] else QUICK
    done = nogilkit("compare", *args, "--workers", "2", *quick)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_wrong_result_exits_1():
    # A built-in workload whose check fails: every row is a failed check.
    code = textwrap.dedent("""
        import sys
        from nogilkit import cli
        from nogilkit.workloads import CheckFailed, get_workload

        def check(problem, result):
            raise CheckFailed("made up: 3 of 10000 values differ")

        get_workload("total").check = check
        sys.exit(cli.main(["compare", "--workloads", "total", "--implementations", "numpy",
                           "--strategies", "serial,threads", "--workers", "2", "--size", "tiny",
                           "--repeats", "1", "--quiet", "--no-plot"]))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "FAILED: wrong result: made up: 3 of 10000 values differ" in done.stdout
    assert "2 combination(s) failed: 2 computed a wrong result" in done.stdout


def test_a_function_that_fails_under_a_strategy_exits_1():
    done = nogilkit("compare", "tests.userfuncs:racy", "--items", "range(16)", "--workers", "2",
                    "--strategies", "threads", *FUNCTION_QUICK)
    assert done.returncode == 1, done.stderr
    assert "threads x2 is ruled out: not thread-safe" in done.stdout


@pytest.mark.parametrize("args, message", [
    (["--strategies", "nope"], "unknown strategy 'nope'"),
    (["--items", "[]"], "--items gave no work items"),
])
def test_bad_usage_with_a_function_exits_2(args, message):
    items = [] if "--items" in args else ["--items", "range(4)"]
    done = nogilkit("compare", "tests.userfuncs:square_sum", *items, *args, *FUNCTION_QUICK)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert message in done.stderr and "Traceback" not in done.stderr


# -- warnings -----------------------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ["--workloads", "total", "--implementations", "numpy", *QUICK],
    ["tests.userfuncs:square_sum", "--items", "[100] * 32", *FUNCTION_QUICK],
])
def test_more_workers_than_cpus_warns_once(args):
    many = available_cpus() + 2
    done = nogilkit("compare", *args, "--strategies", "serial,threads", "--workers", f"1,{many}")
    assert done.returncode == 0, done.stderr
    warning = f"asked for {many} workers on {available_cpus()} CPUs"
    assert done.stderr.count(warning) == 1, done.stderr


def test_a_waiting_workload_does_not_warn_past_the_cpus():
    done = nogilkit("compare", "--workloads", "io", "--strategies", "serial",
                    "--workers", str(available_cpus() + 2), *QUICK)
    assert done.returncode == 0, done.stderr
    assert "workers on" not in done.stderr
