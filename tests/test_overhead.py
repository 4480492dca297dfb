"""nogilkit.overhead: what it measures, what it reports, and that it cleans up.

Behaviour and exact results only: no test depends on how fast anything is.
"""

import json
import math
import multiprocessing
import os
import pickle
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import shared_memory

import numpy as np
import pytest

from nogilkit import overhead
from nogilkit.overhead import MECHANISMS, checksum, measure_overheads, payload_sizes
from nogilkit._runtime import available_start_methods, default_start_method

from .leaks import threads

KIB = 1024
MAX_PAYLOAD = 64 * KIB
SIZES = [KIB, 4 * KIB, 16 * KIB, 64 * KIB]
ROUND_TRIPS = ("pickle round trip", "shared-memory round trip")
AVAILABLE = multiprocessing.get_all_start_methods()
FIRST_METHOD = available_start_methods()[0]  # fork where the OS has it (Windows: spawn)


def record_blocks(monkeypatch):
    """A list that gets the name of every shared-memory block this process creates."""
    names = []

    class Recording(shared_memory.SharedMemory):
        def __init__(self, name=None, create=False, size=0, **kwargs):
            super().__init__(name, create, size, **kwargs)
            if create:
                names.append(self.name)

    monkeypatch.setattr(shared_memory, "SharedMemory", Recording)
    return names


@pytest.fixture
def created_blocks(monkeypatch):
    return record_blocks(monkeypatch)


def assert_gone(names):
    for name in names:
        with pytest.raises(FileNotFoundError):
            shared_memory.SharedMemory(name)
        if os.path.isdir("/dev/shm"):
            assert not os.path.exists(os.path.join("/dev/shm", name.lstrip("/")))


@pytest.fixture(scope="module")
def run():
    """One quick run, with what it reported to progress and what it left behind."""
    calls = []
    threads_before = threads()
    with pytest.MonkeyPatch.context() as mp:
        blocks = record_blocks(mp)
        report = measure_overheads(quick=True, max_payload=MAX_PAYLOAD,
                                   progress=lambda *args: calls.append(args))
    return {
        "report": report,
        "progress": calls,
        "blocks": blocks,
        "threads_before": threads_before,
        "threads_after": threads(),
        "children_after": multiprocessing.active_children(),
    }


def test_a_row_for_every_mechanism(run):
    report = run["report"]
    assert [m for m in dict.fromkeys(row.mechanism for row in report.rows)] == [
        name for name, _ in MECHANISMS]
    for name, detail in MECHANISMS[:7]:
        (row,) = report.rows_for(name)
        assert row.detail == detail
        assert row.nbytes is None and row.mb_per_s is None
    starts = report.rows_for("process start")
    assert [row.detail for row in starts] == ["fork", "forkserver", "spawn"]
    for row in starts:
        assert row.available == (row.detail in AVAILABLE)


def test_every_measured_time_is_positive_and_finite(run):
    for row in run["report"].rows:
        if not row.available:
            continue
        assert row.number >= 1
        assert len(row.timing.times) == run["report"].config["repeats"]
        for seconds in (row.seconds, *row.timing.times):
            assert math.isfinite(seconds) and seconds > 0
        assert row.timing.min <= row.seconds <= row.timing.max


def test_payload_rows_cover_every_size_both_ways(run):
    report = run["report"]
    for mechanism in ROUND_TRIPS:
        rows = report.rows_for(mechanism)
        assert [row.nbytes for row in rows] == SIZES
        assert [row.detail for row in rows] == ["1 KiB", "4 KiB", "16 KiB", "64 KiB"]
        for row in rows:
            assert row.mb_per_s == row.nbytes / row.seconds / 1e6
            assert math.isfinite(row.mb_per_s) and row.mb_per_s > 0
    assert report.config["payload_sizes"] == SIZES
    assert report.config["max_payload"] == MAX_PAYLOAD
    assert report.config["pool_start_method"] == default_start_method()


def test_progress_is_told_before_each_measurement(run):
    calls, rows = run["progress"], run["report"].rows
    assert len(calls) == len(rows) + 1
    assert [done for done, _, _ in calls] == list(range(len(rows) + 1))
    assert {total for _, total, _ in calls} == {len(rows)}
    assert calls[0][2] == "for-loop iteration"
    assert calls[-1][2] == "done"
    assert "process start (spawn)" in [label for _, _, label in calls]
    assert "shared-memory round trip 64 KiB" in [label for _, _, label in calls]


def test_nothing_is_left_behind(run):
    assert run["threads_after"] == run["threads_before"]
    assert run["children_after"] == []
    # One block per payload size, each unlinked.
    assert len(run["blocks"]) == len(SIZES)
    assert_gone(run["blocks"])


def test_to_dict_is_json_ready(run):
    report = run["report"]
    data = report.to_dict()
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert json.loads(report.to_json()) == data
    assert len(data["rows"]) == len(report.rows)
    first = data["rows"][0]
    assert first["mechanism"] == "for-loop iteration"
    assert first["seconds"] == report.rows[0].seconds
    payload = next(r for r in data["rows"] if r["mechanism"] == "pickle round trip")
    assert payload["bytes"] == KIB and payload["mb_per_s"] > 0
    assert data["config"]["quick"] is True


def test_str_is_an_aligned_table(run):
    report = run["report"]
    text = str(report)
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("mechanism"))
    table = lines[header:header + 1 + len(report.rows)]
    assert [line.split("  ")[0].strip() for line in table[1:]] == [r.mechanism for r in report.rows]
    # The median column ends at the same place on every line of a measured row.
    end = table[0].index("median") + len("median")
    for line, row in zip(table[1:], report.rows):
        if row.available:
            assert line[end - 2:end] in ("ns", "µs", "ms", " s")
    assert "MB/s" in table[0]
    assert "(quick)" in lines[0]


def test_the_round_trips_verify_what_comes_back(created_blocks):
    payload = np.arange(3000, dtype=np.uint32).view(np.uint8)[:5000]
    wrong = (checksum(payload) + 1) % 2**64
    context = multiprocessing.get_context(default_start_method())
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        assert pool.submit(checksum, payload).result() == checksum(payload)
        with pytest.raises(RuntimeError, match="pickle round trip of 5000 bytes returned checksum"):
            overhead._pickle_sample(pool, payload, wrong)(1)
        with pytest.raises(RuntimeError, match="shared-memory round trip of 5000 bytes"):
            overhead._time_shared(pool, payload, wrong, 1, 0.0)
        # And right answers pass.
        timing, number = overhead._time_shared(pool, payload, checksum(payload), 2, 0.0)
        assert number == 1 and len(timing.times) == 2
    assert len(created_blocks) == 2
    assert_gone(created_blocks)
    assert multiprocessing.active_children() == []


@pytest.mark.posix("starts a process with fork")
def test_unavailable_start_methods_are_rows_that_say_so(monkeypatch):
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["fork"])
    report = measure_overheads(quick=True, max_payload=KIB)
    rows = {row.detail: row for row in report.rows_for("process start")}
    assert list(rows) == ["fork", "forkserver", "spawn"]
    assert rows["fork"].available
    for method in ("spawn", "forkserver"):
        row = rows[method]
        assert not row.available and row.seconds is None and row.timing is None
        assert row.note == f"start method {method!r} is not available here (available: fork)"
        assert f"not measured: start method {method!r}" in str(report)
    data = report.to_dict()
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert report.config["pool_start_method"] == "spawn"
    assert multiprocessing.active_children() == []
    with pytest.raises(ValueError, match=r"start_methods must name .* \(fork\), got 'spawn'"):
        measure_overheads(quick=True, start_methods=["spawn"])


@pytest.mark.skipif("fork" not in AVAILABLE, reason="needs the fork start method")
def test_start_methods_picks_the_process_rows():
    report = measure_overheads(quick=True, max_payload=KIB, start_methods=("fork", "fork"))
    assert [row.detail for row in report.rows_for("process start")] == ["fork"]
    assert report.config["start_methods"] == ["fork"]
    assert [row.nbytes for row in report.rows_for("pickle round trip")] == [KIB]
    assert report.rows_for("process start")[0].seconds > 0


@pytest.mark.parametrize("value", [0, -1, 1023])
def test_max_payload_below_1_kib_is_rejected(value):
    with pytest.raises(ValueError, match=f"max_payload must be >= 1024, got {value}"):
        measure_overheads(quick=True, max_payload=value)


@pytest.mark.parametrize("value", [1.5, "65536", None, True])
def test_max_payload_must_be_an_integer(value):
    with pytest.raises(TypeError, match="max_payload must be an integer"):
        measure_overheads(quick=True, max_payload=value)


@pytest.mark.parametrize("value", [["vfork"], "threads", ["fork", 3], [None]])
def test_unknown_start_methods_are_rejected(value):
    valid = ", ".join(AVAILABLE)
    message = rf"start_methods must name start methods available here \({valid}\)"
    with pytest.raises(ValueError, match=message):
        measure_overheads(quick=True, start_methods=value)


def test_start_methods_must_be_a_sequence():
    with pytest.raises(TypeError, match="start_methods must be a sequence"):
        measure_overheads(quick=True, start_methods=3)


def test_progress_must_be_callable():
    with pytest.raises(TypeError, match="progress must be callable or None, got int"):
        measure_overheads(quick=True, progress=3)


def test_bad_arguments_start_nothing(created_blocks):
    threads = threading.active_count()
    for kwargs in ({"max_payload": 10}, {"start_methods": ["x"]}, {"progress": "bar"}):
        with pytest.raises((TypeError, ValueError)):
            measure_overheads(**kwargs)
    assert created_blocks == []
    assert threading.active_count() == threads
    assert multiprocessing.active_children() == []


def test_payload_sizes():
    assert payload_sizes(KIB) == [KIB]
    assert payload_sizes(MAX_PAYLOAD) == SIZES
    assert payload_sizes(100_000) == [*SIZES, 100_000]
    sizes = payload_sizes()
    assert sizes == [KIB * 4**k for k in range(9)] and sizes[-1] == 64 * 2**20
    with pytest.raises(ValueError, match="max_payload"):
        payload_sizes(1000)


def test_checksum_is_the_word_sum_plus_the_tail():
    data = np.arange(1, 20, dtype=np.uint8)  # 2 words and 3 trailing bytes
    raw = data.tobytes()
    words = [int.from_bytes(raw[i:i + 8], sys.byteorder) for i in (0, 8)]
    assert checksum(data) == (sum(words) + 17 + 18 + 19) % 2**64
    # Words wrap modulo 2**64.
    assert checksum(np.full(16, 255, dtype=np.uint8)) == 2**64 - 2
    assert checksum(np.zeros(0, dtype=np.uint8)) == 0
    assert checksum(np.array([7], dtype=np.uint8)) == 7
    changed = data.copy()
    changed[5] ^= 1
    assert checksum(changed) != checksum(data)
    # An unaligned view gives the same answer as an aligned copy.
    buffer = np.zeros(4097, dtype=np.uint8)
    buffer[1:] = np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8)
    assert checksum(buffer[1:]) == checksum(buffer[1:].copy())


def test_shm_worker_reads_the_block_by_name(created_blocks):
    data = np.random.default_rng(2).integers(0, 256, 3000, dtype=np.uint8)
    with overhead._shared_block(data.nbytes) as segment:
        view = np.ndarray(data.shape, dtype=np.uint8, buffer=segment.buf)
        view[:] = data
        del view
        assert overhead._shm_checksum(segment.name, 3000) == checksum(data)
        assert overhead._shm_checksum(segment.name, 17) == checksum(data[:17])
    assert_gone(created_blocks)


def test_worker_functions_are_picklable_by_reference():
    for function in (checksum, overhead._shm_checksum):
        assert pickle.loads(pickle.dumps(function)) is function


def test_the_command_line(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "overhead.json"
    done = subprocess.run([sys.executable, "-m", "nogilkit", "overhead", "--quick", "--quiet",
                           "--max-payload", "4096", "--start-methods", FIRST_METHOD,
                           "--json", str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "pickle round trip" in done.stdout and "shared-memory round trip" in done.stdout
    assert json.loads(path.read_text())["rows"]
    bad = subprocess.run([sys.executable, "-m", "nogilkit", "overhead", "--start-methods", "teleport"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "teleport" in bad.stderr
