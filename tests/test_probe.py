"""nogilkit.probe: known answers for GIL holding, pickling, bad input, errors, timeout."""

import json
import threading
import time

import pytest

import nogilkit
from nogilkit._runtime import gil_enabled
from nogilkit._probe import ProbeResult, probe

FAST = {"threads": [1, 2], "min_time": 0.05}
needs_gil = pytest.mark.skipif(not gil_enabled(), reason="the GIL is disabled")


def python_loop():
    total = 0
    for i in range(20000):
        total += i * i
    return total


def python_then_kernel(half=0.015):
    """About ``half`` seconds of pure Python, then as long in the nogil kernel."""
    end = time.perf_counter() + half
    while time.perf_counter() < end:
        pass
    end = time.perf_counter() + half
    while time.perf_counter() < end:
        nogilkit.mandelbrot(60, 40, 256, threads=1)


def mandelbrot_serial():
    return nogilkit.mandelbrot(120, 90, 256, threads=1)


@needs_gil
@pytest.mark.parametrize("fn, args, low, high, verdict", [
    (python_loop, (), 0.75, 1.0, "holds"),
    (time.sleep, (0.005,), 0.0, 0.25, "releases"),
    (mandelbrot_serial, (), 0.0, 0.25, "releases"),
    # Half of each call holds the GIL, half releases it: neither answer is right.
    (python_then_kernel, (), 0.25, 0.75, "partial"),
], ids=["python-loop", "sleep", "mandelbrot", "python-then-kernel"])
def test_gil_held_known_answers(fn, args, low, high, verdict):
    result = probe(fn, args, **FAST)
    assert low <= result.gil_held <= high, result
    assert result.verdict == verdict
    assert result.call_time > 0
    assert set(result.speedups) == {1, 2}
    assert result.speedups[1] == 1.0


@needs_gil
def test_verdict_follows_thresholds():
    assert probe(python_loop, **FAST).verdict == "holds"
    result = probe(time.sleep, (0.005,), **FAST)
    assert result.verdict == "releases"
    assert "releases the GIL" in result.recommendation


def test_unpicklable_function_reports_why():
    result = probe(lambda: sum(range(100)), **FAST)
    assert result.pickle_time is None and result.pickle_bytes is None
    assert "lambda" in result.pickle_error
    assert result.call_time > 0


def test_picklable_call_has_pickle_cost():
    result = probe(sorted, ([3, 1, 2],), {"reverse": True}, **FAST)
    assert result.pickle_error is None
    assert result.pickle_time > 0 and result.pickle_bytes > 0


@pytest.mark.parametrize("kwargs, error, name", [
    ({"fn": 42}, TypeError, "fn"),
    ({"args": 3}, TypeError, "args"),
    ({"kwargs": [1]}, TypeError, "kwargs"),
    ({"threads": [1, 0]}, ValueError, "threads"),
    ({"threads": [1, 2.5]}, TypeError, "threads"),
    ({"threads": 2}, TypeError, "threads"),
    ({"threads": []}, ValueError, "threads"),
    ({"min_time": 0}, ValueError, "min_time"),
    ({"min_time": float("nan")}, ValueError, "min_time"),
    ({"min_time": "1"}, TypeError, "min_time"),
    ({"timeout": -1.0}, ValueError, "timeout"),
    ({"timeout": float("inf")}, ValueError, "timeout"),
])
def test_bad_arguments_rejected_before_any_call(kwargs, error, name):
    calls = []
    arguments = {"fn": calls.append, "args": (1,)} | kwargs
    with pytest.raises(error, match=name):
        probe(**arguments)
    assert calls == []


def test_raising_function_names_the_phase():
    def fails():
        raise ZeroDivisionError("boom")

    with pytest.raises(ZeroDivisionError, match="boom") as info:
        probe(fails, **FAST)
    notes = getattr(info.value, "__notes__", None) or info.value.args
    assert any("timing phase" in str(note) for note in notes)


def test_function_failing_in_threads_names_scaling_phase():
    active = []

    def fails_when_concurrent():
        active.append(None)
        try:
            time.sleep(0.002)  # long enough for two threads' calls to overlap
            if len(active) > 1:
                raise RuntimeError("not thread-safe")
        finally:
            active.pop()

    with pytest.raises(RuntimeError, match="thread-safe") as info:
        probe(fails_when_concurrent, **FAST)
    notes = getattr(info.value, "__notes__", None) or info.value.args
    assert any("scaling phase" in str(note) for note in notes)


def test_timeout_raises_and_leaves_no_thread():
    before = set(threading.enumerate())
    release = threading.Event()
    with pytest.raises(TimeoutError, match="timeout"):
        probe(release.wait, **FAST, timeout=0.3)
    release.set()
    for thread in set(threading.enumerate()) - before:
        thread.join(5)
    assert set(threading.enumerate()) <= before


def test_to_dict_is_json_ready_and_str_shows_verdict():
    result = probe(time.sleep, (0.002,), **FAST)
    assert isinstance(result, ProbeResult)
    data = result.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert set(data["speedups"]) == {"1", "2"}
    assert data["verdict"] == result.verdict
    assert isinstance(data["blas_pinned"], bool)
    text = str(result)
    assert result.verdict in text
    assert result.recommendation in text
    assert result.recommendation.split(":")[0] in {"Use threads", "Use processes",
                                                   "Stay serial",
                                                   "Stay serial, or batch calls for processes"}


def test_switch_interval_restored():
    import sys

    old = sys.getswitchinterval()
    probe(python_loop, **FAST)
    assert sys.getswitchinterval() == old


def test_the_command_line(tmp_path):
    import json as json_module
    import subprocess
    import sys

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "nogilkit", "probe", *args],
                              capture_output=True, text=True, timeout=300)

    path = tmp_path / "probe.json"
    done = cli("-s", "import time", "time.sleep(0.002)", "--threads", "1,2", "--min-time", "0.02",
               "--json", str(path))
    assert done.returncode == 0, done.stderr
    verdict = "releases" if gil_enabled() else "no-gil"
    assert "verdict" in done.stdout and verdict in done.stdout
    assert json_module.loads(path.read_text())["verdict"] == verdict
    assert cli("1 +").returncode == 2 and "does not compile" in cli("1 +").stderr
    bad_setup = cli("-s", "raise RuntimeError('no')", "1")
    assert bad_setup.returncode == 2 and "the setup raised RuntimeError: no" in bad_setup.stderr
    assert cli("1", "--threads", "0").returncode == 2


def test_a_statement_pickles_with_its_data_and_modules():
    import pickle

    import numpy as np

    from nogilkit._probe import Statement

    namespace = {}
    exec("import numpy as np\na = np.arange(6.0)", namespace)
    statement = Statement("np.sum(a * 2)", namespace)
    again = pickle.loads(pickle.dumps(statement))
    assert again() == statement() == 30.0
    assert again.namespace["np"] is np
    assert Statement("x = 1", {})() is None  # a statement, not an expression


def test_without_a_gil_the_fraction_is_none(monkeypatch):
    # On a free-threaded build running without the GIL this is the real path;
    # elsewhere the interpreter is made to say so.
    import nogilkit._probe

    if gil_enabled():
        monkeypatch.setattr(nogilkit._probe, "gil_enabled", lambda: False)
    result = probe(python_loop, **FAST)
    assert result.gil_held is None and result.verdict == "no-gil"
    assert "this interpreter runs without a GIL" in result.recommendation
    assert set(result.speedups) == {1, 2}
    assert "n/a (no GIL)" in str(result)
    assert json.loads(json.dumps(result.to_dict()))["gil_held"] is None
