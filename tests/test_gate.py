"""The regression gate's decision, on a recorded asv result file."""

import copy
import importlib
import json
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
RECORDED = ROOT / "tests" / "data" / "asv_result.json"


@pytest.fixture(scope="module")
def gate():
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module("benchmarks.gate")


def planted(tmp_path, change):
    """A copy of the recorded results with ``change(name, value)`` applied."""
    data = json.loads(RECORDED.read_text())
    changed = copy.deepcopy(data)
    for name, row in changed["results"].items():
        values = row[0]
        row[0] = ([change(name, v) if v is not None else None for v in values]
                  if isinstance(values, list) else change(name, values))
    path = tmp_path / "head.json"
    path.write_text(json.dumps(changed))
    return path


def test_identical_runs_pass(gate):
    results = gate.load_results(RECORDED)
    rows = gate.compare(results, results, 1.5)
    assert rows and not any(r[5] for r in rows)
    assert {r[0] for r in rows} >= {"bench_scaling.track_speedup_2_threads",
                                    "bench_kernels.Mandelbrot.time_mandelbrot"}


def test_multi_thread_wall_times_are_not_judged(gate):
    assert gate.watched("bench_kernels.Mandelbrot.time_mandelbrot", ("1",))
    assert not gate.watched("bench_kernels.Mandelbrot.time_mandelbrot", ("2",))
    assert gate.watched("bench_scaling.track_speedup_2_threads", ())


def test_a_planted_2x_slowdown_is_caught(gate, tmp_path):
    def slower(name, value):
        if name == "bench_kernels.Mandelbrot.time_mandelbrot":
            return 2 * value
        return value

    rows = gate.compare(gate.load_results(RECORDED), gate.load_results(planted(tmp_path, slower)),
                        1.5)
    bad = [r for r in rows if r[5]]
    assert [r[0] for r in bad] == ["bench_kernels.Mandelbrot.time_mandelbrot"] * len(bad)
    assert len(bad) == len([r for r in rows if r[0] == "bench_kernels.Mandelbrot.time_mandelbrot"])
    assert all(r[4] == pytest.approx(2.0) for r in bad)


def test_a_halved_speedup_is_a_regression_and_a_doubled_one_is_not(gate, tmp_path):
    name = "bench_scaling.track_speedup_over_python"
    base = gate.load_results(RECORDED)
    halved = gate.compare(base, gate.load_results(
        planted(tmp_path, lambda n, v: v / 2 if n == name else v)), 1.5)
    assert [r[0] for r in halved if r[5]] == [name]
    doubled = gate.compare(base, gate.load_results(
        planted(tmp_path, lambda n, v: v * 2 if n == name else v)), 1.5)
    assert not any(r[5] for r in doubled)


def test_noise_below_the_factor_passes(gate, tmp_path):
    rows = gate.compare(gate.load_results(RECORDED),
                        gate.load_results(planted(tmp_path, lambda n, v: v * 1.3)), 1.5)
    assert not any(r[5] for r in rows)


def test_a_regression_must_show_twice(gate, tmp_path):
    name = "bench_kernels.Mandelbrot.time_mandelbrot"
    base = gate.load_results(RECORDED)
    slower = gate.load_results(planted(tmp_path, lambda n, v: 2 * v if n == name else v))
    first = gate.compare(base, slower, 1.5)
    assert [r[0] for r in gate.confirmed(first, gate.compare(base, slower, 1.5))] == \
        [r[0] for r in first if r[5]]
    # A second measurement that shows no slowdown clears the suspect.
    assert gate.confirmed(first, gate.compare(base, base, 1.5)) == []
    # A benchmark that regresses only in the second measurement is not confirmed either.
    assert gate.confirmed(gate.compare(base, base, 1.5), first) == []


def test_the_confirming_pattern_matches_only_the_suspects(gate):
    import re

    pattern = gate.exact({("bench_kernels.NBody.time_nbody", ()),
                          ("bench_kernels.Mandelbrot.time_mandelbrot", ("1",))})
    # asv's -b searches "name(params)" for parametrised benchmarks.
    labels = ["bench_kernels.NBody.time_nbody", "bench_kernels.NBodyDirect.time_nbody_direct(1)",
              "bench_kernels.Mandelbrot.time_mandelbrot(1)",
              "bench_kernels.Mandelbrot.time_mandelbrot(2)"]
    assert [n for n in labels if re.search(pattern, n)] == labels[::2]


def test_only_the_benchmarks_asked_for_are_judged(gate, tmp_path):
    # Result files also hold what history runs measured; the gate judges its own set.
    name = "bench_kernels.Stream.time_triad"
    base = gate.load_results(RECORDED)
    assert any(key[0] == name for key in base)
    rows = gate.compare(base, gate.load_results(
        planted(tmp_path, lambda n, v: 3 * v if n == name else v)), 1.5)
    assert rows and name not in {r[0] for r in rows}
    assert [r[0] for r in gate.compare(base, base, 1.5, bench=name) if r[1] == ("1",)] == [name]


def with_control(results, speedup):
    return {**results, ("bench_scaling.track_control_speedup_2_threads", ()): speedup}


def test_scaling_figures_are_not_judged_when_the_cores_were_busy(gate, tmp_path):
    name = "bench_scaling.track_speedup_2_threads"
    base = gate.load_results(RECORDED)
    halved = gate.load_results(planted(tmp_path, lambda n, v: v / 2 if n == name else v))
    # The control kept its 2x in both runs: the halved speedup is a regression.
    rows = gate.compare(with_control(base, 1.95), with_control(halved, 1.9), 1.5)
    assert [r[0] for r in rows if r[5]] == [name]
    # Something else took a core during the head run: its scaling is not judged,
    # single-thread timings still are.
    busy = gate.compare(with_control(base, 1.95), with_control(halved, 1.1), 1.5)
    assert not any(r[5] for r in busy)
    assert name not in {r[0] for r in busy}
    assert "bench_kernels.Mandelbrot.time_mandelbrot" in {r[0] for r in busy}
    assert "busy" in gate.busy(with_control(base, 1.95), with_control(halved, 1.1))
    # The control itself is never judged.
    assert gate.CONTROL not in {r[0] for r in rows}


def test_failures_are_read_from_the_results(gate, tmp_path):
    assert gate.failed(RECORDED) == []
    data = json.loads(RECORDED.read_text())
    name = "bench_kernels.Mandelbrot.time_mandelbrot"
    data["results"][name][0] = None  # as asv records a benchmark that failed on every param
    path = tmp_path / "failed.json"
    path.write_text(json.dumps(data))
    assert gate.failed(path) == [name]
