"""The dask strategies: local clusters, a cluster started with Dask's own
command-line tools, the unavailable path and the faults."""

import json
import multiprocessing
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time

import pytest

import nogilkit
from nogilkit.engine.harness import run_combination
from nogilkit.strategies.base import WorkerLost
from nogilkit.net.server import free_port
from nogilkit.strategies import Options, get_strategy
from nogilkit.strategies import cluster
from nogilkit.workloads import get_workload

from .leaks import threads

pytest.importorskip("distributed", reason="needs nogilkit[dask]")

# Windows has no SIGKILL; there os.kill with any other signal ends the process
# at once (TerminateProcess).
KILL = getattr(signal, "SIGKILL", signal.SIGTERM)


@pytest.fixture
def no_leaks():
    before = threads()
    yield
    deadline = time.monotonic() + 10
    while (multiprocessing.active_children() or threads() - before) \
            and time.monotonic() < deadline:
        time.sleep(0.1)
    assert multiprocessing.active_children() == []
    assert threads() - before == set()


def test_both_shapes_run_python_and_cython_correctly(no_leaks):
    report = nogilkit.compare(["mandelbrot"], ["python", "cython"], ["dask", "dask-threads"], [2],
                              size="tiny", repeats=1)
    assert [(r.implementation, r.strategy, r.status) for r in report.rows] == [
        ("python", "dask", "ok"), ("python", "dask-threads", "ok"),
        ("cython", "dask", "ok"), ("cython", "dask-threads", "ok")]
    assert all(r.startup_seconds > 0 for r in report.rows)


def test_the_shapes():
    assert get_strategy("dask").shape(4) == (4, 1)
    assert get_strategy("dask-threads").shape(4) == (1, 4)


def test_rounds_scatter_their_arrays_and_release_them(no_leaks):
    # spectral_norm sends a new vector every round; nbody new positions every step.
    report = nogilkit.compare(["spectral_norm", "nbody"], ["cython"], ["dask"], [2], size="tiny",
                              repeats=1)
    assert [r.status for r in report.rows] == ["ok", "ok"], [r.reason for r in report.rows]


def test_an_abandoned_gathers_allexit_is_dropped_from_the_session_start(no_leaks, capsys):
    # After Ctrl-C, map_tasks releases the futures of the gather it left, which
    # ends that gather with AllExit on the client's loop; when its Task is
    # collected, asyncio reports it unless the loop's handler drops it. The
    # handler must be there before the first gather, not only at close.
    from distributed.client import AllExit

    with get_strategy("dask").start(1, Options()) as session:
        loop = session.client.loop.asyncio_loop
        deadline = time.monotonic() + 10
        while loop.get_exception_handler() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        handler = loop.get_exception_handler()
        assert handler is not None
        handler(loop, {"message": "Task exception was never retrieved", "exception": AllExit()})
        assert "AllExit" not in capsys.readouterr().err
        forwarded = []
        loop.default_exception_handler = lambda context: forwarded.append(context)
        try:
            handler(loop, {"message": "other", "exception": ValueError("kept")})
        finally:
            del loop.default_exception_handler
        assert [c["message"] for c in forwarded] == ["other"]


def test_without_dask_the_strategies_say_what_to_install(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "distributed" else real(name, *a))
    for name in ("dask", "dask-threads"):
        reason = get_strategy(name).unavailable(get_workload("mandelbrot"), "python", Options())
        assert "pip install 'nogilkit[dask]'" in reason


def test_an_unreachable_scheduler_is_a_clear_error_in_bounded_time(monkeypatch, no_leaks):
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 2.0)
    address = f"tcp://127.0.0.1:{free_port()}"
    workload = get_workload("mandelbrot")
    problem = workload.prepare("tiny")
    start = time.monotonic()
    with pytest.raises(ConnectionError, match=f"no Dask scheduler at {address} within 2 s"):
        run_combination(workload, problem, "python", get_strategy("dask"), 2,
                        Options(scheduler=address), repeats=1)
    assert time.monotonic() - start < 30


def test_a_bad_scheduler_address_is_refused():
    with pytest.raises(ValueError, match="scheduler must be an address"):
        Options(scheduler="127.0.0.1:8786")


def test_a_worker_killed_mid_run_is_retried_or_reported(no_leaks):
    workload = get_workload("mandelbrot")
    problem = workload.prepare("small")  # about a second of pure Python on two workers
    session = get_strategy("dask").start(2, Options())
    try:
        pids = list(session.client.run(os.getpid).values())
        killer = threading.Timer(0.3, os.kill, (pids[0], KILL))
        killer.start()
        try:
            result, _ = session.run(workload, problem, "python")
        except WorkerLost as exc:  # Dask gave up on the chunk: a clear error, not a hang
            assert "KilledWorker" in type(exc.__cause__).__name__, exc
        else:
            workload.check(problem, result)  # Dask re-ran the lost chunks
        killer.join()
    finally:
        session.close()


def dask_command(*args, **kwargs):
    script = pathlib.Path(sys.executable).parent / "dask"
    if not script.exists():
        pytest.skip("the dask command is not installed beside this interpreter")
    return subprocess.Popen([str(script), *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, **kwargs)


@pytest.mark.posix("stops the dask command line with SIGINT, as Ctrl-C does")
def test_a_cluster_started_with_the_dask_command_line(tmp_path, no_leaks):
    """The README recipe on loopback: dask scheduler, two dask workers, then
    nogilkit compare --scheduler; everything is shut down afterwards."""
    scheduler_file = tmp_path / "scheduler.json"
    processes = [dask_command("scheduler", "--host", "127.0.0.1", "--port", "0",
                              "--no-dashboard", "--scheduler-file", str(scheduler_file))]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(scheduler_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        for _ in range(2):
            processes.append(dask_command("worker", address, "--nworkers", "1", "--nthreads", "1",
                                          "--host", "127.0.0.1", "--no-dashboard"))
        out = tmp_path / "report.json"
        done = subprocess.run(
            [sys.executable, "-m", "nogilkit", "compare", "--workloads", "mandelbrot",
             "--implementations", "python,cython", "--strategies", "serial,dask", "--workers", "2",
             "--size", "tiny", "--repeats", "1", "--scheduler", address, "--no-plot", "--quiet",
             "--json", str(out)], capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stderr
        rows = json.loads(out.read_text())["rows"]
        assert {(r["implementation"], r["strategy"]): r["status"] for r in rows} == {
            ("python", "serial"): "ok", ("python", "dask"): "ok",
            ("cython", "serial"): "ok", ("cython", "dask"): "ok"}
    finally:
        for process in reversed(processes):
            process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    assert all(p.returncode is not None for p in processes)
