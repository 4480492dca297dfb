import json
import os
import shutil
import subprocess
import sys

import pytest

import nogilkit


def run(*args):
    return subprocess.run(args, capture_output=True, text=True, check=True, timeout=120)


def test_build_info_describes_this_build():
    info = nogilkit.build_info()
    assert info["cython_version"].split(".")[0] == "3"
    assert "-O3" in info["compile_args"] or "/O2" in info["compile_args"]
    assert info["openmp"] is nogilkit.openmp_enabled()
    if info["openmp"]:
        assert info["openmp_version"] >= 200805 and info["openmp_reason"] == "available"
    else:
        assert info["openmp_version"] is None and info["openmp_reason"] != "available"


def test_python_m_nogilkit_info_json():
    info = json.loads(run(sys.executable, "-m", "nogilkit", "info", "--json", "-").stdout)
    assert info["nogilkit"] == nogilkit.__version__
    assert info["python"] == ".".join(map(str, sys.version_info[:3]))
    assert info["available_cpus"] == nogilkit.available_cpus()
    assert info["openmp"] is nogilkit.openmp_enabled()
    assert isinstance(info["free_threaded_build"], bool)
    assert isinstance(info["gil_enabled"], bool)


def test_console_script_info_and_version():
    script = shutil.which("nogilkit", path=os.path.dirname(sys.executable))
    if script is None:
        pytest.skip("the nogilkit console script is not installed beside this interpreter")
    out = run(script, "info").stdout
    for key in ("nogilkit", "python", "cython", "compile_args", "openmp", "available_cpus"):
        assert key in out
    assert run(script, "--version").stdout.strip() == f"nogilkit {nogilkit.__version__}"


def test_import_is_light():
    # Extras must not be imported by `import nogilkit`.
    code = (
        "import sys, nogilkit; "
        "print(sorted(m for m in ('matplotlib', 'dask', 'numba', 'sklearn', 'asv', 'rich') "
        "if m in sys.modules))"
    )
    assert run(sys.executable, "-c", code).stdout.strip() == "[]"


def test_cli_without_command_fails_with_usage():
    result = subprocess.run(
        [sys.executable, "-m", "nogilkit"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and "usage" in result.stderr


def test_a_missing_numba_is_reported_with_the_extra_to_install(monkeypatch):
    import importlib.util

    from nogilkit.workloads import get_workload

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "numba" else real(name, *a))
    reason = get_workload("mandelbrot").unavailable("numba")
    assert "pip install 'nogilkit[numba]'" in reason
