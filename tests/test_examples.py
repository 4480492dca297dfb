"""The examples, run as a user runs them: ``python examples/x.py`` from a
checkout, against the installed package. Each runs its work under the main
guard: spawn and forkserver workers import the main script."""

import os
import pathlib
import subprocess
import sys
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

# What each example prints, in part; the arguments it is given.
EXPECTED = {
    "compare_function.py": ([], ["== work.collatz_longest (8 items) ==",
                                 "function        processes        2", "measured: serial loop"]),
    "compare_workloads.py": (["{tmp}"], ["== mandelbrot (tiny: ", "== nbody (tiny: ",
                                         "cython          processes        2",
                                         "wrote {tmp}{sep}report.json and {tmp}{sep}speedup.png"]),
    "threads_mandelbrot.py": ([], ["region (-2.0, 0.5, -1.25, 1.25): 1000x1000 escape counts",
                                   "3 images on 3 threads in "]),
    "work.py": ([], ["compress: 228,889 bytes -> ", "collatz_longest(1): 181 steps"]),
}


def test_every_example_is_tested_and_in_the_readme():
    found = sorted(p.name for p in EXAMPLES.glob("*.py"))
    assert found == sorted(EXPECTED)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in found:
        assert f"examples/{name}" in readme, name
        assert 'if __name__ == "__main__":' in (EXAMPLES / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_an_example_runs_as_a_script(name, tmp_path):
    args, expected = EXPECTED[name]
    args = [a.format(tmp=tmp_path) for a in args]
    start = time.monotonic()
    done = subprocess.run([sys.executable, f"examples/{name}", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=180)
    seconds = time.monotonic() - start
    assert done.returncode == 0, done.stderr
    for text in expected:
        assert text.format(tmp=tmp_path, sep=os.sep) in done.stdout, done.stdout
    assert "Traceback" not in done.stderr, done.stderr
    print(f"{name}: {seconds:.1f} s")
    if name == "compare_workloads.py":
        assert (tmp_path / "report.json").stat().st_size > 0
        assert (tmp_path / "speedup.png").stat().st_size > 0
