"""What the NEON paths buy, counted without an Arm machine: the instructions
each kernel call executes on aarch64, baseline against neon, under qemu-user
emulation with an instruction-counting plugin. A count is not a time (a
divider or memory can bound a kernel whatever its instruction count), but
unlike a time under emulation it is a property of the code.

    tools/aarch64_emulated.sh setup && tools/aarch64_emulated.sh test
    python tools/aarch64_instruction_counts.py [--kernels mandelbrot,total]

Needs the arm64 root of tools/aarch64_emulated.sh with this checkout built in
it, qemu-user's qemu-aarch64 (Debian: apt-get install qemu-user; the static
one of qemu-user-static cannot load plugins) and gcc for the plugin. Each
count is one process's instructions with 5 calls less those with 1, over 4:
what Python does around the calls cancels, and what is left varies by a
few M instructions between runs (ASLR is off and the hash seed fixed).
"""

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(os.environ.get("NOGILKIT_ARM64_ROOT", "/var/tmp/nogilkit-arm64"))
# qemu 7.2's plugin API, version 1: a count of every instruction of every
# translated block, added each time the block runs.
PLUGIN = r"""
#include <stdint.h>
#include <stdio.h>
#include <string.h>
typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
typedef struct qemu_info_t qemu_info_t;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t,
                                           void (*)(qemu_plugin_id_t, struct qemu_plugin_tb *));
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *, enum qemu_plugin_op,
                                              void *, uint64_t);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t, void (*)(qemu_plugin_id_t, void *), void *);
__attribute__((visibility("default"))) int qemu_plugin_version = 1;
static uint64_t count;
static char out[4096];
static void translated(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
    (void)id;
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &count,
                                             qemu_plugin_tb_n_insns(tb));
}
static void done(qemu_plugin_id_t id, void *p) {
    (void)id, (void)p;
    FILE *f = fopen(out, "w");
    if (f) fprintf(f, "%llu\n", (unsigned long long)count), fclose(f);
}
__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv) {
    (void)info;
    for (int i = 0; i < argc; i++)
        if (strncmp(argv[i], "out=", 4) == 0) snprintf(out, sizeof out, "%s", argv[i] + 4);
    if (!out[0]) return -1;
    qemu_plugin_register_vcpu_tb_trans_cb(id, translated);
    qemu_plugin_register_atexit_cb(id, done, NULL);
    return 0;
}
"""
# The calls counted: big enough that the kernel's instructions are over 30 M
# a call, far above the noise.
WORK = {
    "mandelbrot": "400x200 pixels, 256 iterations",
    "spectral_norm": "n=1000, 2 iterations",
    "nbody_direct": "1024 bodies, 2 steps",
    "kmeans": "65536 x 16, k=8, 3 iterations",
    "histogram": "2**22 values, 100 bins",
    "total": "2**25 values",
}


def kernel_call(kernel, rng):
    """A call of ``kernel`` on the work WORK names, one thread."""
    import numpy as np

    import nogilkit

    if kernel == "mandelbrot":
        return lambda: nogilkit.mandelbrot(400, 200, 256, threads=1)
    if kernel == "spectral_norm":
        return lambda: nogilkit.spectral_norm(1000, 2, threads=1)
    if kernel == "nbody_direct":
        positions, velocities = rng.standard_normal((1024, 3)), np.zeros((1024, 3))
        masses = rng.random(1024) + 0.5
        return lambda: nogilkit.nbody_direct(positions, velocities, masses, 2, dt=0.01,
                                             softening=0.01, threads=1)
    if kernel == "kmeans":
        points = rng.standard_normal((65536, 16))
        return lambda: nogilkit.kmeans(points, 8, max_iter=3, threads=1)
    if kernel == "histogram":
        values = rng.random(1 << 22)
        return lambda: nogilkit.histogram(values, 100, (0.0, 1.0), threads=1)
    values = rng.random(1 << 25)
    return lambda: nogilkit.total(values, threads=1)


def call_kernel(kernel, path, calls):
    """In the emulated Python: ``calls`` calls of ``kernel`` on ``path``."""
    import numpy as np

    from nogilkit import _simd

    _simd.use(path)
    if _simd.paths()[kernel] != path:
        sys.exit(f"{kernel} has no {path} path here: {_simd.paths()}")
    call = kernel_call(kernel, np.random.default_rng(1))
    for _ in range(calls):
        call()


def instructions(qemu, plugin, python, site, kernel, path, calls):
    with tempfile.NamedTemporaryFile("r") as out:
        env = dict(os.environ, PYTHONPATH=site, PYTHONHASHSEED="0")
        subprocess.run(["setarch", "-R", qemu, "-L", str(ROOT), "-plugin", f"{plugin},out={out.name}",
                        str(python), __file__, "--call", kernel, path, str(calls)],
                       env=env, check=True)
        return int(out.read())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernels", default=",".join(WORK), help="comma-separated, of " + ", ".join(WORK))
    parser.add_argument("--call", nargs=3, help=argparse.SUPPRESS)  # the emulated side
    args = parser.parse_args()
    if args.call:
        kernel, path, calls = args.call
        return call_kernel(kernel, path, int(calls))
    kernels = args.kernels.split(",")
    unknown = set(kernels) - set(WORK)
    if unknown:
        parser.error(f"--kernels: unknown {', '.join(sorted(unknown))}; known: {', '.join(WORK)}")
    qemu = "/usr/bin/qemu-aarch64"
    if not os.access(qemu, os.X_OK) or shutil.which("gcc") is None:
        sys.exit("needs qemu-user's /usr/bin/qemu-aarch64 and gcc (apt-get install qemu-user gcc)")
    python = ROOT / "usr/bin/python3"
    sites = glob.glob(str(ROOT / "opt/venv/lib/python3.*/site-packages"))
    if not python.exists() or not sites or not glob.glob(os.path.join(sites[0], "nogilkit")):
        sys.exit(f"no arm64 root with nogilkit at {ROOT}: run tools/aarch64_emulated.sh setup, then test")
    with tempfile.TemporaryDirectory() as tmp:
        plugin = Path(tmp) / "libcount.so"
        (Path(tmp) / "count.c").write_text(PLUGIN)
        subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-o", str(plugin), str(Path(tmp) / "count.c")],
                       check=True)
        print("instructions per call on aarch64 (qemu-user, one thread; 5 calls less 1, over 4)")
        print(f"{'kernel':14s} {'work':32s} {'baseline':>12s} {'neon':>12s}  baseline/neon")
        for kernel in kernels:
            per_call = {}
            for path in ("baseline", "neon"):
                one, five = (instructions(qemu, plugin, python, sites[0], kernel, path, calls)
                             for calls in (1, 5))
                per_call[path] = (five - one) / 4
            print(f"{kernel:14s} {WORK[kernel]:32s} {per_call['baseline'] / 1e6:10.1f} M "
                  f"{per_call['neon'] / 1e6:10.1f} M  {per_call['baseline'] / per_call['neon']:.2f}x",
                  flush=True)


if __name__ == "__main__":
    main()
