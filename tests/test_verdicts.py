"""Verdicts that hold on a busy machine: the contention control, a GIL figure that
scheduling delay cannot inflate, readings that say "inconclusive" rather than
"no speedup", and the provenance of every saved result.

The machine is loaded on purpose (one busy-looping process per CPU) and the
same checks run without the added load; no check assumes a quiet machine,
since CI runners are shared: without the load, only what must hold whatever
the control reads is asserted.
"""

import json
import pathlib
import subprocess
import sys
import time

import pytest

import nogilkit
from nogilkit._control import Control, busy, cores_available
from nogilkit._probe import RELEASES_BELOW
from nogilkit._provenance import SCHEMA, SCHEMA_VERSION, check, provenance
from nogilkit._runtime import available_cpus, available_start_methods
from nogilkit._stats import median_interval, ratio_interval
from nogilkit.engine.compare import compare



@pytest.fixture(params=[False, True], ids=["as-is", "loaded"])
def load(request):
    """True with one busy-looping process per CPU this process may use."""
    if not request.param:
        yield False
        return
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(available_cpus())]
    time.sleep(0.3)
    try:
        yield True
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


# -- the control -------------------------------------------------------------------------


def test_the_control_reports_the_shortfall_of_a_loaded_machine(load):
    control = Control(available_cpus())
    for _ in range(3):
        control.sample()
    summary = control.summary()
    assert 0 < summary["cores_available"] <= summary["cores_requested"] == available_cpus()
    if load:
        if available_cpus() == 1:
            pytest.skip("one CPU: a busy process takes half of it, the control needs 85%")
        assert busy(summary), summary
    assert summary["load_before"] is None or summary["load_before"] >= 0


def test_one_sample_is_cpu_time_per_wall_second():
    assert 0 < cores_available(1, seconds=0.02) <= 1.0


# -- the GIL figure ----------------------------------------------------------------------


def kernel():
    return nogilkit.mandelbrot(120, 80, 256, threads=1)


@pytest.mark.linux("scheduling delay, read from /proc/self/task/*/schedstat")
def test_a_gil_free_kernel_reads_as_releasing_even_when_the_cpu_is_busy(load):
    # The monitor counted every late wake-up as GIL time: 33-59% for this
    # kernel at load average 6, where the GIL is never held. What is left
    # under load is the Python between two 0.4 ms calls, which the OS may
    # preempt while it holds the GIL: 0-16% with 2 to 8 busy processes on 2
    # CPUs (12.8% once in CI, past an earlier bound of 10%), never near the
    # verdict's threshold.
    result = nogilkit.probe(kernel, threads=[1, 2], min_time=0.05, timeout=120)
    assert result.scheduling_delay_excluded
    assert result.gil_held < RELEASES_BELOW, result
    assert result.verdict == "releases"
    # A kernel that releases the GIL never gets "stay serial" for lack of a speedup
    # the busy machine withheld.
    if busy(result.control):
        assert result.recommendation.startswith(("Inconclusive", "Use threads",
                                                 "Probably threads")), result.recommendation


def test_a_pure_python_loop_reads_as_holding(load):
    def loop():
        total = 0
        for i in range(20000):
            total += i
        return total

    result = nogilkit.probe(loop, threads=[1, 2], min_time=0.05, timeout=120)
    assert result.gil_held >= 0.75, result
    assert not result.recommendation.startswith(("Use threads", "Probably threads"))


def test_a_waiting_call_is_tried_past_the_cores():
    result = nogilkit.probe(time.sleep, (0.002,), min_time=0.05, timeout=120)
    assert result.cpu_share < 0.5
    assert max(result.speedups) > available_cpus()


# -- readings on a busy machine ----------------------------------------------------------


def test_a_comparison_never_reads_no_speedup_from_a_busy_machine(load):
    report = compare(["mandelbrot"], ["cython"], ["serial", "threads"], workers=[2],
                     size="tiny", repeats=3)
    reading = report.reading("mandelbrot")
    control = report.control()
    assert control["cores_requested"] == min(2, available_cpus())
    assert len(control["samples"]) >= 3  # one per round
    if load and available_cpus() > 1:
        assert busy(control)
    if busy(control):
        assert reading.startswith("Inconclusive: the machine was busy")
    assert "no speedup" not in reading


# -- uncertainty -------------------------------------------------------------------------


def test_intervals_contain_their_estimate_and_are_reproducible():
    base, other = [1.0, 1.1, 0.95, 1.3, 1.0], [0.5, 0.52, 0.7, 0.49, 0.51]
    interval = ratio_interval(base, other)
    assert interval.low <= interval.value <= interval.high
    assert interval.value == pytest.approx(1.0 / 0.51)
    assert ratio_interval(base, other) == interval  # seeded: the same times, the same interval
    assert not interval.includes(1.0)
    assert ratio_interval([1.0], other) is None  # one run says nothing about its spread
    assert median_interval([2.0, 2.0, 2.0]).relative_half_width == 0.0


def test_short_runs_are_repeated_within_a_sample():
    from nogilkit.engine.harness import run_group
    from nogilkit.strategies import Options, get_strategy
    from nogilkit.workloads import get_workload

    workload = get_workload("mandelbrot")
    problem = workload.prepare_checked("tiny")
    (row,) = run_group(workload, problem, "cython", [(get_strategy("serial"), 1)], Options(),
                       repeats=3, min_sample=0.1)
    # A tiny Mandelbrot takes well under a millisecond: each sample repeats it
    # until it lasts about 0.1 s, and the times are per run.
    assert row.number > 1
    assert row.median * row.number >= 0.05
    # The size "tiny" itself is a smoke test: one run per sample.
    report = compare(["mandelbrot"], ["cython"], ["serial"], workers=[1], size="tiny", repeats=3)
    assert report.rows[0].number == 1


# -- provenance --------------------------------------------------------------------------


def test_provenance_has_every_key_with_its_type():
    data = provenance()
    assert check(data) == []
    assert set(data) == set(SCHEMA)
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["nogilkit"] == nogilkit.__version__
    assert data["created_utc"].endswith("+00:00")
    assert all(flag.startswith("-") for flag in data["compile_args"]), data["compile_args"]


def test_the_docs_document_every_provenance_key():
    page = pathlib.Path(__file__).parent.parent / "docs" / "saved-results.md"
    text = page.read_text(encoding="utf-8")
    for key in SCHEMA:
        assert f"| `{key}` |" in text, key


def _cli(tmp_path, *args):
    run = subprocess.run([sys.executable, "-m", "nogilkit", *args], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return run


@pytest.mark.parametrize("args", [
    ["compare", "--implementations", "cython", "--strategies", "serial,threads", "--workers", "2",
     "--size", "tiny", "--repeats", "3", "--no-plot", "--quiet"],
    ["probe", "sum(range(1000))", "--threads", "2", "--min-time", "0.02"],
    ["overhead", "--quick", "--quiet", "--start-methods", available_start_methods()[0]],
    ["mixed", "--duration", "0.5", "--variants", "cython-threads", "--quiet"],
    ["demo", "counter", "--threads", "2"],
], ids=["compare", "probe", "overhead", "mixed", "demo"])
def test_every_json_says_where_it_came_from(args, tmp_path):
    _cli(tmp_path, *args, "--json", "out.json")
    data = json.loads((tmp_path / "out.json").read_text())
    assert check(data["provenance"]) == []
    if args[0] in ("compare", "probe", "mixed"):  # measured beside a contention control
        assert data["provenance"]["control"]["samples"]


def test_a_saved_report_is_a_baseline(tmp_path):
    args = ["compare", "--implementations", "cython", "--strategies", "serial,threads",
            "--workers", "2", "--size", "tiny", "--repeats", "3", "--no-plot", "--quiet"]
    _cli(tmp_path, *args, "--json", "old.json")
    run = _cli(tmp_path, *args, "--json", "new.json", "--baseline", "old.json")
    assert "== against old.json" in run.stdout
    assert "threads" in run.stdout.split("== against old.json")[1]
    data = json.loads((tmp_path / "new.json").read_text())
    entries = data["against_baseline"]["entries"]
    assert {(e["strategy"], e["workers"]) for e in entries} == {("serial", 1), ("threads", 2)}
    for e in entries:
        assert e["verdict"] in ("faster", "slower", "no clear difference")


def test_an_old_report_without_provenance_loads_as_a_baseline(tmp_path):
    from nogilkit.engine.baseline import load_report

    old = {"config": {}, "machine": {"cpu_count": 2},
           "rows": [{"workload": "mandelbrot", "size": "tiny", "implementation": "cython",
                     "strategy": "serial", "workers": 1, "status": "ok",
                     "times": [0.01, 0.011, 0.012], "median": 0.011}]}
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old))
    report = load_report(path)
    assert report.rows[0].median == pytest.approx(0.011)
    assert report.provenance == {"cpu_count": 2}


@pytest.mark.parametrize("content, message", [
    (None, "no file"), ("{", "is not a JSON report"), ('{"rows": 3}', "has no rows"),
    ('{"rows": [{"bogus": 1}]}', "cannot read"),
])
def test_a_bad_baseline_is_refused_before_the_run(content, message, tmp_path):
    if content is not None:
        (tmp_path / "old.json").write_text(content)
    run = subprocess.run([sys.executable, "-m", "nogilkit", "compare", "--baseline", "old.json",
                          "--size", "tiny", "--no-plot"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 2 and message in run.stderr, run.stderr
