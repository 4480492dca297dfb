"""One comparison across several Pythons (nogilkit compare --python)."""

import json
import subprocess
import sys

import pytest

import nogilkit
from nogilkit.engine.harness import Row
from nogilkit.engine.pythons import command_line, describe
from nogilkit.strategies import Options

from .interpreters import built_pythons


def test_rows_are_labelled_with_their_interpreter_and_figured_within_it():
    report = nogilkit.compare(["mandelbrot"], ["python", "cython"], ["serial", "threads"], [2],
                              size="tiny", repeats=1, pythons=[sys.executable, sys.executable])
    label = describe(sys.executable)["label"]
    assert label == "%d.%d.%d" % sys.version_info[:3] + ("" if nogilkit._runtime.gil_enabled() else "t")
    assert report.interpreters() == [label, f"{label} #2"]
    assert len(report.rows) == 2 * 4 and all(r.ok for r in report.rows)
    assert report.config["interpreters"][0]["path"] == sys.executable
    for serial in (report.rows[0], report.rows[4]):  # each against its own serial run
        assert (serial.strategy, report.figures(serial)["vs_serial"]) == ("serial", 1.0)
    text = str(report)
    assert text.splitlines()[1].startswith("python") and f"\n{label} " in text
    data = json.loads(report.to_json())
    assert {row["interpreter"] for row in data["rows"]} == {label, f"{label} #2"}
    assert report.reading("mandelbrot").startswith(f"[{label}] ")


def test_rows_round_trip_through_json():
    row = Row("mandelbrot", "tiny", "python", "threads", 2, "ok", times=[0.5, 0.25],
              interpreter="3.13.5t")
    again = Row.from_dict(json.loads(json.dumps(row.to_dict())))
    assert again == row


def test_the_child_command_reproduces_the_options():
    args = command_line(["mandelbrot"], ["cython"], ["threads"], [1, 2], "tiny", 3,
                        Options(start_method="spawn", transfer="shm"), "out.json")
    assert args[:3] == ["-m", "nogilkit", "compare"]
    for flag, value in (("--workers", "1,2"), ("--start-method", "spawn"), ("--transfer", "shm"),
                        ("--repeats", "3"), ("--json", "out.json")):
        assert args[args.index(flag) + 1] == value


def test_an_interpreter_without_nogilkit_is_refused_before_anything_runs(tmp_path):
    import venv

    bare = tmp_path / "bare"
    venv.create(bare, with_pip=False)
    python = bare / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    with pytest.raises(ValueError, match="cannot import nogilkit there"):
        describe(str(python))
    done = subprocess.run([sys.executable, "-m", "nogilkit", "compare", "--python", str(python),
                           "--size", "tiny", "--no-plot"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and "cannot import nogilkit there" in done.stderr
    with pytest.raises(ValueError, match="cannot run it"):
        describe(str(tmp_path / "nowhere"))


@pytest.mark.skipif(not built_pythons(), reason="needs the interpreters of tools/build_cpython.sh")
def test_the_built_interpreters_side_by_side():
    gil, nogil = built_pythons()
    report = nogilkit.compare(["mandelbrot"], ["python", "cython"], ["serial", "threads"], [2],
                              size="tiny", repeats=1, pythons=[gil, nogil])
    labels = report.interpreters()
    assert len(labels) == 2 and labels[1] == labels[0] + "t"  # the GIL stays off under 3.13t
    assert all(r.ok for r in report.rows)


@pytest.mark.skipif(not built_pythons(), reason="needs the interpreters of tools/build_cpython.sh")
def test_under_the_free_threaded_build_the_gil_stays_off_and_kernels_are_correct():
    import pathlib

    nogil = built_pythons()[1]
    tests = pathlib.Path(__file__).parent
    done = subprocess.run([nogil, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(tests / "test_free_threading.py")],
                          capture_output=True, text=True, timeout=600, cwd=tests.parent)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "skipped" not in done.stdout  # the GIL test ran: this build is free-threaded
