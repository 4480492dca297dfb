"""End to end: a kernel built without its nogil section fails the GIL-release
signal, and so the regression gate.

The variant is nogilkit's chunk skeleton (ext/_jobs.pyx, whose ``with nogil:``
every ChunkJob kernel runs in) compiled with NOGILKIT_HOLD_GIL defined, a
switch only this test sets: its ``with nogil:`` then keeps the GIL. It is
built the way setup.py builds the wheel (the same Cython directives and
compiler flags, read from setup.py), swapped into a copy of the installed
package, and measured by the benchmark the gate judges (bench_gil.held).
"""

import ast
import importlib
import json
import os
import pathlib
import shutil
import subprocess
import sys
import sysconfig

import pytest

import nogilkit

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXT = ROOT / "ext"
KERNELS = ("histogram", "mandelbrot")  # two families whose work is all in ChunkJob.work

pytestmark = [
    pytest.mark.skipif(not (EXT / "_jobs.pyx").exists(), reason="needs the source tree (ext/)"),
    pytest.mark.posix("builds with the Unix compiler's command line"),
    pytest.mark.skipif(not getattr(sys, "_is_gil_enabled", lambda: True)(),
                       reason="no GIL to hold on a free-threaded interpreter"),
]


def setup_constant(name):
    """A literal assigned at the top level of setup.py (it cannot be imported:
    importing it builds)."""
    tree = ast.parse((ROOT / "setup.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise LookupError(f"setup.py has no {name}")


def build_jobs_module(out_dir, *defines):
    """ext/_jobs.pyx compiled as nogilkit._ext._jobs into ``out_dir``."""
    pytest.importorskip("Cython", reason="Cython builds the variant")
    compiler = sysconfig.get_config_var("CC")
    if not compiler or shutil.which(compiler.split()[0]) is None:
        pytest.skip("no C compiler")
    c_file = out_dir / "_jobs.c"
    directives = ",".join(f"{k}={v}" for k, v in setup_constant("COMPILER_DIRECTIVES").items()
                          if k != "language_level")
    subprocess.run([sys.executable, "-m", "cython", "-3", "--module-name", "nogilkit._ext._jobs",
                    "-I", str(EXT), "--directive", directives, str(EXT / "_jobs.pyx"),
                    "-o", str(c_file)], check=True, capture_output=True, text=True)
    module = out_dir / ("_jobs" + sysconfig.get_config_var("EXT_SUFFIX"))
    # macOS links an extension without libpython: the interpreter provides its symbols.
    link = ["-undefined", "dynamic_lookup"] if sys.platform == "darwin" else []
    subprocess.run([*compiler.split(), "-shared", "-fPIC", *link,
                    *setup_constant("UNIX_COMPILE_ARGS"),
                    *(f"-D{d}" for d in defines), "-I", sysconfig.get_paths()["include"],
                    "-I", str(EXT), str(c_file), "-o", str(module)],
                   check=True, capture_output=True, text=True)
    return module


def package_with(tmp_path, jobs_module):
    """A copy of the installed nogilkit whose _ext._jobs is ``jobs_module``."""
    copy = tmp_path / "site"
    package = pathlib.Path(nogilkit.__file__).parent
    shutil.copytree(package, copy / "nogilkit")
    # A repaired wheel's bundled libraries (libgomp), which the modules find
    # beside the package (auditwheel's nogilkit.libs, delvewheel's nogilkit.libs).
    libs = package.parent / "nogilkit.libs"
    if libs.is_dir():
        shutil.copytree(libs, copy / "nogilkit.libs")
    (installed,) = (copy / "nogilkit" / "_ext").glob("_jobs.*")
    installed.unlink()
    shutil.copy(jobs_module, copy / "nogilkit" / "_ext" / jobs_module.name)
    return copy


MEASURE = """
import json, sys
sys.path.insert(0, {root!r})  # benchmarks/
from benchmarks.bench_gil import held
import nogilkit
from nogilkit.kernels import FAMILIES
shares = {{}}
for family in FAMILIES:
    for benchmark in family.benchmarks:
        if benchmark.name in {kernels!r}:
            shares[benchmark.name] = held(benchmark.prepare(1 if benchmark.threaded else None))
print(json.dumps({{"package": nogilkit.__file__, "shares": shares}}))
"""


def gil_shares(site):
    """bench_gil's figure for KERNELS, from the nogilkit package in ``site``."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE.format(root=str(ROOT), kernels=KERNELS)],
        env={**os.environ, "PYTHONPATH": str(site)}, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert pathlib.Path(result["package"]).is_relative_to(site)  # the copy ran, not the install
    return result["shares"]


@pytest.fixture(scope="module")
def gate():
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module("benchmarks.gate")


def test_a_kernel_built_without_nogil_fails_the_gil_signal_and_the_gate(tmp_path, gate):
    shares = {}
    for name, defines in (("released", ()), ("held", ("NOGILKIT_HOLD_GIL",))):
        build = tmp_path / name
        build.mkdir()
        shares[name] = gil_shares(package_with(build, build_jobs_module(build, *defines)))

    for kernel in KERNELS:
        assert shares["released"][kernel] < gate.GIL_HOLDS, (kernel, shares)
        assert shares["held"][kernel] > 0.75, (kernel, shares)

    def results(values):
        return {(f"bench_gil.GilHeld.track_{k}", ()): v for k, v in values.items()}

    rows = gate.compare(results(shares["released"]), results(shares["held"]), 1.5)
    assert sorted(r[0] for r in rows if r[5]) == sorted(
        f"bench_gil.GilHeld.track_{k}" for k in KERNELS)
