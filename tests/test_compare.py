import json
import subprocess
import sys

import numpy as np
import pytest

from nogilkit import compare

TINY = compare.Config(width=48, height=30, max_iter=64, threads=(1, 2, 3), repeats=2, python_rows=5)


def test_comparison_rows_are_verified_and_consistent():
    report = compare.run_comparison(TINY)
    kinds = [(r.implementation, r.threads) for r in report.rows]
    assert kinds == [("python", 1), ("numpy", 1), ("cython", 1), ("cython", 2), ("cython", 3)]
    python = report.rows[0]
    assert python.rows_timed == 5
    assert python.seconds == pytest.approx(python.timing.median * 30 / 5)
    for row in report.rows:
        assert len(row.timing.times) == 2
        assert row.speedups["vs python"] == pytest.approx(python.seconds / row.seconds)
        if row.implementation == "cython":
            assert row.speedups["efficiency"] == pytest.approx(
                row.speedups["vs cython 1 thread"] / row.threads
            )
    text = compare.format_report(report)
    assert "python (est.)" in text and "verified" in text


def test_a_wrong_kernel_result_is_a_failure_not_a_row(monkeypatch):
    real = compare.cython_mandelbrot

    def wrong(*args, threads=None, **kwargs):
        image = real(*args, threads=threads, **kwargs)
        if threads == 2:
            image[0, 0] += 1
        return image

    monkeypatch.setattr(compare, "cython_mandelbrot", wrong)
    with pytest.raises(compare.VerificationError, match="cython threads=2 differs .* in 1 pixels"):
        compare.run_comparison(TINY)


def test_wrong_numpy_result_is_caught(monkeypatch):
    monkeypatch.setattr(
        compare.vectorized, "mandelbrot", lambda *a, **k: np.zeros((30, 48), dtype=np.int32)
    )
    with pytest.raises(compare.VerificationError, match="numpy differs"):
        compare.run_comparison(TINY)


def test_default_thread_counts_cover_one_to_all_cpus(monkeypatch):
    monkeypatch.setattr(compare, "available_cpus", lambda: 6)
    assert compare.Config().thread_counts() == (1, 2, 4, 6)
    monkeypatch.setattr(compare, "available_cpus", lambda: 1)
    assert compare.Config().thread_counts() == (1,)


def test_cli_compare_writes_json(tmp_path):
    path = tmp_path / "report.json"
    result = subprocess.run(
        [sys.executable, "-m", "nogilkit", "compare", "--width", "40", "--height", "20",
         "--max-iter", "32", "--repeats", "1", "--threads", "1,2",
         "--implementations", "python,cython", "--json", str(path)],
        capture_output=True, text=True, timeout=120, check=True,
    )
    assert "cython" in result.stdout
    report = json.loads(path.read_text())
    assert [(r["implementation"], r["threads"]) for r in report["rows"]] == [
        ("python", 1), ("cython", 1), ("cython", 2)
    ]
    assert report["system"]["nogilkit"]


@pytest.mark.parametrize(
    "args,message",
    [
        (["--threads", "0"], "expected a positive integer"),
        (["--repeats", "x"], "expected a positive integer"),
        (["--implementations", "fortran"], "expected a comma-separated list"),
    ],
)
def test_cli_compare_rejects_bad_options(args, message):
    result = subprocess.run(
        [sys.executable, "-m", "nogilkit", "compare", *args],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2 and message in result.stderr


def test_plot_is_written(tmp_path):
    pytest.importorskip("matplotlib")
    report = compare.run_comparison(TINY)
    path = tmp_path / "compare.png"
    compare.plot_report(report, path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_without_matplotlib_names_the_extra(monkeypatch):
    report = compare.run_comparison(TINY)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"nogilkit\[plot\]"):
        compare.plot_report(report, "unused.png")
