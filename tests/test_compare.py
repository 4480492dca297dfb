"""The comparison engine: every combination runs and is checked; errors and teardown."""

import json
import subprocess
import sys

import numpy as np
import pytest

import nogilkit
from nogilkit.engine.compare import compare, plan
from nogilkit.engine.harness import run_combination
from nogilkit.engine.report import karp_flatt
from nogilkit.strategies import STRATEGIES, Options, get_strategy
from nogilkit.workloads import IMPLEMENTATIONS, WORKLOADS, get_workload
from nogilkit.kernels._mandelbrot import MandelbrotWorkload as Mandelbrot


@pytest.mark.slow
@pytest.mark.parametrize("workload", list(WORKLOADS))
def test_every_combination_runs_and_passes_its_check(workload, no_leaks):
    report = compare([workload], "all", "all", workers=[2], size="tiny", repeats=1)
    assert len(report.rows) == len(plan([workload], IMPLEMENTATIONS, STRATEGIES, [2]))
    assert not report.failed()
    for row in report.rows:
        if row.status == "unavailable":
            assert row.reason, row
            continue
        assert row.ok, row
        assert len(row.times) >= 1 and row.median > 0
        assert row.cpu_seconds >= 0 and row.peak_bytes > 0 and row.startup_seconds >= 0
    ran = {(r.implementation, r.strategy) for r in report.rows if r.ok}
    # The core of the comparison always runs (io has only python).
    for implementation in get_workload(workload).implementations[:3]:
        for strategy in ("serial", "threads", "processes", "asyncio", "asyncio+threads",
                         "asyncio+processes"):
            assert (implementation, strategy) in ran
    if nogilkit.openmp_enabled() and workload == "mandelbrot":
        assert ("cython", "openmp") in ran


@pytest.mark.parametrize("options", [
    Options(pool="pool", chunksize=2),
    Options(pool="pool-unordered", transfer="shm"),
    Options(transfer="shm", chunks_per_worker=3),
    Options(start_method="spawn", pool="pool"),
])
@pytest.mark.parametrize("workload", ["total", "nbody", "spectral_norm"])
def test_process_pool_variants(workload, options, no_leaks):
    report = compare([workload], ["cython", "numpy"], ["processes", "asyncio+processes"],
                     workers=[2], size="tiny", repeats=1, options=options)
    assert [r.status for r in report.rows] == ["ok"] * 4


def test_a_wrong_result_is_a_failed_check_not_a_time(no_leaks):
    workload = get_workload("mandelbrot")
    problem = workload.prepare("tiny")
    problem.expected = problem.expected.copy()
    problem.expected[3, 5] += 1
    row = run_combination(workload, problem, "cython", get_strategy("threads"), 2, Options(),
                          repeats=1)
    assert row.status == "failed" and row.times == []
    assert "1 of 1536 pixels differ" in row.reason


@pytest.mark.parametrize("strategy", ["serial", "threads", "processes", "asyncio",
                                      "asyncio+threads", "asyncio+processes"])
def test_a_chunk_that_raises_surfaces_with_its_context(strategy, no_leaks):
    workload = get_workload("mandelbrot")
    problem = workload.prepare("tiny")
    problem.params["width"] = "not a number"  # fails inside every chunk, in the worker
    with pytest.raises(TypeError) as info:
        run_combination(workload, problem, "cython", get_strategy(strategy), 2, Options(),
                        repeats=1)
    text = str(info.value) + "".join(getattr(info.value, "__notes__", []))
    assert "workload 'mandelbrot'" in text and "chunk" in text and f"strategy {strategy!r}" in text


class InterruptedMandelbrot(Mandelbrot):
    """Mandelbrot whose second round is interrupted, as by Ctrl-C, while pools are busy."""

    def execute(self, problem, n_chunks, run_round):
        specs = self.split(problem, n_chunks)
        run_round(specs, problem.arrays)
        raise KeyboardInterrupt


@pytest.mark.parametrize("strategy", ["threads", "processes", "asyncio+threads",
                                      "asyncio+processes"])
def test_ctrl_c_shuts_every_pool_down(strategy, no_leaks):
    workload = InterruptedMandelbrot()
    problem = workload.prepare("tiny")
    with pytest.raises(KeyboardInterrupt):
        run_combination(workload, problem, "python", get_strategy(strategy), 2,
                        Options(pool="pool") if strategy == "processes" else Options(), repeats=1)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"workloads": ["mandelbrot", "nope"]}, r"unknown workload 'nope'; valid workloads: mandelbrot, "),
        ({"implementations": "fortran"}, "valid implementations: python, numpy, cython, cython-baseline, numba"),
        ({"strategies": "gpu"}, "valid strategies: serial, threads, processes"),
        ({"workers": [0]}, "workers must be integers >= 1"),
        ({"workers": [2.5]}, "workers must be integers >= 1"),
        ({"size": "huge"}, "size must be one of tiny, small, medium, large"),
        ({"repeats": 0}, "repeats must be an integer >= 1"),
    ],
)
def test_bad_arguments_fail_before_any_work(kwargs, match):
    with pytest.raises(ValueError, match=match):
        compare(**kwargs)


def test_bad_options_raise():
    with pytest.raises(ValueError, match="transfer must be one of pickle, shm"):
        Options(transfer="mail")
    with pytest.raises(ValueError, match="chunksize must be an integer >= 1"):
        Options(chunksize=0)


def test_report_figures_and_reading():
    report = compare(["mandelbrot"], ["python", "cython"], ["serial", "threads", "asyncio"],
                     workers=[1, 2], size="tiny", repeats=2)
    python_serial = next(r for r in report.rows if r.implementation == "python"
                         and r.strategy == "serial")
    for row in report.rows:
        f = report.figures(row)
        assert f["vs_python"] == pytest.approx(python_serial.median / row.median)
        if row.workers > 1:
            assert f["efficiency"] == pytest.approx(f["vs_serial"] / row.workers)
            interval = f["vs_serial_interval"]
            # Karp-Flatt only where the speedup is above 1x beyond its interval.
            if interval is None or interval["low"] <= 1.0:
                assert f["karp_flatt"] is None
            else:
                assert f["karp_flatt"] == pytest.approx(karp_flatt(f["vs_serial"], row.workers))
    reading = report.reading("mandelbrot")
    assert ("mandelbrot on 2 workers, speedup over serial [95% interval]: threads: python "
            in reading)
    assert ", cython " in reading and "; asyncio coroutines" in reading
    text = str(report)
    assert "== mandelbrot (tiny" in text and "vs python" in text
    data = json.loads(report.to_json())
    assert len(data["rows"]) == len(report.rows)
    assert data["provenance"]["nogilkit"] == nogilkit.__version__ and data["provenance"]["cpu_model"]


def test_rows_count_the_rounds_a_run_hands_out(no_leaks):
    # k-means' tiny problem runs three iterations, each one round of chunks
    # (a strategy's per-call cost, such as joblib's poll, is paid per round);
    # mandelbrot is one round; openmp hands nothing out.
    report = compare(["kmeans", "mandelbrot"], ["cython"], ["serial", "threads", "openmp"],
                     workers=[2], size="tiny", repeats=1)
    calls = {(r.workload, r.strategy): r.calls for r in report.rows if r.ok}
    assert calls[("kmeans", "serial")] == calls[("kmeans", "threads")] == 3
    assert calls[("mandelbrot", "threads")] == 1
    assert calls.get(("mandelbrot", "openmp"), 0) == 0
    assert json.loads(report.to_json())["rows"][0]["calls"] == 3


def test_python_api_is_lazy_and_returns_a_report():
    code = ("import sys, nogilkit; assert 'nogilkit.engine' not in sys.modules; "
            "r = nogilkit.compare(['total'], ['numpy'], ['serial'], size='tiny', repeats=1); "
            "print(r.rows[0].status)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    assert out.stdout.strip() == "ok"


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "nogilkit", "compare", *args], capture_output=True,
                          text=True, timeout=300, cwd=cwd)


def test_cli_end_to_end(tmp_path):
    pytest.importorskip("matplotlib")
    result = run_cli("--size", "tiny", "--repeats", "1", "--workloads", "mandelbrot,total",
                     "--workers", "1,2", "--json", "report.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "== mandelbrot (tiny" in result.stdout and "== total (tiny" in result.stdout
    report = json.loads((tmp_path / "report.json").read_text())
    assert {r["workload"] for r in report["rows"]} == {"mandelbrot", "total"}
    assert all(r["status"] == "ok" for r in report["rows"])
    png = tmp_path / "nogilkit-compare.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_list():
    result = run_cli("--list")
    assert result.returncode == 0
    for name in list(WORKLOADS) + list(STRATEGIES):
        assert name in result.stdout


@pytest.mark.parametrize(
    "args,message",
    [
        (["--workloads", "nope"], "valid workloads"),
        (["--workers", "0"], "expected a positive integer"),
        (["--size", "huge"], "size must be one of"),
        (["--json", "/nonexistent-folder/x.json"], "does not exist"),
        pytest.param(["--plot", "/proc/version"], "not writable",
                     marks=pytest.mark.linux("/proc/version: a file not even root may write")),
    ],
)
def test_cli_rejects_bad_input_before_any_work(args, message):
    result = run_cli(*args, "--no-plot" if "--plot" not in args else "--quiet")
    assert result.returncode == 2
    assert message in result.stderr
    assert "==" not in result.stdout  # nothing ran


def test_plot_without_matplotlib_names_the_extra(monkeypatch):
    report = compare(["total"], ["numpy"], ["serial"], size="tiny", repeats=1)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"nogilkit\[plot\]"):
        report.plot("unused.png")


def test_chunks_split_the_work_exactly():
    from nogilkit._workload import even_ranges

    for total in (1, 7, 100):
        for n in (1, 3, 8, 200):
            ranges = even_ranges(total, n)
            assert ranges[0][0] == 0 and ranges[-1][1] == total
            assert all(a < b for a, b in ranges)
            assert all(r1[1] == r2[0] for r1, r2 in zip(ranges, ranges[1:]))
    assert np.array_equal(np.concatenate([np.arange(a, b) for a, b in even_ranges(10, 4)]),
                          np.arange(10))


@pytest.mark.parametrize("workload", [w for w in WORKLOADS if "cython" in WORKLOADS[w].implementations])
def test_python_and_cython_chunks_agree_exactly(workload):
    """A chunk computed by the pure-Python version and by the kernel is the same
    bit for bit (total: to rounding, its block order differs by design)."""
    w = get_workload(workload)
    problem = w.prepare("tiny")
    captured = []

    def first_round(specs, arrays):
        captured.append((specs, arrays))
        return [w.run_chunk(problem.params, arrays, spec, "cython") for spec in specs]

    w.execute(problem, 3, first_round)
    specs, arrays = captured[0]
    for spec in specs:
        python = w.run_chunk(problem.params, arrays, spec, "python")
        cython = w.run_chunk(problem.params, arrays, spec, "cython")
        parts = (lambda r: r if isinstance(r, tuple) else (r,))
        for p, c in zip(parts(python), parts(cython)):
            if workload == "total":
                assert p == pytest.approx(c, rel=1e-12)
            else:
                np.testing.assert_array_equal(np.asarray(p, dtype=float), np.asarray(c, dtype=float))
