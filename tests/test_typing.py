"""PEP 561 typing of the public API, and the docstrings' examples run as doctests."""

import doctest
import importlib
import pathlib
import re
import subprocess
import sys

import pytest

import nogilkit

DATA = pathlib.Path(__file__).parent / "data"
DOCTESTED = ["nogilkit", "nogilkit.kernels._mandelbrot", "nogilkit.kernels._spectral_norm",
             "nogilkit.kernels._nbody", "nogilkit.kernels._kmeans", "nogilkit.kernels._histogram",
             "nogilkit.kernels._stream"]


def test_the_package_says_it_is_typed():
    assert (pathlib.Path(nogilkit.__file__).parent / "py.typed").is_file()


@pytest.mark.parametrize("module", DOCTESTED)
def test_docstring_examples_run(module):
    failed, attempted = doctest.testmod(importlib.import_module(module), verbose=False)
    assert failed == 0
    if module != "nogilkit":  # its compare example is skipped: it runs worker processes
        assert attempted > 0


def test_every_public_kernel_has_an_examples_section():
    for name in nogilkit.kernels.__all__:
        function = getattr(nogilkit, name)
        if callable(function) and not isinstance(function, type):
            # Python 3.13 strips docstrings' indentation when it compiles them.
            assert re.search(r"\n\s*Examples\n\s*--------\n", function.__doc__), name


def mypy(path):
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (pip install mypy)")
    return subprocess.run([sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir",
                           "/dev/null", "--ignore-missing-imports", "--follow-imports=silent",
                           "--python-version", "%d.%d" % sys.version_info[:2], str(path)],
                          capture_output=True, text=True, timeout=600)


def test_a_type_checker_sees_the_public_signatures():
    done = mypy(DATA / "typed_usage.py")
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_type_checker_reports_wrong_calls():
    done = mypy(DATA / "typed_misuse.py")
    assert done.returncode == 1, done.stdout + done.stderr
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 3, done.stdout
