"""``threads=None`` counts threads as scikit-learn's OpenMP code does: the CPUs
this process may run on, capped by the cgroup's CPU quota, OMP_NUM_THREADS and
threadpoolctl.threadpool_limits; an explicit ``threads=N`` is used as given.

The limits are observed in the threads that really ran work: in a child
process, the pool's calls of the job's ``work()`` go through a recorder that
notes each calling thread's native id and the CPU time it spent inside the
real ``work()``; a thread counts as having worked when that time is at least
MIN_CPU_SECONDS (a call that found every chunk claimed costs microseconds).
"""

import json
import math
import os
import subprocess
import sys
import textwrap

import pytest

import nogilkit
from nogilkit import _runtime
from nogilkit._runtime import default_threads, native_pools_limited, thread_limits

threadpoolctl = pytest.importorskip("threadpoolctl")

MIN_CPU_SECONDS = 0.001
IMAGE = (800, 600, 5000)  # about 0.13 s of CPU: many bands, each thread gets some

CHILD = textwrap.dedent("""
    import json, math, os, sys, threading, time

    import nogilkit
    import threadpoolctl
    from nogilkit import _runtime
    from nogilkit.kernels import _mandelbrot

    MIN_CPU_SECONDS, IMAGE = {min_cpu!r}, {image!r}


    class Recorded:
        # What run_job uses of a job, with each work() call's thread and CPU time noted.
        def __init__(self, job, log):
            self.job, self.log, self.n_chunks = job, log, job.n_chunks

        def cancel(self):
            self.job.cancel()

        def work(self):
            start = time.thread_time()
            result = self.job.work()
            self.log.append((threading.get_native_id(), time.thread_time() - start))
            return result


    real_run_job = _mandelbrot.run_job


    def used(threads=None):
        log = []
        _mandelbrot.run_job = lambda job, n: real_run_job(Recorded(job, log), n)
        try:
            nogilkit.mandelbrot(*IMAGE, threads=threads)
        finally:
            _mandelbrot.run_job = real_run_job
        cpu = {{}}
        for ident, seconds in log:
            cpu[ident] = cpu.get(ident, 0.0) + seconds
        return {{"default": nogilkit.default_threads(), "called": len(cpu),
                 "worked": sum(s >= MIN_CPU_SECONDS for s in cpu.values()),
                 "cpu": sorted((round(s, 4) for s in cpu.values()), reverse=True)}}


    def fake_quota(quota):
        _runtime.cgroup_cpu_quota = lambda: quota
        _runtime._quota_read = (-math.inf, None)  # no cached reading


    results = {{"available_cpus": _runtime.available_cpus(),
                "quota": _runtime.cgroup_cpu_quota()}}
    for name in {scenarios!r}:
        if name == "default":
            results[name] = used()
        elif name == "explicit 2":
            results[name] = used(2)
        elif name == "threadpool_limits(1)":
            with threadpoolctl.threadpool_limits(1):
                results[name] = used()
            results["after threadpool_limits"] = used()
        elif name == "threadpool_limits(1, nogilkit)":
            with threadpoolctl.threadpool_limits(1, user_api="nogilkit"):
                results[name] = used()
        elif name == "threadpool_limits(1, blas)":
            with threadpoolctl.threadpool_limits(1, user_api="blas"):
                results[name] = used()
        elif name == "threadpool_limits(1) explicit 2":
            with threadpoolctl.threadpool_limits(1):
                results[name] = used(2)
        elif name.startswith("cgroup quota "):
            saved = _runtime.cgroup_cpu_quota
            fake_quota(float(name.split()[-1]))
            results[name] = used()
            _runtime.cgroup_cpu_quota = saved
            _runtime._quota_read = (-math.inf, None)
        elif name == "affinity 1 CPU":
            saved = os.sched_getaffinity(0)
            os.sched_setaffinity(0, {{min(saved)}})
            results[name] = used()
            os.sched_setaffinity(0, saved)
        else:
            raise ValueError(name)
    print(json.dumps(results))
""")

PLAIN = ["default", "explicit 2", "threadpool_limits(1)", "threadpool_limits(1, nogilkit)",
         "threadpool_limits(1, blas)", "threadpool_limits(1) explicit 2", "cgroup quota 1.0",
         "cgroup quota 0.5", "cgroup quota 1.5"]
if hasattr(os, "sched_setaffinity"):
    PLAIN.append("affinity 1 CPU")
WITH_OMP = ["default", "explicit 2"]


def run_child(scenarios, **environ):
    env = {k: v for k, v in os.environ.items() if k not in _runtime.THREAD_LIMIT_VARIABLES}
    env.update(environ)
    code = CHILD.format(min_cpu=MIN_CPU_SECONDS, image=IMAGE, scenarios=scenarios)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def plain():
    return run_child(PLAIN)


@pytest.fixture(scope="module")
def omp1():
    return run_child(WITH_OMP, OMP_NUM_THREADS="1")


def uncapped(results):
    """threads=None in the child without any limit of ours: affinity and any real quota."""
    quota = results["quota"]
    cpus = results["available_cpus"]
    return cpus if quota is None else min(cpus, max(1, math.ceil(quota)))


def expect(result, threads):
    assert result["called"] == threads, result
    assert result["worked"] == threads, result


def test_by_default_every_available_cpu_works(plain):
    assert plain["default"]["default"] == uncapped(plain)
    expect(plain["default"], uncapped(plain))


def test_omp_num_threads_caps_the_default(omp1):
    assert omp1["default"]["default"] == 1
    expect(omp1["default"], 1)


@pytest.mark.parametrize("scenario", ["threadpool_limits(1)", "threadpool_limits(1, nogilkit)"])
def test_threadpool_limits_caps_the_default(plain, scenario):
    assert plain[scenario]["default"] == 1
    expect(plain[scenario], 1)


def test_leaving_threadpool_limits_lifts_the_cap(plain):
    expect(plain["after threadpool_limits"], uncapped(plain))


def test_a_limit_on_another_api_leaves_nogilkit_alone(plain):
    expect(plain["threadpool_limits(1, blas)"], uncapped(plain))


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU affinity here")
def test_affinity_caps_the_default(plain):
    expect(plain["affinity 1 CPU"], 1)


@pytest.mark.parametrize(("quota", "threads"), [("1.0", 1), ("0.5", 1), ("1.5", 2)])
def test_a_cgroup_quota_caps_the_default_rounded_up(plain, quota, threads):
    expect(plain[f"cgroup quota {quota}"], min(threads, uncapped(plain)))


@pytest.mark.parametrize("scenario", ["explicit 2", "threadpool_limits(1) explicit 2"])
def test_explicit_threads_are_honoured_over_every_limit(plain, omp1, scenario):
    # As scikit-learn's explicit n_jobs: a number asked for is the number used.
    expect(plain[scenario], 2)
    expect(omp1["explicit 2"], 2)


# -- in this process: the sources of the count --------------------------------------------


@pytest.mark.parametrize(("value", "threads"), [("3", 3), (" 2 ", 2), ("4,2", 4), ("1", 1),
                                                ("0", None), ("-1", None), ("abc", None),
                                                ("", None)])
def test_omp_num_threads_is_read_as_openmp_reads_it(monkeypatch, value, threads):
    monkeypatch.setenv("OMP_NUM_THREADS", value)
    assert _runtime.omp_num_threads() == threads
    assert thread_limits()["OMP_NUM_THREADS"] == threads


def test_the_default_is_the_smallest_limit_read_at_call_time(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(_runtime, "cgroup_cpu_quota", lambda: 2.5)
    monkeypatch.setattr(_runtime, "_quota_read", (-math.inf, None))
    assert thread_limits()["cgroup_cpu_quota"] == 3
    assert default_threads() == min(3, _runtime.available_cpus())
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert default_threads() == 1  # no import-time snapshot
    assert nogilkit.default_threads is default_threads


def test_threadpool_info_lists_nogilkit(monkeypatch):
    # A cap of 1 is stored only while it is below every other limit.
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    if min(v for v in thread_limits().values() if v is not None) < 2:
        pytest.skip("this process may use one CPU: threadpoolctl's cap of 1 caps nothing")
    (lib,) = [lib for lib in threadpoolctl.threadpool_info() if lib["user_api"] == "nogilkit"]
    assert lib["internal_api"] == "nogilkit"
    assert lib["num_threads"] == default_threads()
    assert lib["version"] == nogilkit.__version__
    assert os.path.basename(lib["filepath"]).startswith("nogilkit_threads")
    with threadpoolctl.threadpool_limits(1):
        assert default_threads() == 1
        assert thread_limits()["threadpoolctl"] == 1
    assert thread_limits()["threadpoolctl"] is None  # no cap left behind


def test_a_cap_above_the_cpus_caps_nothing():
    before = default_threads()
    with threadpoolctl.threadpool_limits(_runtime.available_cpus() + 4, user_api="nogilkit"):
        assert thread_limits()["threadpoolctl"] is None
        assert default_threads() == before


def test_native_pools_limited_pins_every_pool_numpy_loaded_included():
    import numpy  # noqa: F401  (its BLAS is loaded, as after `probe -s "import numpy"`)

    with native_pools_limited() as pinned:
        assert pinned is True
        assert default_threads() == 1
        assert all(lib["num_threads"] == 1 for lib in threadpoolctl.threadpool_info())
    assert thread_limits()["threadpoolctl"] is None
