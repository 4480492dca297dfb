"""Free-threading readiness: the kernels are correct when many threads call them
at once with shared inputs (on every interpreter), and on a free-threaded
build importing nogilkit leaves the GIL disabled."""

import subprocess
import sys
import sysconfig
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import nogilkit

FREE_THREADED = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def calls():
    """(name, call) of every public kernel on small shared inputs; each call returns its answer."""
    rng = np.random.default_rng(0)
    data = rng.normal(size=50_000)
    points = rng.normal(size=(2_000, 3))
    init = points[:4].copy()
    a, b = rng.random(20_000), rng.random(20_000)
    positions, velocities = rng.normal(size=(64, 3)), rng.normal(size=(64, 3)) * 0.01
    masses = rng.random(64) + 0.5
    return [
        ("mandelbrot", lambda: nogilkit.mandelbrot(64, 48, 64, threads=2)),
        ("spectral_norm", lambda: nogilkit.spectral_norm(50, threads=2)),
        ("nbody", lambda: nogilkit.nbody(1_000)),
        ("nbody_direct", lambda: nogilkit.nbody_direct(positions, velocities, masses, 3, dt=0.01,
                                                       softening=0.1, threads=2)),
        ("kmeans", lambda: nogilkit.kmeans(points, 4, init=init, max_iter=5, threads=2).centers),
        ("histogram", lambda: nogilkit.histogram(data, 50, (-4, 4), threads=2)),
        ("triad", lambda: nogilkit.triad(a, b, np.empty_like(a), 3.0, threads=2)),
        ("total", lambda: nogilkit.total(data, threads=2)),
    ]


def flatten(answer):
    if isinstance(answer, tuple):
        return np.concatenate([np.ravel(np.asarray(x, dtype=float)) for x in answer])
    return np.ravel(np.asarray(answer, dtype=float))


@pytest.mark.parametrize("name, call", calls(), ids=[name for name, _ in calls()])
def test_concurrent_calls_with_shared_inputs_give_the_serial_answer(name, call):
    expected = flatten(call())
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: flatten(call()), range(32)))
    for answer in answers:
        np.testing.assert_array_equal(answer, expected)


@pytest.mark.skipif(not FREE_THREADED, reason="needs a free-threaded CPython (built with "
                                               "--disable-gil, e.g. python3.13t)")
def test_importing_every_module_leaves_the_gil_disabled():
    code = ("import importlib, pkgutil, sys, nogilkit, nogilkit._ext as ext\n"
            "for m in pkgutil.iter_modules(ext.__path__):\n"
            "    importlib.import_module('nogilkit._ext.' + m.name)\n"
            "import nogilkit.demos, nogilkit.engine.compare\n"
            "print(sys._is_gil_enabled())")
    # -W error: CPython warns (RuntimeWarning) when a module without the
    # free-threading declaration turns the GIL back on.
    done = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_info_reports_the_interpreters_threading():
    from nogilkit._runtime import system_info

    info = system_info()
    assert info["free_threaded_build"] is FREE_THREADED
    assert info["gil_enabled"] is (not FREE_THREADED or sys._is_gil_enabled())
