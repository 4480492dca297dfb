"""The ``interpreters`` strategy: pure-Python chunks in subinterpreters with
their own GIL (Python 3.14, or 3.13 with backports-interpreters); elsewhere
it says what to install."""

import threading

import numpy as np
import pytest

from nogilkit.engine.harness import run_combination
from nogilkit.strategies import Options
from nogilkit.strategies import interpreters as strategy_module
from nogilkit.strategies.base import Task
from nogilkit._workload import SourceChunk
from nogilkit.strategies.interpreters import Interpreters, interpreters_api
from nogilkit.workloads import get_workload
from nogilkit.kernels._mandelbrot import MandelbrotWorkload as Mandelbrot

API = interpreters_api()
needs_interpreters = pytest.mark.skipif(
    API is None, reason="needs Python 3.14, or Python 3.13 with pip install backports-interpreters")


def interpreter_ids():
    return {interp.id for interp in API.list_all()}


@pytest.fixture
def no_leaks():
    """Every interpreter and thread a test starts is gone at its end."""
    interps, threads = interpreter_ids(), set(threading.enumerate())
    yield
    assert interpreter_ids() == interps
    assert set(threading.enumerate()) <= threads


@pytest.mark.skipif(API is not None, reason="this Python has subinterpreters")
def test_without_subinterpreters_the_reason_names_what_to_install():
    reason = Interpreters().unavailable(get_workload("mandelbrot"), "python", Options())
    assert "Python 3.14" in reason and "Python 3.13" in reason
    assert "pip install 'nogilkit[dask]'" in reason
    with pytest.raises(RuntimeError, match="subinterpreters need Python 3.14"):
        Interpreters().start(2, Options())


def test_the_reason_does_not_depend_on_this_python(monkeypatch):
    monkeypatch.setattr(strategy_module, "interpreters_api", lambda: None)
    reason = Interpreters().unavailable(get_workload("mandelbrot"), "python", Options())
    assert reason == strategy_module.MISSING


@needs_interpreters
def test_mandelbrot_python_runs_and_passes_its_check(no_leaks):
    workload = get_workload("mandelbrot")
    row = run_combination(workload, workload.prepare("tiny"), "python", Interpreters(), 2,
                          Options(), repeats=1)
    assert row.status == "ok", row.reason  # the harness compared the image with the reference
    assert row.startup_seconds > 0 and row.chunks == 8 and row.cpu_seconds >= 0


@needs_interpreters
def test_partials_equal_run_chunk_exactly(no_leaks):
    workload = get_workload("mandelbrot")
    problem = workload.prepare("tiny")
    specs = workload.split(problem, 5)
    tasks = [Task("mandelbrot", "python", problem.params, {}, spec, i) for i, spec in enumerate(specs)]
    before = interpreter_ids()
    with Interpreters().start(3, Options()) as session:
        assert len(interpreter_ids() - before) == 3
        outcomes = session.map_tasks(tasks)
    for spec, outcome in zip(specs, outcomes):
        expected = workload.run_chunk(problem.params, {}, spec, "python")
        assert outcome.partial.dtype == np.int32
        np.testing.assert_array_equal(outcome.partial, expected)


@needs_interpreters
@pytest.mark.parametrize("workload,implementation", [
    ("mandelbrot", "cython"), ("mandelbrot", "numpy"), ("spectral_norm", "python")])
def test_only_pure_python_chunks_without_numpy_are_available(workload, implementation):
    reason = Interpreters().unavailable(get_workload(workload), implementation, Options())
    assert reason == ("subinterpreters run only pure-Python chunks without numpy: "
                      "python implementation of mandelbrot")


@needs_interpreters
def test_a_chunk_that_raises_surfaces_with_its_context(no_leaks):
    workload = get_workload("mandelbrot")
    problem = workload.prepare("tiny")
    problem.params["width"] = "not a number"  # fails inside every chunk, in its interpreter
    with pytest.raises(TypeError, match="cannot be interpreted as an integer") as info:
        run_combination(workload, problem, "python", Interpreters(), 2, Options(), repeats=1)
    notes = "".join(info.value.__notes__)
    assert "chunk" in notes and "strategy 'interpreters'" in notes
    assert isinstance(info.value.__cause__, API.ExecutionFailed)  # with the interpreter's traceback


def failing_chunk(first, stride, *args):
    class ChunkError(Exception):
        pass

    raise ChunkError(f"chunk {first} of {stride}")


@needs_interpreters
def test_an_error_of_the_chunks_own_type_is_execution_failed(monkeypatch, no_leaks):
    workload = get_workload("mandelbrot")
    chunk = workload.source_chunks["python"]
    monkeypatch.setattr(workload, "source_chunks",
                        {"python": SourceChunk((failing_chunk,), chunk.arguments, None)})
    with pytest.raises(API.ExecutionFailed, match="ChunkError: chunk 0 of 2"):
        run_combination(workload, workload.prepare("tiny"), "python", Interpreters(), 1,
                        Options(chunks_per_worker=2), repeats=1)


class InterruptedMandelbrot(Mandelbrot):
    """Mandelbrot whose second round is interrupted, as by Ctrl-C."""

    def execute(self, problem, n_chunks, run_round):
        run_round(self.split(problem, n_chunks), problem.arrays)
        raise KeyboardInterrupt


@needs_interpreters
def test_ctrl_c_destroys_every_interpreter(no_leaks):
    workload = InterruptedMandelbrot()
    with pytest.raises(KeyboardInterrupt):
        run_combination(workload, workload.prepare("tiny"), "python", Interpreters(), 2,
                        Options(), repeats=1)


@needs_interpreters
def test_subinterpreters_survive_a_dask_cluster_started_here():
    # Dask's profiler samples sys._current_frames every 10 ms, which aborted
    # the process on 3.13 once subinterpreters existed (without the fix this
    # test aborts on 3.13.5 every time, on 3.13.0 now and then: one CI run);
    # the dask strategies start their clusters with the profiler off.
    pytest.importorskip("distributed")
    from nogilkit.strategies import STRATEGIES

    workload = get_workload("mandelbrot")
    problem = workload.prepare_checked("tiny")
    with STRATEGIES["dask"].start(1, Options()):
        for _ in range(40):
            with Interpreters().start(2, Options()) as session:
                result, _ = session.run(workload, problem, "python")
            workload.check(problem, result)
