"""The regression gate's decision, on a recorded asv result file."""

import copy
import importlib
import json
import pathlib
import re
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
    assert {r[0] for r in rows} >= {"bench_scaling.Scaling.track_time_ratio_2_threads",
                                    "bench_kernels.Mandelbrot.time_mandelbrot"}


def test_multi_thread_wall_times_are_not_judged(gate):
    assert gate.watched("bench_kernels.Mandelbrot.time_mandelbrot", ("1",))
    assert not gate.watched("bench_kernels.Mandelbrot.time_mandelbrot", ("2",))
    assert gate.watched("bench_scaling.Scaling.track_time_ratio_2_threads", ())


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


def test_a_doubled_time_ratio_is_a_regression_and_a_halved_one_is_not(gate, tmp_path):
    # Time ratios, lower is better: asv's own direction.
    name = "bench_scaling.track_time_ratio_cython_to_python"
    base = gate.load_results(RECORDED)
    doubled = gate.compare(base, gate.load_results(
        planted(tmp_path, lambda n, v: v * 2 if n == name else v)), 1.5)
    assert [r[0] for r in doubled if r[5]] == [name]
    halved = gate.compare(base, gate.load_results(
        planted(tmp_path, lambda n, v: v / 2 if n == name else v)), 1.5)
    assert not any(r[5] for r in halved)


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
    name = "bench_kernels.Stream.peakmem_histogram"
    base = gate.load_results(RECORDED)
    assert any(key[0] == name for key in base)
    rows = gate.compare(base, gate.load_results(
        planted(tmp_path, lambda n, v: 3 * v if n == name else v)), 1.5)
    assert rows and name not in {r[0] for r in rows}
    assert {r[0] for r in gate.compare(base, base, 1.5, bench=name)} == {name}


def with_control(results, speedup):
    return {**results, (gate_module().CONTROL, ()): 1 / speedup}


def gate_module():
    return importlib.import_module("benchmarks.gate")


def test_scaling_figures_are_not_judged_when_the_cores_were_busy(gate, tmp_path):
    name = "bench_scaling.Scaling.track_time_ratio_2_threads"
    base = gate.load_results(RECORDED)
    doubled = gate.load_results(planted(tmp_path, lambda n, v: v * 2 if n == name else v))
    # The control kept its 2x in both runs: the doubled time ratio is a regression.
    rows = gate.compare(with_control(base, 1.95), with_control(doubled, 1.9), 1.5)
    assert [r[0] for r in rows if r[5]] == [name]
    # Something else took a core during the head run: its scaling is not judged,
    # single-thread timings still are.
    busy = gate.compare(with_control(base, 1.95), with_control(doubled, 1.1), 1.5)
    assert not any(r[5] for r in busy)
    assert name not in {r[0] for r in busy}
    assert "bench_kernels.Mandelbrot.time_mandelbrot" in {r[0] for r in busy}
    assert "busy" in gate.busy(with_control(base, 1.95), with_control(doubled, 1.1))
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


# -- every kernel, and the GIL-release signal ------------------------------------------


def test_every_kernel_and_its_gil_signal_are_in_the_default_selection(gate):
    from nogilkit.kernels import FAMILIES

    for family in FAMILIES:
        for benchmark in family.benchmarks:
            name = f"bench_kernels.{benchmark.group}.time_{benchmark.name}"
            assert re.search(gate.DEFAULT_BENCH, name), name
            assert re.search(gate.DEFAULT_BENCH, f"bench_gil.GilHeld.track_{benchmark.name}")
            assert gate.watched(name, ("1",) if benchmark.threaded else ())
        assert re.search(gate.DEFAULT_BENCH,
                         f"bench_gil.GilHeldChunk_{family.workload.name}.track_chunk")


def gil_results(**shares):
    return {(f"bench_gil.GilHeld.track_{name}", ()): share for name, share in shares.items()}


def test_a_kernel_that_stops_releasing_the_gil_fails_the_gate(gate):
    base = gil_results(histogram=0.01, mandelbrot=0.0, nbody=0.09)
    head = gil_results(histogram=0.99, mandelbrot=0.04, nbody=0.02)
    rows = {r[0]: r for r in gate.compare(base, head, 1.5)}
    assert rows["bench_gil.GilHeld.track_histogram"][5]
    # 0.0 -> 0.04 is four times more, and noise: the crossing decides, not a factor.
    assert not rows["bench_gil.GilHeld.track_mandelbrot"][5]
    assert not rows["bench_gil.GilHeld.track_nbody"][5]


def test_the_gil_signal_is_judged_when_the_cores_were_busy(gate):
    # The scaling figures wait for free cores; the GIL signal does not need them.
    base = with_control(gil_results(histogram=0.01), 1.1)
    head = with_control(gil_results(histogram=0.97), 1.0)
    assert gate.busy(base, head)
    (row,) = gate.compare(base, head, 1.5)
    assert row[5]


def test_the_signal_tells_native_code_holding_the_gil_from_code_releasing_it(gate):
    # The same native call, usleep: through ctypes.PyDLL it keeps the GIL,
    # through ctypes.CDLL it releases it, as a kernel without and with nogil.
    import ctypes
    import ctypes.util

    held = importlib.import_module("benchmarks.bench_gil").held

    path = ctypes.util.find_library("c")
    if path is None:
        pytest.skip("no C library to call")
    releasing, holding = ctypes.CDLL(path), ctypes.PyDLL(path)
    assert held(lambda: releasing.usleep(20000)) < 0.25
    assert held(lambda: holding.usleep(20000)) > 0.75


def test_the_json_summary_says_whether_scaling_was_judged(gate, tmp_path):
    gate.SUMMARY.clear()
    gate.SUMMARY["scaling_not_judged"] = "the machine was busy"
    rows = gate.compare(gil_results(kmeans=0.0), gil_results(kmeans=0.9), 1.5)
    gate.write_summary(tmp_path / "gate.json", 1, ["a" * 40, "b" * 40], rows)
    data = json.loads((tmp_path / "gate.json").read_text())
    assert data["exit_status"] == 1 and data["scaling_not_judged"] == "the machine was busy"
    assert data["rows"] == [{"benchmark": "bench_gil.GilHeld.track_kmeans", "base": 0.0,
                             "head": 0.9, "change": pytest.approx(91.0), "regressed": True}]


def test_instruction_counts_are_judged_at_a_tight_factor(gate):
    def counts(mandelbrot, kmeans):
        return {("bench_instructions.Instructions.track_mandelbrot", ()): mandelbrot,
                ("bench_instructions.Instructions.track_kmeans", ()): kmeans}

    rows = {r[0].rsplit("_", 1)[1]: r for r in gate.compare(
        counts(14_067_426, 9_000_000), counts(14_490_000, 9_100_000), 1.5)}
    assert rows["mandelbrot"][5]  # 3% more instructions: a change, where 3% of time is noise
    assert not rows["kmeans"][5]  # 1.1%


def test_skipped_figures_are_not_read_as_values(gate, tmp_path):
    data = json.loads(RECORDED.read_text())
    data["results"]["bench_scaling.Scaling.track_time_ratio_2_threads"][0] = [float("nan")]
    path = tmp_path / "skipped.json"
    path.write_text(json.dumps(data))
    assert ("bench_scaling.Scaling.track_time_ratio_2_threads", ()) not in gate.load_results(path)


def test_instruction_counts_are_reproducible_within_one_percent(gate):
    bench = importlib.import_module("benchmarks.bench_instructions")
    if bench.VALGRIND is None:
        pytest.skip("valgrind is not installed")
    first, second = bench.instructions("mandelbrot"), bench.instructions("mandelbrot")
    assert abs(first - second) <= 0.01 * first, (first, second)


def test_the_five_body_kernel_is_counted(gate):
    # nbody has no run_chunk: its count needs the advance_bodies pattern, whose
    # Cython-numbered name changes when the module gains a function.
    bench = importlib.import_module("benchmarks.bench_instructions")
    if bench.VALGRIND is None:
        pytest.skip("valgrind is not installed")
    assert bench.instructions("nbody") > 100 * 20_000  # bench_kernels' 20,000 steps
