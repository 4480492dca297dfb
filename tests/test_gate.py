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
