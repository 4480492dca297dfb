"""Workload ``io`` under every strategy that can run it, and its faults."""

import multiprocessing
import os
import threading
import time

import pytest

import nogilkit
from nogilkit.net.client import FetchError
from nogilkit.engine.harness import run_combination
from nogilkit.strategies import Options, get_strategy
from nogilkit.workloads import get_workload

STRATEGIES = ("serial", "threads", "processes", "asyncio", "asyncio+threads", "asyncio+processes",
              "threads+loop")


@pytest.fixture(scope="module")
def io():
    return get_workload("io")


@pytest.fixture
def problem(io):
    problem = io.prepare_checked("tiny")
    yield problem
    problem.close()


def open_fds():
    return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 0


def settle(children):
    deadline = time.monotonic() + 5
    while multiprocessing.active_children() != children and time.monotonic() < deadline:
        time.sleep(0.05)
    return multiprocessing.active_children()


def test_every_strategy_fetches_every_resource_correctly():
    threads = threading.active_count()
    report = nogilkit.compare(["io"], ["python"], STRATEGIES, [3], size="tiny", repeats=2)
    assert [(r.strategy, r.status) for r in report.rows] == \
        [(s, "ok") for s in STRATEGIES], [r.reason for r in report.rows]
    for row in report.rows:
        requests = get_workload("io").sizes["tiny"]["requests"]
        assert row.chunks == requests
        assert row.ideal_seconds == pytest.approx(requests * 0.005 / row.workers)
        assert report.figures(row)["over_ideal"] > 0
    assert "against the ideal" in report.reading("io")
    # The server process started by prepare is gone with the comparison.
    assert settle([]) == []
    assert threading.active_count() == threads


def test_the_default_workers_of_io_go_beyond_the_cores():
    from nogilkit.engine.compare import default_workers, plan

    assert default_workers("io") == [4, 16]
    assert {n for *_, n in plan(["io"], ["python"], ["threads"], None)} == {4, 16}
    assert {n for *_, n in plan(["io"], ["python"], ["threads"], [2])} == {2}


def test_io_has_only_the_python_implementation(io):
    assert "no cython implementation" in io.unavailable("cython")
    report = nogilkit.compare(["io"], ["cython"], ["serial"], size="tiny", repeats=1)
    assert report.rows[0].status == "unavailable"


def test_a_wrong_body_fails_the_check(problem, io):
    problem.expected[3] = b"not this"
    row = run_combination(io, problem, "python", get_strategy("serial"), 1, Options(), repeats=1)
    assert row.status == "failed" and "first at request 3" in row.reason


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("fault, message", [
    ("refused", "connection refused"),
    ("stall", "no response within 0.3 s"),
    ("truncate", "closed the connection after"),
])
def test_faults_raise_a_clear_error_in_bounded_time_and_leak_nothing(io, problem, strategy, fault,
                                                                     message):
    problem.params["timeout"] = 0.3
    if fault == "refused":
        problem.close()  # the server is gone
    else:
        problem.params["fault"] = fault
    threads, children = threading.active_count(), settle(multiprocessing.active_children())
    fds = open_fds()
    start = time.monotonic()
    with pytest.raises(FetchError, match=message):
        run_combination(io, problem, "python", get_strategy(strategy), 2, Options(), repeats=1)
    assert time.monotonic() - start < 30  # bounded: a hang would never get here
    assert settle(children) == children
    assert threading.active_count() == threads
    assert open_fds() == fds  # no socket or pipe left open


def test_the_problem_owns_its_server_until_closed(io):
    problem = io.prepare_checked("tiny")
    (server,) = [p for p in multiprocessing.active_children() if p.name == "nogilkit-server"]
    problem.close()
    problem.close()  # idempotent
    assert server not in multiprocessing.active_children()
