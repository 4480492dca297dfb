"""Build the compiled part of nogilkit: every ext/*.pyx becomes nogilkit._ext.<name>.

All metadata lives in pyproject.toml; this file only knows about compilers.
OpenMP is optional: it is used when the compiler can compile, link and run an
OpenMP program, and NOGILKIT_NO_OPENMP=1 turns it off. The decision, the flags
and the Cython version are compiled into nogilkit._ext._buildinfo so that the
installed package reports how it was really built.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from Cython import __version__ as cython_version
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).parent
EXT_DIR = "ext"

# One set of directives for every module (scikit-learn does the same).
COMPILER_DIRECTIVES = {
    "language_level": 3,
    "boundscheck": False,
    "wraparound": False,
    "initializedcheck": False,
    "cdivision": True,
    "freethreading_compatible": True,
}

# -ffp-contract=off: no fused multiply-add, so every kernel gives bit for bit
# the answer of the pure-Python and NumPy references on every architecture.
# -fno-math-errno: sqrt() need not set errno, so it can be vectorised; results
# are unchanged (errno is never read). -g0: CPython's own CFLAGS ask for debug
# information, which made the wheel about 4 MiB; users' wheels do not need it.
UNIX_COMPILE_ARGS = ["-O3", "-ffp-contract=off", "-fno-math-errno", "-g0"]
MSVC_COMPILE_ARGS = ["/O2", "/fp:precise"]

OPENMP_TEST_PROGRAM = r"""
#include <omp.h>
#include <stdio.h>
int main(void) {
    int n = 0;
    #pragma omp parallel reduction(+:n)
    n += 1;
    printf("%d\n", n);
    return n > 0 ? 0 : 1;
}
"""


def openmp_flags(compiler):
    """(compile_args, link_args, reason): OpenMP flags if an OpenMP program runs."""
    if os.environ.get("NOGILKIT_NO_OPENMP", "") not in ("", "0"):
        return [], [], "disabled by NOGILKIT_NO_OPENMP"
    if compiler.compiler_type == "msvc":
        compile_args, link_args = ["/openmp"], []
    elif sys.platform == "darwin":
        compile_args, link_args = ["-Xpreprocessor", "-fopenmp"], ["-lomp"]
    else:
        compile_args, link_args = ["-fopenmp"], ["-fopenmp"]
    tmp = tempfile.mkdtemp(prefix="nogilkit-openmp-")
    try:
        source = os.path.join(tmp, "openmp_check.c")
        with open(source, "w") as f:
            f.write(OPENMP_TEST_PROGRAM)
        objects = compiler.compile([source], output_dir=tmp, extra_postargs=compile_args)
        exe = os.path.join(tmp, "openmp_check")
        compiler.link_executable(objects, exe, extra_postargs=link_args)
        subprocess.run([exe], check=True, capture_output=True, timeout=60)
    except Exception as exc:  # any failure means: build without OpenMP
        return [], [], f"the compiler could not build and run an OpenMP program ({type(exc).__name__})"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return compile_args, link_args, "available"


def c_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class BuildExt(build_ext):
    def build_extensions(self):
        msvc = self.compiler.compiler_type == "msvc"
        compile_args = list(MSVC_COMPILE_ARGS if msvc else UNIX_COMPILE_ARGS)
        omp_compile, omp_link, omp_reason = openmp_flags(self.compiler)
        compile_args += omp_compile
        print(f"nogilkit: OpenMP {omp_reason}; compile args {compile_args}")
        for ext in self.extensions:
            ext.extra_compile_args = compile_args
            ext.extra_link_args = omp_link
            if ext.name.endswith("._buildinfo"):
                ext.define_macros += [
                    ("NOGILKIT_COMPILE_ARGS", c_string(" ".join(compile_args))),
                    ("NOGILKIT_OPENMP_REASON", c_string(omp_reason)),
                    ("NOGILKIT_CYTHON_VERSION", c_string(cython_version)),
                ]
        super().build_extensions()


# The C headers the modules include (the SIMD kernels): a change rebuilds them.
HEADERS = sorted(f"{EXT_DIR}/{h.name}" for h in (HERE / EXT_DIR).glob("*.h"))

extensions = [
    Extension(f"nogilkit._ext.{pyx.stem}", [f"{EXT_DIR}/{pyx.name}"], depends=HEADERS)
    for pyx in sorted((HERE / EXT_DIR).glob("*.pyx"))
]

setup(
    ext_modules=cythonize(
        extensions,
        compiler_directives=COMPILER_DIRECTIVES,
        include_path=[EXT_DIR],
    ),
    cmdclass={"build_ext": BuildExt},
)
