"""The report from fixed rows: every figure, column and reading, no timing."""

import json

import pytest

from nogilkit.engine.harness import Row
from nogilkit.engine.report import COLUMNS, Report, karp_flatt


def row(implementation, strategy, workers, median, *, status="ok", reason="", workload="mandelbrot",
        startup=0.0, interpreter="", ideal=None):
    times = [median * 0.9, median, median * 1.2] if status == "ok" else []
    return Row(workload, "small", implementation, strategy, workers, status, reason, times,
               cpu_seconds=median if status == "ok" else None,
               startup_seconds=startup if status == "ok" else None,
               peak_bytes=50 * 2**20 if status == "ok" else None, chunks=8,
               ideal_seconds=ideal, interpreter=interpreter)


def default_rows():
    """A default comparison on 2 workers, made up: python 1.0 s serial."""
    return [
        row("python", "serial", 1, 1.0),
        row("python", "threads", 2, 1.0),
        row("python", "processes", 2, 0.5, startup=0.15),
        row("python", "asyncio", 2, 1.0),
        row("cython", "serial", 1, 0.010),
        row("cython", "threads", 2, 0.0055),
        row("cython", "processes", 2, 0.008, startup=0.2),
        row("cython", "asyncio+threads", 2, 0.006),
        row("numpy", "serial", 1, 0.1),
        row("numpy", "threads", 2, 0.1),
        row("cython", "openmp", 2, 0.0, status="unavailable", reason="this build has no OpenMP"),
        row("numba", "threads", 2, 0.0, status="unavailable", reason="numba is not installed"),
        row("numba", "serial", 1, 0.0, status="unavailable", reason="numba is not installed"),
    ]


def test_figures_follow_their_definitions():
    report = Report(default_rows())
    f = report.figures(report.rows[2])  # python processes x2: 0.5 s
    assert f["vs_python"] == pytest.approx(2.0)
    assert f["vs_serial"] == pytest.approx(2.0)
    assert f["efficiency"] == pytest.approx(1.0)
    assert f["karp_flatt"] == pytest.approx(0.0)
    f = report.figures(report.rows[5])  # cython threads x2: 5.5 ms against 10 ms
    assert f["vs_python"] == pytest.approx(1.0 / 0.0055)
    assert f["vs_serial"] == pytest.approx(0.010 / 0.0055)
    assert f["karp_flatt"] == pytest.approx(karp_flatt(0.010 / 0.0055, 2))
    assert f["over_ideal"] is None
    assert report.figures(report.rows[-1]) == {}  # did not run: no figures


def test_karp_flatt():
    assert karp_flatt(2.0, 2) == pytest.approx(0.0)  # perfect scaling: no serial part
    assert karp_flatt(1.0, 2) == pytest.approx(1.0)  # no scaling: all serial
    assert karp_flatt(1.5, 1) is None
    assert karp_flatt(None, 2) is None


def test_the_reading_names_each_described_strategy_with_its_notes():
    reading = Report(default_rows()).reading("mandelbrot")
    # Every row's times are (0.9, 1.0, 1.2) x its median: intervals of 0.75x-1.33x the speedup.
    assert reading == (
        "mandelbrot on 2 workers, speedup over serial [95% interval]: "
        "threads: python 1.00x [0.75-1.33] (the GIL serialises pure-Python threads), "
        "cython 1.82x [1.36-2.42] (the kernel releases the GIL), "
        "numpy 1.00x [0.75-1.33] (no clear difference from serial); "
        "processes (200 ms to start): python 2.00x [1.50-2.67], "
        "cython 1.25x [0.94-1.67] (no clear difference from serial); "
        "asyncio coroutines (one thread: they take turns): python 1.00x [0.75-1.33] "
        "(no clear difference from serial).")
    # asyncio+threads declares no phrase: it is in the table, not in the words.
    assert "asyncio+threads" not in reading


def test_without_a_gil_is_said_only_where_the_interpreter_says_so():
    rows = [row("python", "serial", 1, 1.0), row("python", "threads", 2, 0.55)]
    free = Report(rows, provenance={"gil_enabled": False}).reading("mandelbrot")
    assert "(pure Python in parallel: this interpreter runs without a GIL)" in free
    # The same speedup with the GIL on cannot be parallel Python: it is noise.
    gil = Report(rows, provenance={"gil_enabled": True}).reading("mandelbrot")
    assert "without a GIL" not in gil and "(noise: the GIL serialises pure-Python threads)" in gil


def test_a_busy_machine_makes_scaling_inconclusive_never_a_finding():
    rows = [row("cython", "serial", 1, 1.0), row("cython", "threads", 2, 0.95)]
    control = {"cores_requested": 2, "cores_available": 1.1, "sufficient": False,
               "samples": [1.1], "load_before": 3.0, "load_after": 3.5}
    report = Report(rows, provenance={"gil_enabled": True, "control": control})
    reading = report.reading("mandelbrot")
    assert reading.startswith("Inconclusive: the machine was busy (cores available: 1.1 of 2")
    assert "lower bounds, not findings" in reading
    assert "too few for scaling conclusions" in str(report)
    # The same rows on free cores are a finding.
    control = dict(control, cores_available=2.0, sufficient=True)
    assert "Inconclusive" not in Report(rows, provenance={"control": control}).reading("mandelbrot")


def test_one_worker_faster_than_serial_is_labelled_noise():
    rows = [row("cython", "serial", 1, 1.0), row("cython", "threads", 1, 0.6),
            row("cython", "threads", 2, 0.5)]
    report = Report(rows)
    assert report.figures(rows[1])["note"] == "noise: 1 worker cannot beat serial"
    assert report.figures(rows[2])["note"] is None
    assert "noise: 1 worker" in report.table("mandelbrot")


def test_coroutines_on_one_thread_faster_than_serial_are_noise():
    rows = [row("numpy", "serial", 1, 1.0), row("numpy", "asyncio", 2, 0.6)]
    assert "numpy 1.67x [1.25-2.22] (noise: one thread computes one coroutine at a time)" in \
        Report(rows).reading("mandelbrot")


def test_karp_flatt_is_shown_only_beyond_noise_above_1x():
    rows = [row("cython", "serial", 1, 1.0), row("cython", "threads", 2, 0.95),
            row("cython", "processes", 2, 1.5), row("cython", "asyncio", 2, 0.5)]
    report = Report(rows)
    assert report.figures(rows[1])["karp_flatt"] is None  # 1.05x, interval includes 1
    assert report.figures(rows[2])["karp_flatt"] is None  # slower than serial
    assert report.figures(rows[3])["karp_flatt"] == pytest.approx(0.0)


def test_a_slow_kernel_on_threads_gets_no_explanation():
    rows = [row("cython", "serial", 1, 1.0), row("cython", "threads", 2, 0.95)]
    assert Report(rows).reading("mandelbrot").endswith(
        "threads: cython 1.05x [0.79-1.40] (no clear difference from serial).")


def test_start_methods_and_clusters_say_their_shape():
    rows = [row("python", "serial", 1, 1.0), row("python", "processes:spawn", 4, 0.3, startup=0.5),
            row("python", "dask", 4, 0.4, startup=1.0), row("cython", "serial", 1, 1.0),
            row("cython", "dask-threads", 4, 0.3, startup=0.8)]
    reading = Report(rows).reading("mandelbrot")
    assert "processes (spawn) (500 ms to start): python 3.33x" in reading
    assert "dask (4 processes x 1 thread) (1 s to start): python 2.50x" in reading
    assert "dask-threads (1 process x 4 threads) (800 ms to start): cython 3.33x" in reading


def test_one_worker_only_points_at_the_table():
    rows = [row("python", "serial", 1, 1.0), row("python", "threads", 1, 1.0)]
    assert Report(rows).reading("mandelbrot") == "mandelbrot: see the table."


def test_nothing_ran():
    rows = [row("numba", "serial", 1, 0.0, status="unavailable", reason="no numba")]
    assert Report(rows).reading("mandelbrot") == "mandelbrot: nothing ran."


def test_without_a_serial_row_the_reading_and_table_still_work():
    # No baseline: no speedups, but neither a crash nor a made-up figure.
    rows = [row("cython", "threads", 2, 0.01), row("cython", "processes", 2, 0.02)]
    report = Report(rows)
    assert report.figures(rows[0])["vs_serial"] is None
    assert report.reading("mandelbrot") == "mandelbrot: see the table."
    assert "vs python" not in report.table("mandelbrot")
    json.loads(report.to_json())


def test_a_waiting_workload_is_read_against_its_ideal():
    rows = [row("python", "serial", 1, 4.4, workload="io", ideal=4.0),
            row("python", "threads", 16, 0.33, workload="io", ideal=0.25),
            row("python", "processes", 16, 0.36, workload="io", ideal=0.25, startup=1.05)]
    report = Report(rows)
    assert report.reading("io") == (
        "io: time against the ideal, requests x latency / workers (1.00x is perfect): "
        "python+serial x1 1.10x; python+threads x16 1.32x; "
        "python+processes x16 1.44x, after 1.05 s of start-up.")
    assert "vs ideal" in report.table("io").splitlines()[0]


def test_across_interpreters_each_gets_its_own_reading_and_column():
    rows = [row("python", "serial", 1, 1.0, interpreter="3.13"),
            row("python", "threads", 2, 1.1, interpreter="3.13"),
            row("python", "serial", 1, 2.0, interpreter="3.13t"),
            row("python", "threads", 2, 1.0, interpreter="3.13t")]
    report = Report(rows)
    lines = report.reading("mandelbrot").splitlines()
    assert lines[0].startswith("[3.13] mandelbrot on 2 workers") and "0.91x" in lines[0]
    assert lines[1].startswith("[3.13t] mandelbrot on 2 workers") and "2.00x" in lines[1]
    table = report.table("mandelbrot").splitlines()
    assert table[0].split()[:2] == ["python", "implementation"]
    assert table[1].split()[:3] == ["3.13", "python", "serial"]
    # Speedups against each interpreter's own serial row.
    assert report.figures(rows[3])["vs_serial"] == pytest.approx(2.0)


def test_the_table_has_a_line_per_row_and_lists_what_did_not_run():
    rows = default_rows() + [row("python", "processes", 4, 0.0, status="failed",
                                 reason="wrong result: 3 of 100 pixels differ")]
    lines = Report(rows).table("mandelbrot").splitlines()
    header = lines[0].split()
    assert header[:4] == ["implementation", "strategy", "workers", "median"]
    assert lines[1].split()[:5] == ["python", "serial", "1", "1.00", "s"]
    assert lines[11:] == [
        "not measured:",
        "  cython+openmp: this build has no OpenMP",
        "  numba+threads, numba+serial: numba is not installed",
        "  python+processes x4: FAILED: wrong result: 3 of 100 pixels differ",
    ]
    # The numbers' columns line up: each cell ends where its header ends.
    end = lines[0].index("median") + len("median")
    assert [line[:end].split("  ")[-1].strip() for line in lines[1:11]] == [
        "1.00 s", "1.00 s", "500 ms", "1.00 s", "10.0 ms", "5.50 ms", "8.00 ms", "6.00 ms",
        "100 ms", "100 ms"]


@pytest.mark.parametrize("seconds, text", [
    (2.5, "2.50 s"), (1.23456, "1.23 s"), (0.0123, "12.3 ms"), (0.000999996, "1.00 ms"),
    (4.56e-5, "45.6 µs"), (3e-6, "3.00 µs"), (3.2e-7, "320 ns"), (0.0, "0 s"), (None, "-"),
])
def test_times_are_written_in_the_unit_that_suits_them(seconds, text):
    # Never "0.0000" for a run of microseconds; the JSON keeps seconds.
    tiny = [row("python", "serial", 1, 1.0), row("python", "threads", 2, 1.0)]
    tiny[1].times = [] if seconds is None else [seconds]
    report = Report(tiny)
    if seconds:
        line = report.table("mandelbrot").splitlines()[2]
        assert f"  {text}  " in line
        assert report.to_dict()["rows"][1]["median"] == seconds
    assert next(c for c in COLUMNS if c.header == "median").text(seconds) == text


def test_a_failed_rows_reason_is_one_line():
    from nogilkit._text import describe_exception, one_line

    traceback = ("Traceback (most recent call last):\n"
                 '  File "/usr/lib/python3.11/multiprocessing/process.py", line 314, in _bootstrap\n'
                 "    self.run()\n"
                 "OSError: [Errno 24] Too many open files\n")
    assert one_line("a worker died (\n" + traceback + ")") == (
        "a worker died ( OSError: [Errno 24] Too many open files )")
    assert describe_exception(RuntimeError("setup failed:\n" + traceback)) == (
        "RuntimeError: setup failed: OSError: [Errno 24] Too many open files")
    assert one_line("line one\n   line two\n") == "line one line two"
    assert len(one_line("x" * 1000)) == 300
    rows = default_rows() + [
        row("python", "processes", 4, 0.0, status="failed", reason=one_line(traceback))]
    table = Report(rows).table("mandelbrot")
    assert "Traceback" not in table and table.count("Too many open files") == 1


def test_every_column_has_a_header_and_writes_none_as_a_dash():
    headers = [c.header for c in COLUMNS]
    assert len(set(headers)) == len(headers)
    for column in COLUMNS:
        if column.text is not str and column.key != "note":  # a note is blank, not "-"
            assert column.text(None) == "-"
    assert next(c for c in COLUMNS if c.key == "note").text(None) == ""
    keys = [c.key for c in COLUMNS if c.key]
    assert keys == ["vs_python", "vs_serial", "vs_serial_interval", "efficiency", "karp_flatt",
                    "over_ideal", "note"]


def test_json_holds_every_row_with_its_figures_and_the_readings():
    report = Report(default_rows(), config={"size": "small"}, provenance={"cpu_count": 2})
    data = json.loads(report.to_json())
    assert len(data["rows"]) == len(report.rows)
    assert data["rows"][2]["vs_serial"] == pytest.approx(2.0)
    assert data["rows"][2]["median"] == pytest.approx(0.5)
    assert data["readings"]["mandelbrot"] == report.reading("mandelbrot")
    assert Row.from_dict(data["rows"][2]) == report.rows[2]
    assert data["rows"][2]["vs_serial_interval"] == pytest.approx(
        {"value": 2.0, "low": 1.5, "high": 2.0 * 1.2 / 0.9})
    assert Report.from_dict(data).rows == report.rows
    assert Report.from_dict(data).provenance == {"cpu_count": 2}


def test_a_run_inside_joblibs_result_poll_is_read_as_the_poll_not_the_gil():
    # joblib looks for results every 10 ms: a 0.5 ms pure-Python job takes
    # 10.5 ms on its threading backend, and the GIL has nothing to do with it.
    report = Report([row("python", "serial", 1, 0.0005),
                     row("python", "joblib-threading", 2, 0.0105),
                     row("cython", "serial", 1, 0.004),
                     row("cython", "joblib-threading", 2, 0.0104),
                     row("cython", "threads", 2, 0.0021)], {})
    reading = report.reading("mandelbrot")
    assert ("python 0.05x [0.04-0.06] (joblib's result poll, 10 ms a run, is over half of its "
            "10.5 ms)") in reading
    assert "cython 0.38x" in reading and "is over half of its 10.4 ms" in reading
    assert "serialises" not in reading
    # The plain threads row has no such floor.
    assert "threads: cython 1.90x" in reading and "(the kernel releases the GIL)" in reading
    # A run long enough for the poll to be a small part keeps the GIL's words.
    long = Report([row("python", "serial", 1, 0.5), row("python", "joblib-threading", 2, 0.52)], {})
    assert "(the GIL serialises pure-Python threads)" in long.reading("mandelbrot")
    # joblib polls once per call: a run of three rounds (k-means' iterations)
    # has a floor of three polls.
    rounds = [row("cython", "serial", 1, 0.0006), row("cython", "joblib-threading", 2, 0.0317)]
    rounds[1].calls = 3
    assert ("cython 0.02x [0.01-0.03] (joblib's result poll, 10 ms x 3 calls, is over half of "
            "its 31.7 ms)") in Report(rounds, {}).reading("mandelbrot")
    rounds[1].calls = 1
    assert "poll" not in Report(rounds, {}).reading("mandelbrot")
