"""The joblib strategies: results checked like every strategy's, the work where
each backend puts it (other processes, threads that release the GIL or not),
failed chunks and killed workers as failed rows, nothing left running, and
the path without joblib."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest

import nogilkit
from nogilkit._runtime import gil_enabled
from nogilkit.strategies import STRATEGIES, Options, get_strategy
from nogilkit.workloads import get_workload

from . import userfuncs
from .gil import releases_gil
from .leaks import gone

pytest.importorskip("joblib", reason="needs nogilkit[joblib]")

JOBLIB = ["joblib-threading", "joblib-loky"]
QUICK = {"size": "tiny", "repeats": 1}
HERE = os.path.dirname(os.path.abspath(__file__))
WITHOUT_JOBLIB = "joblib is not installed (pip install 'nogilkit[joblib]')"


def test_both_backends_compute_every_workload_correctly(no_leaks):
    # The harness checks every run, warm-up included: a wrong result would be a failed row.
    workloads = ["mandelbrot", "spectral_norm", "nbody"]
    report = nogilkit.compare(workloads, ["python", "cython"], ["serial", *JOBLIB], [1, 2],
                              **QUICK)
    assert all(r.ok for r in report.rows), [r.reason for r in report.rows]
    joblib_rows = [r for r in report.rows if r.strategy != "serial"]
    assert sorted((r.workload, r.implementation, r.strategy, r.workers) for r in joblib_rows) == \
        sorted((w, i, s, n) for w in workloads for i in ("python", "cython") for s in JOBLIB
               for n in (1, 2))
    assert all(r.startup_seconds > 0 and r.cpu_seconds > 0 for r in joblib_rows)
    # The reading names them beside the other strategies.
    assert "joblib threading: python " in report.reading("mandelbrot")
    assert " to start): python " in report.reading("mandelbrot").split("joblib loky (")[1]


def test_a_wrong_result_is_a_failed_check_not_a_time(monkeypatch, no_leaks):
    # In-process backend: the workers see the patched class.
    from nogilkit.kernels._mandelbrot import MandelbrotWorkload

    real = MandelbrotWorkload.run_chunk

    def off_by_one(self, params, arrays, spec, implementation):
        return real(self, params, arrays, spec, implementation) + 1

    monkeypatch.setattr(MandelbrotWorkload, "run_chunk", off_by_one)
    row, = nogilkit.compare(["mandelbrot"], ["numpy"], ["joblib-threading"], [2], **QUICK).rows
    assert row.status == "failed" and row.reason.startswith("wrong result")
    assert row.times == []


def chunk_pids(strategy, workers, size="tiny"):
    """(pids the chunks ran in, CPU seconds of the chunks, this process's CPU seconds, session)
    of one pure-Python Mandelbrot."""
    workload = get_workload("mandelbrot")
    problem = workload.prepare(size)
    with get_strategy(strategy).start(workers, Options()) as session:
        cpu = time.process_time()
        result, outcomes = session.run(workload, problem, "python")
        cpu = time.process_time() - cpu
        workload.check(problem, result)
    return {o.pid for o in outcomes}, sum(o.cpu_seconds for o in outcomes), cpu, session


def test_loky_runs_the_chunks_in_worker_processes(no_leaks):
    pids, chunk_cpu, own_cpu, session = chunk_pids("joblib-loky", 2, "small")
    assert os.getpid() not in pids and 1 <= len(pids) <= 2
    assert session.remote  # the harness adds the workers' CPU time and memory
    # The computing was done there, not here (CPU time, whatever the load):
    # here, only joblib's dispatch and pickling.
    assert own_cpu < 0.5 * chunk_cpu


@pytest.mark.parametrize("strategy", JOBLIB)
def test_one_worker_is_joblibs_sequential_backend_in_this_process(strategy, no_leaks):
    pids, _, _, session = chunk_pids(strategy, 1)
    assert pids == {os.getpid()} and not session.remote


def test_threading_runs_in_this_process():
    pids, _, _, session = chunk_pids("joblib-threading", 2)
    assert pids == {os.getpid()} and not session.remote


def test_threading_is_threads_under_the_gil():
    """joblib's threads, like the threads strategy's: nogil kernels release the
    GIL, pure Python holds it (the GIL-release signal, not a wall-clock speedup)."""
    workload = get_workload("mandelbrot")
    problem = workload.prepare("small")
    with get_strategy("joblib-threading").start(2, Options()) as session:
        assert releases_gil(lambda: session.run(workload, problem, "cython"))
        if gil_enabled():
            assert not releases_gil(lambda: session.run(workload, problem, "python"))


def test_the_reading_explains_them_as_threads_and_processes():
    threading_, loky = get_strategy("joblib-threading"), get_strategy("joblib-loky")
    assert (threading_.family, loky.family) == ("threads", "processes")
    assert loky.starts_workers and not threading_.starts_workers
    assert threading_.note("python", 1.0, True) == STRATEGIES["threads"].note("python", 1.0, True)
    assert threading_.note("cython", 1.9, True) == " (the kernel releases the GIL)"


# -- failures: the same failed rows as the other strategies -------------------------------


def test_an_exception_in_a_chunk_fails_the_row_as_under_processes(no_leaks):
    report = nogilkit.compare(userfuncs.fails_in_a_worker, range(6),
                              strategies=["processes", "joblib-loky"], workers=[2], repeats=1)
    rows = {r.strategy: r for r in report.rows}
    assert rows["serial"].ok
    assert rows["joblib-loky"].status == rows["processes"].status == "failed"
    assert rows["joblib-loky"].reason == rows["processes"].reason
    assert rows["joblib-loky"].reason.startswith("results differ in worker processes")
    assert "item 0 raised ValueError: not in a worker process (item 0)" in rows["joblib-loky"].reason


def test_an_exception_in_a_thread_fails_the_row_as_under_threads(no_leaks):
    report = nogilkit.compare(userfuncs.main_thread_only, range(4),
                              strategies=["threads", "joblib-threading"], workers=[2], repeats=1)
    rows = {r.strategy: r for r in report.rows}
    assert rows["joblib-threading"].status == rows["threads"].status == "failed"
    assert rows["joblib-threading"].reason == rows["threads"].reason
    assert rows["joblib-threading"].reason.startswith("not thread-safe")


def test_a_worker_that_dies_fails_its_row_only(no_leaks):
    report = nogilkit.compare(userfuncs.dies_in_a_worker, range(4),
                              strategies=["joblib-threading", "joblib-loky"], workers=[2],
                              repeats=1)
    rows = {r.strategy: r for r in report.rows}
    assert rows["serial"].ok and rows["joblib-threading"].ok
    assert rows["joblib-loky"].status == "failed"
    assert rows["joblib-loky"].reason.startswith(
        "the run failed: a worker process died while running chunks")


@pytest.mark.parametrize("strategy", JOBLIB)
def test_ctrl_c_mid_run_stops_every_worker(strategy, no_leaks):
    workload = get_workload("mandelbrot")
    problem = workload.prepare("medium")  # seconds of pure Python: Ctrl-C comes mid-run
    timer = threading.Timer(0.5, signal.raise_signal, (signal.SIGINT,))
    session = get_strategy(strategy).start(2, Options())
    with pytest.raises(KeyboardInterrupt):
        with session:
            timer.start()
            session.run(workload, problem, "python")
    timer.join()
    cpu = time.process_time()
    time.sleep(0.3)
    assert time.process_time() - cpu < 0.1  # no chunk left computing here


# -- without joblib ------------------------------------------------------------------------


def test_without_joblib_the_strategies_say_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "joblib", None)  # import joblib fails, find_spec finds none
    for name in JOBLIB:
        reason = get_strategy(name).unavailable(get_workload("mandelbrot"), "python", Options())
        assert reason == WITHOUT_JOBLIB
    row, = nogilkit.compare(["mandelbrot"], ["python"], ["joblib-loky"], [2], **QUICK).rows
    assert (row.status, row.reason) == ("unavailable", WITHOUT_JOBLIB)


def cli_without_joblib(*args):
    code = ("import sys; sys.modules['joblib'] = None; from nogilkit import cli; "
            f"sys.exit(cli.main({list(args)!r}))")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, cwd=os.path.dirname(HERE))


def test_list_without_joblib_names_the_extra():
    done = cli_without_joblib("compare", "--list")
    assert done.returncode == 0, done.stderr
    for name in JOBLIB:
        line, = [s for s in done.stdout.splitlines() if s.startswith(f"  {name} ")]
        assert line.endswith(f"[unavailable: {WITHOUT_JOBLIB}]"), line


def test_asking_only_for_joblib_without_it_exits_2_and_says_why():
    done = cli_without_joblib("compare", "--workloads", "mandelbrot", "--implementations",
                              "python", "--strategies", ",".join(JOBLIB), "--workers", "2",
                              "--size", "tiny", "--repeat", "1", "--quiet", "--no-plot")
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert ("nothing can run here: python+joblib-threading, python+joblib-loky: "
            f"{WITHOUT_JOBLIB}") in done.stderr
    assert "Traceback" not in done.stderr


# -- the command line -----------------------------------------------------------------------


@pytest.mark.linux("reads /proc")
def test_the_command_line_runs_both_and_leaves_no_process(tmp_path):
    tag = uuid.uuid4().hex
    done = subprocess.run(
        [sys.executable, "-m", "nogilkit", "compare", "--workloads", "mandelbrot",
         "--implementations", "python,cython", "--strategies", ",".join(JOBLIB),
         "--workers", "1,2", "--size", "tiny", "--repeat", "1", "--quiet", "--no-plot",
         "--json", str(tmp_path / "out.json")],
        capture_output=True, text=True, timeout=300, cwd=os.path.dirname(HERE),
        env=dict(os.environ, NOGILKIT_TEST_TAG=tag))
    assert done.returncode == 0, done.stderr
    rows = json.loads((tmp_path / "out.json").read_text())["rows"]
    assert {(r["implementation"], r["strategy"], r["workers"], r["status"]) for r in rows} == {
        (i, s, w, "ok") for i in ("python", "cython") for s in JOBLIB for w in (1, 2)}
    assert gone(tag), "a worker process outlived the comparison"
