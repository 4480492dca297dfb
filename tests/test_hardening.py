"""Never crash after the work, never hang, never orphan, never lose a report.

One test per defect an adversarial run found (each failed before the fix),
and the signal matrix: Ctrl-C, SIGTERM and a killed worker, under each way
of running, leave no process, no shared memory and no partial file behind.
"""

import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid

import numpy as np
import pytest

import nogilkit
from nogilkit import reference
from nogilkit._ext._jobs import interrupt_all
from nogilkit._text import check_output, write_atomically
from nogilkit.engine.compare import compare
from nogilkit.kernels._pool import MAX_THREADS, shared_pool
from nogilkit.strategies import Options

from . import userfuncs
from .leaks import alive, descendants, gone, tagged, wait_for

ROOT = pathlib.Path(__file__).resolve().parents[1]
reads_proc = pytest.mark.linux("finds the run's processes in /proc")
forks_and_kills = pytest.mark.posix("forks its workers and kills one with SIGKILL")


# -- helpers ---------------------------------------------------------------------------


def shm_entries():
    return set(os.listdir("/dev/shm")) if os.path.isdir("/dev/shm") else set()


def shm_in_use():
    """The /dev/shm paths some live process maps or holds open."""
    used = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/maps") as f:
                used.update(line.split(None, 5)[5].strip() for line in f
                            if "/dev/shm/" in line and len(line.split(None, 5)) == 6)
            for fd in os.listdir(f"/proc/{pid}/fd"):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("/dev/shm/"):
                    used.add(target)
        except OSError:  # the process ended meanwhile, or is not ours to read
            continue
    return used


def leaked_shm(before):
    """/dev/shm entries made since ``before`` that no live process uses: left
    behind. (Other jobs on a shared machine make, and use, entries of their
    own meanwhile: those are in use, or gone within the grace period.)"""
    def leaked():
        used = shm_in_use()
        return {entry for entry in shm_entries() - before
                if not any(path == f"/dev/shm/{entry}" or path.startswith(f"/dev/shm/{entry}/")
                           for path in used)}

    wait_for(lambda: not leaked(), 5)
    return leaked()


def start(args, tag, cwd, **kwargs):
    env = dict(os.environ, NOGILKIT_TEST_TAG=tag, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "nogilkit", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


# -- 1. a comparison without serial ------------------------------------------------------


def test_a_comparison_without_serial_prints_and_saves_its_report(tmp_path):
    report = compare(["mandelbrot"], ["cython"], ["threads"], workers=[2], size="tiny",
                     repeats=1)
    assert "cython" in str(report)
    data = json.loads(report.to_json(tmp_path / "r.json"))
    assert data["rows"][0]["vs_serial"] is None
    done = subprocess.run([sys.executable, "-m", "nogilkit", "compare", "--strategies", "threads",
                           "--workers", "2", "--size", "tiny", "--implementations", "cython",
                           "--no-plot", "--quiet", "--json", "out.json"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "out.json").read_text())["rows"][0]["status"] == "ok"


# -- 2. threads= bounded ---------------------------------------------------------------


def kernel_calls(threads):
    """Every public kernel on a tiny input."""
    a = np.zeros(10)
    return [
        lambda: nogilkit.mandelbrot(4, 4, 10, threads=threads),
        lambda: nogilkit.spectral_norm(5, 1, threads=threads),
        lambda: nogilkit.total(np.ones(10), threads=threads),
        lambda: nogilkit.triad(a, np.ones(10), np.ones(10), 2.0, threads=threads),
        lambda: nogilkit.nbody_direct(np.eye(3), np.zeros((3, 3)), np.ones(3), 1, dt=0.01,
                                      softening=0.1, threads=threads),
        lambda: nogilkit.histogram(np.ones(10), 4, (0.0, 2.0), threads=threads),
        lambda: nogilkit.kmeans(np.eye(4), 2, threads=threads),
    ]


@pytest.mark.parametrize("index", range(7))
@pytest.mark.parametrize("threads", [10**6, 2**63])
def test_absurd_thread_counts_are_refused(index, threads):
    with pytest.raises(ValueError, match=f"threads must be <= {MAX_THREADS}"):
        kernel_calls(threads)[index]()


@pytest.mark.parametrize("index", range(7))
def test_more_threads_than_work_start_no_more_threads_than_chunks(index):
    shared_pool().submit(int).result()  # the pool exists
    before = len(shared_pool()._threads)
    expected = kernel_calls(1)[index]()
    got = kernel_calls(MAX_THREADS)[index]()
    for e, g in zip(expected if isinstance(expected, tuple) else [expected],
                    got if isinstance(got, tuple) else [got]):
        np.testing.assert_array_equal(e, g)
    assert len(shared_pool()._threads) <= before + 16  # tiny inputs: a few chunks at most


# -- 3. a worker that dies fails its row, under every pool ---------------------------------


@forks_and_kills
@pytest.mark.parametrize("pool", ["executor", "pool", "pool-unordered"])
def test_a_killed_worker_fails_its_row_and_the_comparison_goes_on(pool, monkeypatch):
    from nogilkit.kernels._mandelbrot import MandelbrotWorkload

    real = MandelbrotWorkload.run_chunk

    def dies_in_workers(self, params, arrays, spec, implementation):
        import multiprocessing

        if multiprocessing.parent_process() is not None:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(self, params, arrays, spec, implementation)

    # Forked workers inherit the patched class.
    monkeypatch.setattr(MandelbrotWorkload, "run_chunk", dies_in_workers)
    start_time = time.monotonic()
    report = compare(["mandelbrot"], ["python"], ["serial", "processes", "threads"],
                     workers=[2], size="tiny", repeats=1,
                     options=Options(start_method="fork", pool=pool))
    assert time.monotonic() - start_time < 60  # bounded, where Pool waited for ever
    rows = {r.strategy: r for r in report.rows}
    assert rows["serial"].ok and rows["threads"].ok
    assert rows["processes"].status == "failed"
    assert "died" in rows["processes"].reason
    assert "wrong result" not in str(report).split("not measured:")[0]


def dies_at_start(delay):
    """Stands in for the pool's start-up probe: the worker is killed as it starts."""
    os.kill(os.getpid(), signal.SIGKILL)


@forks_and_kills
@pytest.mark.parametrize("pool", ["executor", "pool", "pool-unordered"])
def test_a_worker_killed_while_the_pool_starts_fails_its_row(pool, monkeypatch):
    # Was: two tracebacks and "the main module must be importable", no table.
    from nogilkit.strategies import processes

    monkeypatch.setattr(processes, "_worker_ready", dies_at_start)
    report = compare(["mandelbrot"], ["python"], ["serial", "processes"], workers=[2],
                     size="tiny", repeats=1, options=Options(start_method="fork", pool=pool))
    rows = {r.strategy: r for r in report.rows}
    assert rows["serial"].ok
    assert rows["processes"].status == "failed"
    assert "killed by signal 9" in rows["processes"].reason or "died" in rows["processes"].reason
    assert "importable" not in rows["processes"].reason


# -- 4 and the signal matrix: SIGINT, SIGTERM, a killed worker ---------------------------

RUNS = {
    "threads": ["--strategies", "serial,threads"],
    "executor": ["--strategies", "serial,processes"],
    "pool": ["--strategies", "serial,processes", "--pool", "pool"],
    "pool-unordered": ["--strategies", "serial,processes", "--pool", "pool-unordered"],
    "shm": ["--strategies", "serial,processes", "--transfer", "shm"],
    "dask": ["--strategies", "serial,dask"],
    "joblib-threading": ["--strategies", "serial,joblib-threading"],
    "joblib-loky": ["--strategies", "serial,joblib-loky"],
}


# The child processes of a run once its workers are up: a resource tracker,
# a fork server and two workers; Dask: the tracker and two worker processes;
# loky: its own resource tracker, multiprocessing's and two workers.
CHILDREN = {"threads": 0, "executor": 4, "pool": 4, "pool-unordered": 4, "shm": 4, "dask": 3,
            "joblib-threading": 0, "joblib-loky": 4}


# The optional package a run needs.
NEEDS = {"dask": "distributed", "joblib-threading": "joblib", "joblib-loky": "joblib"}


def needs(run):
    if run in NEEDS:
        pytest.importorskip(NEEDS[run])


def compare_args(run):
    return ["compare", "--implementations", "python", "--workers", "2", "--size", "small",
            "--repeats", "20", "--no-plot", "--quiet", "--json", "out.json", *RUNS[run]]


@reads_proc
@pytest.mark.slow
@pytest.mark.parametrize("run", list(RUNS))
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_the_run_and_leaves_nothing_behind(run, signum, tmp_path):
    needs(run)
    tag, shm_before = uuid.uuid4().hex, shm_entries()
    process = start(compare_args(run), tag, tmp_path)
    try:
        # Workers up (threads: the run is under way), then the signal.
        assert wait_for(lambda: len(descendants(process.pid)) >= CHILDREN[run])
        time.sleep(1.0)
        started = descendants(process.pid)
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 128 + signum, stderr
    assert "cleaned up" in stderr and "Traceback" not in stderr
    assert gone(tag), f"left running: {tagged(tag)}"
    assert wait_for(lambda: not alive(started), 15), f"left running: {alive(started)}"
    assert not leaked_shm(shm_before)
    assert [p.name for p in tmp_path.iterdir()] == []  # no report, no partial file


@reads_proc
@pytest.mark.slow
@pytest.mark.parametrize("run", [r for r in RUNS if CHILDREN[r]])
def test_a_killed_worker_fails_its_row_only(run, tmp_path):
    needs(run)
    tag, shm_before = uuid.uuid4().hex, shm_entries()
    args = compare_args(run)
    args[args.index("--repeats") + 1] = "3"
    process = start(args, tag, tmp_path)
    try:
        assert wait_for(lambda: len(descendants(process.pid)) >= CHILDREN[run])
        time.sleep(1.0)
        started = descendants(process.pid)
        worker = max(started)  # the last started: a worker
        os.kill(worker, signal.SIGKILL)
        stdout, stderr = process.communicate(timeout=180)
    finally:
        process.kill()
        process.wait()
    assert process.returncode in (0, 1), stderr  # 1: a row failed
    assert (tmp_path / "out.json").exists(), (process.returncode, stdout, stderr)
    assert "Traceback" not in stderr, stderr
    report = json.loads((tmp_path / "out.json").read_text())
    assert report["rows"][0]["status"] == "ok"  # serial
    assert gone(tag), f"left running: {tagged(tag)}"
    assert wait_for(lambda: not alive(started), 15), f"left running: {alive(started)}"
    assert not leaked_shm(shm_before)
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


# -- 5. interrupts reach a long kernel call at once --------------------------------------

LONG_CALLS = {
    "mandelbrot": "nogilkit.mandelbrot(2000, 2000, 2**31 - 1, region=(-0.1, 0.1, -0.1, 0.1))",
    "one-pixel": "nogilkit.mandelbrot(1, 1, 2**31 - 1, region=(-0.1, 0.1, -0.1, 0.1), threads=1)",
    "nbody": "nogilkit.nbody(10**12)",
    "spectral_norm": "nogilkit.spectral_norm(200_000, threads=2)",
    "nbody_direct": ("import numpy as np; r = np.random.default_rng(0).normal(size=(30_000, 3)); "
                     "nogilkit.nbody_direct(r, r, np.ones(30_000), 10**6, dt=1e-3, softening=0.1)"),
    "kmeans": ("import numpy as np; nogilkit.kmeans(np.random.default_rng(0).normal(size="
               "(300_000, 32)), 512, max_iter=10**6)"),
}


@pytest.mark.posix("sends SIGINT to a child process")
@pytest.mark.parametrize("name", list(LONG_CALLS))
def test_ctrl_c_stops_a_long_kernel_call(name):
    code = f"import nogilkit; print('ready', flush=True); {LONG_CALLS[name]}"
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline() == "ready\n"
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)  # hours without the fix
    finally:
        process.kill()
        process.wait()
    assert "KeyboardInterrupt" in stderr


def test_after_ctrl_c_no_pool_thread_is_busy():
    timer = threading.Timer(0.3, signal.raise_signal, (signal.SIGINT,))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        nogilkit.mandelbrot(1000, 1000, 2**31 - 1, region=(-0.1, 0.1, -0.1, 0.1), threads=4)
    timer.join()
    cpu = time.process_time()
    time.sleep(0.3)
    assert time.process_time() - cpu < 0.1  # nothing left computing, whatever the load
    np.testing.assert_array_equal(nogilkit.mandelbrot(8, 8, 20, threads=4),
                                  reference.mandelbrot(8, 8, 20))


def test_interrupt_all_stops_kernels_in_other_threads():
    results = []

    def call():
        try:
            nogilkit.mandelbrot(200, 200, 2**31 - 1, region=(-0.1, 0.1, -0.1, 0.1), threads=2)
        except KeyboardInterrupt as exc:
            results.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    time.sleep(0.3)
    interrupt_all()
    thread.join(10)
    assert not thread.is_alive() and isinstance(results[0], KeyboardInterrupt)
    assert nogilkit.mandelbrot(4, 4, 10).shape == (4, 4)  # later calls run as usual


@reads_proc
@pytest.mark.parametrize("function", ["spins_in_other_threads", "sleeps_in_other_threads"])
def test_one_ctrl_c_stops_a_function_that_hangs_in_threads(function, tmp_path):
    tag = uuid.uuid4().hex
    process = start(["compare", f"tests.userfuncs:{function}", "--items", "range(4)",
                     "--strategies", "threads", "--workers", "2", "--no-plot", "--quiet"],
                    tag, tmp_path)
    try:
        time.sleep(3)  # the serial loop, then the threads hang
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 130, stderr
    assert gone(tag)


# -- 7. reports written whole or not at all, output paths checked first ------------------


def test_a_failed_write_leaves_the_old_report(tmp_path):
    path = tmp_path / "report.json"
    path.write_text('{"old": true}')

    def half_then_full_disk(f):
        f.write(b'{"new": ')
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        write_atomically(path, half_then_full_disk)
    assert json.loads(path.read_text()) == {"old": True}
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


@pytest.mark.posix("makes a FIFO")
def test_devices_pipes_and_folders_are_refused_before_the_run(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path, message in ((fifo, "not a regular file"), (tmp_path, "is a folder"),
                          (tmp_path / "no" / "x.json", "does not exist")):
        with pytest.raises(ValueError, match=message):
            check_output("--json", path)
    if os.path.exists("/dev/full"):
        with pytest.raises(ValueError, match="not a regular file"):
            check_output("--json", "/dev/full")


def run_cli(*args, cwd, timeout=120, **kwargs):
    env = dict(os.environ, PYTHONPATH=str(ROOT), **kwargs.pop("env", {}))
    return subprocess.run([sys.executable, "-m", "nogilkit", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout, **kwargs)


@pytest.mark.parametrize("args, message", [
    pytest.param(["--json", "/dev/full"], "not a regular file",
                 marks=pytest.mark.linux("writes to /dev/full")),
    pytest.param(["--json", "fifo"], "not a regular file", marks=pytest.mark.posix("makes a FIFO")),
    (["--plot", "x.unknownext"], "cannot write .unknownext files"),
])
def test_bad_output_paths_are_usage_errors_before_any_work(args, message, tmp_path):
    pytest.importorskip("matplotlib")
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "fifo")
    done = run_cli("compare", "--size", "tiny", "--quiet", *args, cwd=tmp_path, timeout=30)
    assert done.returncode == 2 and message in done.stderr
    assert "==" not in done.stdout


def test_a_plot_path_without_an_extension_gets_png_and_says_so(tmp_path):
    pytest.importorskip("matplotlib")
    (tmp_path / "out").mkdir()
    done = run_cli("compare", "--size", "tiny", "--workloads", "total", "--implementations",
                   "numpy", "--strategies", "serial", "--repeats", "1", "--quiet", "--plot",
                   "out/myplot", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "wrote out/myplot.png" in done.stdout
    assert (tmp_path / "out" / "myplot.png").read_bytes()[:4] == b"\x89PNG"


# -- 8. usage errors, not tracebacks -----------------------------------------------------


@pytest.mark.parametrize("args, message", [
    (["serve", "--port", "-1"], "expected a port number from 0 to 65535"),
    (["serve", "--port", "70000"], "expected a port number from 0 to 65535"),
    (["compare", "tests.userfuncs:square_sum", "--items", "42"], "gave 'int'"),
    (["compare", "tests.userfuncs:square_sum", "--items", "'abc'"], "gave 'str'"),
    (["compare", "broken:work", "--items", "range(2)"], "importing 'broken' raised ZeroDivision"),
    (["compare", "exits_on_import:work", "--items", "range(2)"], "raised SystemExit"),
    (["probe", "x = 1", "--timeout", "1e308"], "timeout must be <= 86400"),
])
def test_bad_input_is_a_usage_error(args, message, tmp_path):
    (tmp_path / "broken.py").write_text("1 / 0\n")
    (tmp_path / "exits_on_import.py").write_text("import sys\nsys.exit(3)\n")
    done = run_cli(*args, "--quiet" if args[0] != "serve" else "--host=127.0.0.1",
                   cwd=tmp_path, timeout=60)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr


def test_a_function_calling_sys_exit_is_an_error_not_an_exit(tmp_path):
    done = run_cli("compare", "tests.userfuncs:exits", "--items", "range(2)", "--quiet",
                   "--no-plot", cwd=tmp_path)
    assert done.returncode == 1
    assert "tests.userfuncs.exits called sys.exit(5) on item 0" in done.stderr


def test_files_in_the_current_folder_never_stand_in_for_dependencies(tmp_path):
    marker = tmp_path / "shadowed"
    for name in ("threadpoolctl", "matplotlib", "rich"):
        (tmp_path / f"{name}.py").write_text(f"open({str(marker)!r}, 'a').write('{name}')\n")
    (tmp_path / "work.py").write_text("def double(x):\n    return 2 * x\n")
    # The console script beside this interpreter (nogilkit.exe on Windows).
    script = shutil.which("nogilkit", path=os.path.dirname(sys.executable))
    done = subprocess.run([script, "compare",
                           "work:double", "--items", "range(8)", "--strategies", "serial,threads",
                           "--no-plot"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert not marker.exists(), marker.read_text()


# -- 9. advice that measurements contradict ------------------------------------------------


def test_a_call_holding_the_gil_is_never_sent_to_threads():
    from nogilkit._probe import _recommend

    words = _recommend("holds", 0.99, 1e-3, {1: 1.0, 2: 1.4}, {2: (1.3, 1.5)}, None, 1e-5, None)
    assert not words.startswith("Use threads") and "noise" in words


def test_a_coroutine_function_runs_on_one_loop_per_thread(monkeypatch):
    import asyncio

    made = []
    real = asyncio.events.new_event_loop

    def counted():
        made.append(1)
        return real()

    monkeypatch.setattr(asyncio, "new_event_loop", counted)
    monkeypatch.setattr(asyncio.events, "new_event_loop", counted)
    report = nogilkit.compare(userfuncs.never_awaits, range(64), strategies=["serial"],
                              repeats=3)
    assert report.rows[0].ok
    # The serial loop that gives the expected results, then one loop for every
    # run of the serial strategy (it was one per chunk: 4 x (warm-up + 3 runs)).
    assert len(made) == 2
