"""Instructions per kernel call, counted by Valgrind: a single-thread cost that
noise cannot move.

A wall time on a shared machine varies by 10% and more between runs of one
commit; the number of instructions a kernel executes does not (two runs
agree to the instruction). Each public kernel is called once, on one
thread, at the size bench_kernels times it, under ``valgrind
--tool=callgrind``, collecting only inside the compiled kernels' own code
(each job's ``run_chunk``, and the five-body ``advance_bodies``), so Python's
start-up and the argument checks do not count. Valgrind's CPU has AVX2 but
no AVX-512, so the vectorised kernels run their AVX2 path there;
``InstructionsBaseline`` counts them again on their baseline path
(nogilkit._simd, NOGILKIT_SIMD=baseline), which other CPUs run (the gate
leaves it out: ``Instructions`` already sees every kernel, and this doubles
the Valgrind runs). The gate judges these at a
tight factor and the wall times at a loose one, as CodSpeed-style CI
benchmarking does. Skipped where Valgrind is not installed (it comes from
the distribution's packages: ``apt-get install valgrind``).
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

from nogilkit import _simd
from nogilkit.kernels import FAMILIES

from .common import skip

VALGRIND = shutil.which("valgrind")
# the compiled kernels' own functions (Cython numbers the five-body wrapper: any number)
COLLECT = ("*_run_chunk", "*_5nbody_*advance_bodies")
CALL = """
import sys
from nogilkit import _simd
from nogilkit.kernels import FAMILIES
name, path = sys.argv[1:]
if path and _simd.paths()[name] != path:
    sys.exit(f"{name} runs {_simd.paths()[name]} under Valgrind, not {path}")
benchmark = next(b for f in FAMILIES for b in f.benchmarks if b.name == name)
benchmark.prepare(1 if benchmark.threaded else None)()
"""


def instructions(name, path=""):
    """Instructions the compiled code of kernel ``name`` executes in one call, on
    instruction-set ``path`` ("": the one nogilkit picks under Valgrind)."""
    env = dict(os.environ, NOGILKIT_SIMD=path) if path else None
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "callgrind.out")
        subprocess.run([VALGRIND, "--tool=callgrind", f"--callgrind-out-file={out}",
                        *(f"--toggle-collect={pattern}" for pattern in COLLECT),
                        sys.executable, "-c", CALL, name, path],
                       check=True, capture_output=True, timeout=600, env=env)
        with open(out) as f:
            found = re.search(r"^summary: (\d+)$", f.read(), re.MULTILINE)
    if found is None or int(found.group(1)) == 0:
        raise RuntimeError(f"callgrind counted no instruction in {name}'s compiled code "
                           f"(collecting {', '.join(COLLECT)})")
    return int(found.group(1))


class Instructions:
    """``track_<kernel>``: instructions per call (lower is better)."""

    rounds = 1  # the same count every time: once is enough
    timeout = 900

    def setup(self):
        if VALGRIND is None:
            raise NotImplementedError("valgrind is not installed")


def _track(name):
    def track(self):
        return instructions(name)

    track.unit = "instructions"
    return track


for _family in FAMILIES:
    for _benchmark in _family.benchmarks:
        setattr(Instructions, f"track_{_benchmark.name}", _track(_benchmark.name))


class InstructionsBaseline:
    """``track_<kernel>``: a vectorised kernel's instructions per call on its
    baseline path, the portable one (``Instructions`` counts the path
    Valgrind's CPU gets, AVX2)."""

    rounds = 1
    timeout = 900

    def setup(self):
        if VALGRIND is None:
            raise NotImplementedError("valgrind is not installed")


def _track_baseline(name):
    def track(self):
        return instructions(name, "baseline")

    track.unit = "instructions"
    return track


for _name in _simd.KERNELS:
    setattr(InstructionsBaseline, f"track_{_name}", _track_baseline(_name))
