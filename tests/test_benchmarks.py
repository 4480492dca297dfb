"""Every asv benchmark runs once at its first parameters, so a broken benchmark
fails the normal test run too (asv itself runs in CI after the tests)."""

import importlib
import inspect
import itertools
import math
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PREFIXES = ("time_", "peakmem_", "mem_", "track_")
MODULES = sorted(p.stem for p in (ROOT / "benchmarks").glob("bench_*.py"))


def benchmarks():
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    for name in MODULES:
        module = importlib.import_module(f"benchmarks.{name}")
        for attr, obj in vars(module).items():
            if attr.startswith(PREFIXES) and inspect.isfunction(obj):
                yield pytest.param(None, obj, id=f"{name}.{attr}")
            elif inspect.isclass(obj) and obj.__module__ == module.__name__:
                methods = [m for m in dir(obj) if m.startswith(PREFIXES)]
                if name == "bench_instructions":
                    # One Valgrind run stands for all (same code, another kernel's
                    # name); CI's asv run --quick runs every one.
                    methods = methods[:1]
                for method in methods:
                    yield pytest.param(obj, method, id=f"{name}.{attr}.{method}")


def assert_figure(result):
    """A track_ figure is a finite number, >= 0 (a GIL share may be 0)."""
    assert isinstance(result, float | int) and math.isfinite(result) and result >= 0, result


@pytest.mark.parametrize("cls,target", list(benchmarks()))
def test_benchmark_runs(cls, target):
    if cls is None:
        result = target()
        if target.__name__.startswith("track_"):
            assert_figure(result)
        return
    params = getattr(cls, "params", [])
    if params and not isinstance(params[0], (list, tuple)):
        params = [params]
    ran = 0
    # The first combination that setup accepts (others are skipped by design).
    for combination in itertools.product(*params):
        bench = cls()
        try:
            if hasattr(bench, "setup"):
                bench.setup(*combination)
        except NotImplementedError as exc:
            if "machine busy" not in str(exc):
                continue
            # A busy machine skips it in asv (no value in the history); the
            # benchmark itself must still run.
        try:
            result = getattr(bench, target)(*combination)
            if target.startswith("track_"):
                assert_figure(result)
        finally:
            if hasattr(bench, "teardown"):
                bench.teardown(*combination)
        ran += 1
        break
    assert ran == 1, "no parameter combination could run"
