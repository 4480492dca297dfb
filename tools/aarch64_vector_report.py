"""Which of the kernels' hot loops are vectorised for aarch64 (NEON), without an
aarch64 machine: compile ext/*.c with a cross-compiler and count, in each
kernel's baseline hot function (what gcc made of the plain loop) and in its
NEON path (ext/simd_*.h), the floating-point instructions that are NEON
vector ones (on .2d or .4s registers) against all of them.

    python tools/aarch64_vector_report.py [--cc aarch64-linux-gnu-gcc]

Needs the Cython output ext/*.c (a build from this checkout leaves it, e.g.
``pip install --no-build-isolation .``) and a cross gcc with its objdump
(Debian: ``apt-get install gcc-aarch64-linux-gnu``). The flags are those the
installed nogilkit was built with (OpenMP's left out: they decide nothing
here). This is a report for people, not a test.
"""

import argparse
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

from nogilkit._ext._buildinfo import build_info

ROOT = Path(__file__).resolve().parents[1]
# Each kernel's module, the hot function its chunks run on the baseline (as
# Cython names it) and its NEON path's function (None: it has none).
HOT = {
    "mandelbrot": ("mandelbrot", "mandelbrot_rows", "nk_mandel_row_neon"),
    "spectral_norm": ("spectral_norm", "product_rows", "nk_spectral_group_neon"),
    "kmeans": ("kmeans", "nearest_centres", "nk_kmeans_nearest_f"),
    "histogram": ("histogram", "HistogramJob_run_chunk", "nk_histogram_neon"),
    "total": ("stream", "TotalJob_run_chunk", "nk_block_sums_neon"),
    "triad": ("stream", "TriadJob_run_chunk", None),
    "nbody_direct": ("nbody_direct", "accelerations", "nk_nbody_group_neon"),
}
FLOAT_OP = re.compile(r"\t(fadd|fsub|fmul|fdiv|fsqrt|fcm\w+|fmax\w*|fmin\w*)\s")
VECTOR = re.compile(r"\bv\d+\.(2d|4s)\b")


def functions(objdump, obj):
    """{symbol: [instruction lines]} of an object file."""
    text = subprocess.run([objdump, "-d", "--no-show-raw-insn", str(obj)], check=True,
                          capture_output=True, text=True).stdout
    found = {}
    for block in re.split(r"\n(?=[0-9a-f]+ <)", text):
        head = re.match(r"[0-9a-f]+ <([^>]+)>:", block)
        if head:
            found[head.group(1)] = [line for line in block.splitlines()[1:] if "\t" in line]
    return found


def count(functions_of_module, name):
    """'V of N vector' for the floating-point instructions of the functions
    whose symbol contains name."""
    ops = [line for symbol, lines in functions_of_module.items() if name in symbol
           for line in lines if FLOAT_OP.search(line)]
    if not ops:
        sys.exit(f"no floating-point instructions in a function named like {name}")
    vector = sum(1 for line in ops if VECTOR.search(line))
    return f"{vector} of {len(ops)} vector" + (" (mostly scalar)" if vector * 2 < len(ops) else "")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cc", default="aarch64-linux-gnu-gcc", help="the cross-compiler")
    args = parser.parse_args()
    objdump = args.cc.replace("gcc", "objdump")
    for tool in (args.cc, objdump):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found (Debian: apt-get install gcc-aarch64-linux-gnu)")
    flags = [f for f in build_info()["compile_args"].split() if "openmp" not in f]
    include = sysconfig.get_paths()["include"]
    print(f"{args.cc} {' '.join(flags)}: floating-point instructions in each hot "
          "function, and how many are NEON vector ones")
    print(f"{'kernel':14s} {'baseline':32s} neon path")
    disassembled = {}  # module -> functions(): stream holds two kernels
    with tempfile.TemporaryDirectory() as tmp:
        for kernel, (module, hot, neon) in HOT.items():
            if module not in disassembled:
                source = ROOT / "ext" / f"{module}.c"
                if not source.exists():
                    sys.exit(f"{source} is missing: build nogilkit from this checkout first")
                obj = Path(tmp) / f"{module}.o"
                subprocess.run([args.cc, *flags, "-fPIC", "-fno-strict-aliasing", f"-I{include}",
                                f"-I{ROOT / 'ext'}", "-c", str(source), "-o", str(obj)], check=True)
                disassembled[module] = functions(objdump, obj)
            baseline = count(disassembled[module], hot)
            path = count(disassembled[module], neon) if neon else "none"
            print(f"{kernel:14s} {baseline:32s} {path}")


if __name__ == "__main__":
    main()
