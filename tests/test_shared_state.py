"""counter_race and lock_contention: exact results and behaviour, never timings."""

import json
import threading

import pytest

from nogilkit import demos
from nogilkit._text import format_seconds

VARIANT_NAMES = [name for name, _ in demos.COUNTER_VARIANTS]


@pytest.fixture(autouse=True)
def no_leaked_threads():
    before = threading.active_count()
    yield
    assert threading.active_count() == before


@pytest.fixture(scope="module")
def race():
    return demos.counter_race(threads=4, increments=2_000, repeats=3)


@pytest.fixture(scope="module")
def contention():
    return demos.lock_contention(threads=(1, 3, 2), operations=1_001, repeats=2)


def test_counter_race_describes_the_run(race):
    assert (race.threads, race.increments, race.repeats) == (4, 2_000, 3)
    assert race.expected == 8_000
    assert race.available_cpus >= 1
    assert [v.name for v in race.variants] == VARIANT_NAMES
    for variant in race.variants:
        assert race[variant.name] is variant
        assert variant.expected == 8_000
        assert len(variant.final) == len(variant.timing.times) == 3
        assert variant.lost == tuple(8_000 - final for final in variant.final)
    with pytest.raises(KeyError):
        race["nonexistent"]


def test_unsynchronised_loses_updates_in_every_run(race):
    unsynchronised = race["unsynchronised"]
    # Every thread reads 0 at its first (switched) increment before any writes.
    assert all(lost >= race.threads - 1 for lost in unsynchronised.lost)
    # A write stores one more than some earlier read: the count never grows too high.
    assert all(0 < final < unsynchronised.expected for final in unsynchronised.final)
    assert not unsynchronised.exact


@pytest.mark.parametrize("name", ["lock", "queue"])
def test_synchronised_variants_are_exact(race, name):
    variant = race[name]
    assert variant.exact
    assert variant.lost == (0, 0, 0) and variant.final == (8_000,) * 3


@pytest.mark.parametrize("threads,increments", [(2, 1), (2, 300), (3, 2), (8, 40)])
def test_unsynchronised_loses_updates_with_few_threads_and_increments(threads, increments):
    race = demos.counter_race(threads=threads, increments=increments, repeats=3)
    assert all(lost >= threads - 1 for lost in race["unsynchronised"].lost)
    assert race["lock"].exact and race["queue"].exact


def test_one_thread_loses_nothing_and_says_why():
    race = demos.counter_race(threads=1, increments=500, repeats=2)
    for variant in race.variants:
        assert variant.exact and variant.final == (500, 500)
    assert "note: with one thread" in str(race)


def test_counter_race_table(race):
    lines = str(race).splitlines()
    assert "4 threads x 2,000 increments = 8,000" in lines[0]
    assert f"{race.available_cpus} CPUs available" in lines[0]
    for variant, line in zip(race.variants, lines[2:]):
        assert line.startswith(variant.name)
        assert format_seconds(variant.timing.median, fixed=True) in line
        assert f"{max(variant.lost):,}" in line
        assert variant.description in line
    assert "note: with one thread" not in str(race)


def test_counter_race_to_dict_is_json(race):
    d = race.to_dict()
    assert json.loads(json.dumps(d, allow_nan=False)) == d
    assert [v["name"] for v in d["variants"]] == VARIANT_NAMES
    assert d["expected"] == 8_000 and d["switch_every"] == demos.SWITCH_EVERY
    for v, variant in zip(d["variants"], race.variants):
        assert v["final"] == list(variant.final) and v["lost"] == list(variant.lost)
        assert v["exact"] == variant.exact
        assert v["timing"]["times"] == list(variant.timing.times)


def test_lock_contention_entries_are_exact_and_in_order(contention):
    assert contention.threads == (1, 3, 2)
    assert [e.threads for e in contention.entries] == [1, 3, 2]
    for entry in contention.entries:
        assert contention[entry.threads] is entry
        assert entry.operations == 1_001
        assert entry.final == (1_001, 1_001) and entry.exact
        assert len(entry.timing.times) == 2
        assert entry.seconds_per_operation == entry.timing.median / 1_001
    assert contention.baseline is contention[1]
    assert contention.ratios[0] == 1.0
    with pytest.raises(KeyError):
        contention[5]


def test_lock_contention_splits_the_operations():
    assert demos._shares(1_001, 3) == [334, 334, 333]
    assert demos._shares(2, 4) == [1, 1, 0, 0]
    # More threads than operations: some threads have nothing to do, the count stays exact.
    result = demos.lock_contention(threads=[4], operations=2, repeats=1)
    assert result.entries[0].final == (2,)


def test_lock_contention_table_and_dict(contention):
    table = str(contention)
    lines = table.splitlines()
    assert "1,001 increments under one threading.Lock" in lines[0]
    assert "vs 1 thread" in lines[1]
    for entry, line in zip(contention.entries, lines[2:]):
        assert line.split()[0] == str(entry.threads)
        assert format_seconds(entry.seconds_per_operation, fixed=True) in line
        assert "1,001, 1,001" in line and line.endswith("yes")
    d = contention.to_dict()
    assert json.loads(json.dumps(d, allow_nan=False)) == d
    assert d["threads"] == [1, 3, 2] and d["baseline_threads"] == 1
    assert [e["threads"] for e in d["entries"]] == [1, 3, 2]
    assert all(e["final"] == [1_001, 1_001] and e["exact"] for e in d["entries"])
    assert d["entries"][0]["ratio"] == 1.0


def test_lock_contention_default_threads():
    result = demos.lock_contention(operations=64, repeats=1)
    assert result.threads == (1, 2, 4, 8)
    assert all(entry.exact for entry in result.entries)


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"threads": 0}, ValueError, "threads must be >= 1"),
        ({"threads": "x"}, TypeError, "threads must be an integer"),
        ({"threads": 2.0}, TypeError, "threads must be an integer"),
        ({"increments": -1}, ValueError, "increments must be >= 1"),
        ({"increments": True}, TypeError, "increments must be an integer"),
        ({"repeats": 0}, ValueError, "repeats must be >= 1"),
    ],
)
def test_counter_race_bad_arguments_raise(kwargs, error, match):
    with pytest.raises(error, match=match):
        demos.counter_race(**kwargs)


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"threads": []}, ValueError, "threads must contain at least one"),
        ({"threads": [0]}, ValueError, r"threads\[0\] must be >= 1"),
        ({"threads": (1, -2)}, ValueError, r"threads\[1\] must be >= 1"),
        ({"threads": [1, "2"]}, TypeError, r"threads\[1\] must be an integer"),
        ({"threads": 4}, TypeError, "threads must be a sequence"),
        ({"threads": "12"}, TypeError, "threads must be a sequence"),
        ({"operations": 0}, ValueError, "operations must be >= 1"),
        ({"operations": 1.5}, TypeError, "operations must be an integer"),
        ({"repeats": 0}, ValueError, "repeats must be >= 1"),
    ],
)
def test_lock_contention_bad_arguments_raise(kwargs, error, match):
    with pytest.raises(error, match=match):
        demos.lock_contention(**kwargs)


def test_an_error_in_a_thread_is_raised_after_all_are_joined():
    finished = []

    def fail():
        raise ZeroDivisionError("in a thread")

    with pytest.raises(ZeroDivisionError, match="in a thread"):
        demos._run_threads([lambda: finished.append(1), fail, lambda: finished.append(2)], "test")
    assert sorted(finished) == [1, 2]


@pytest.mark.parametrize(
    "variant,failing_start",
    # Three workers; the queue variant's 4th thread is its owner.
    [(name, start) for name in VARIANT_NAMES for start in (1, 3)] + [("queue", 4)],
)
def test_threads_are_joined_when_starting_one_fails(monkeypatch, variant, failing_start):
    starts = []

    class FailingThread(threading.Thread):
        def start(self):
            starts.append(self)
            if len(starts) == failing_start:
                raise RuntimeError("can't start new thread")
            super().start()

    monkeypatch.setattr(demos.threading, "Thread", FailingThread)
    with pytest.raises(RuntimeError, match="can't start new thread"):
        demos._count_once(variant, 3, 200)
    monkeypatch.undo()
    assert all(not thread.is_alive() for thread in starts)


def test_the_command_line(tmp_path):
    import subprocess
    import sys

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "nogilkit", "demo", *args],
                              capture_output=True, text=True, timeout=120)

    path = tmp_path / "counter.json"
    done = cli("counter", "--threads", "3", "--json", str(path))
    assert done.returncode == 0, done.stderr
    assert "unsynchronised" in done.stdout and "queue" in done.stdout
    assert json.loads(path.read_text())["threads"] == 3
    done = cli("contention", "--threads", "1,2")
    assert done.returncode == 0 and "time per op" in done.stdout
    assert cli("counter", "--threads", "1,2").returncode == 2
    assert cli("histogram", "--json", str(path)).returncode == 2
    assert cli("teleport").returncode == 2


def test_the_natural_race_never_gains_counts(race):
    natural = race["natural"]
    assert all(0 < final <= natural.expected for final in natural.final)
    assert "natural" in str(race)
