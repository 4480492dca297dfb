"""Measure what docs/results.md reports, and write it.

    python tools/make_results.py [--quick] [--output docs/results.md] [--only NAME,...]

Runs each measurement below as a user runs it (the nogilkit command, or a
figure script of tools/), against the installed nogilkit, from the root of a
checkout, and writes one Markdown page: where it was measured (machine,
Python, build, commit, date), then for each measurement its command, how long
it took, its exit status and its output, verbatim. A measurement taken while
the machine was busy is marked inconclusive: busy as nogilkit's own
contention control saw it (the JSON's provenance, for the commands that write
one), or as a control sampled just before and just after it (for the rest).
A measurement whose requirements are missing (dask, scikit-learn, the
CPython builds of tools/build_cpython.sh) is listed as not run, with why.

--quick runs everything at its smallest size, to check the script: its
figures mean nothing. The default comparison's plot is written beside the
page (results-compare.png; docs/compare.png is a free run's, kept by hand).
Exit status 1 when a measurement failed, else 0. This is a benchmark script,
not a test.
"""

import argparse
import importlib.util
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from nogilkit._control import Control, busy, describe
from nogilkit._provenance import provenance
from nogilkit._runtime import available_cpus

ROOT = Path(__file__).resolve().parents[1]
CPYTHON_CACHE = Path(os.environ.get("NOGILKIT_CPYTHON_CACHE",
                                    Path.home() / ".cache" / "nogilkit-cpython"))
BUILT_PYTHONS = [CPYTHON_CACHE / build / "bin" / "python3" for build in ("gil", "nogil")]
COMPRESS_BLOCKS = ("blocks = [' '.join(str(i * k) for i in range(40_000)).encode() "
                   "for k in range(1, 33)]")
QUICK_BLOCKS = "blocks = [bytes(1000) * k for k in range(1, 5)]"


@dataclass
class Measurement:
    name: str       # for --only
    title: str
    doc: str        # the docs/ page that explains it
    full: list      # the command: "nogilkit" or "tools/x.py" first
    quick: list
    cwd: str = "."  # relative to the checkout
    json: bool = False  # the command takes --json PATH (a provenance with its control)
    needs: list = field(default_factory=list)  # modules, or absolute paths

    def command(self, quick):
        return self.quick if quick else self.full


def nogilkit(*args):
    return ["nogilkit", *args]


def compare(*args):
    """``nogilkit compare`` without its plot."""
    return nogilkit("compare", *args, "--no-plot")


# What every quick run of a built-in workload shortens.
TINY = ("--size", "tiny", "--repeats", "3")
PYTHONS = [arg for path in BUILT_PYTHONS for arg in ("--python", str(path))]


MEASUREMENTS = [
    Measurement("compare", "The default comparison", "compare.md",
                nogilkit("compare", "--plot", "{output}/results-compare.png"),
                nogilkit("compare", *TINY, "--workers", "1,2",
                         "--plot", "{output}/results-compare.png"),
                json=True, needs=["matplotlib"]),
    Measurement("io", "Waiting: HTTP requests on loopback", "mechanisms.md",
                compare("--workloads", "io", "--implementations", "python",
                        "--strategies", "serial,threads,processes,asyncio,threads+loop"),
                compare("--workloads", "io", "--implementations", "python",
                        "--strategies", "serial,threads,asyncio", "--workers", "2", *TINY),
                json=True),
    Measurement("mixed", "A service under CPU load", "mechanisms.md",
                nogilkit("mixed"), nogilkit("mixed", "--duration", "0.3"), json=True),
    Measurement("counter", "Shared state: a counter", "mechanisms.md",
                nogilkit("demo", "counter"), nogilkit("demo", "counter", "--threads", "2"),
                json=True),
    Measurement("contention", "Shared state: one lock, more threads", "mechanisms.md",
                nogilkit("demo", "contention"),
                nogilkit("demo", "contention", "--threads", "1,2"), json=True),
    Measurement("overhead", "What the mechanisms cost", "mechanisms.md",
                nogilkit("overhead"),
                nogilkit("overhead", "--quick", "--start-methods", "fork",
                         "--max-payload", "4096"),
                json=True),
    *(Measurement(f"probe-{name}", f"probe: {what}", "your-function.md",
                  nogilkit("probe", *setup, statement, "--threads", "1,2"),
                  nogilkit("probe", *setup, statement, "--threads", "1,2", "--min-time", "0.02"),
                  json=True)
      for name, what, setup, statement in [
          ("python", "a pure-Python loop", [], "sum(i * i for i in range(20000))"),
          ("sleep", "a call that waits", ["-s", "import time"], "time.sleep(0.005)"),
          ("kernel", "a nogil kernel", ["-s", "import nogilkit"],
           "nogilkit.mandelbrot(400, 300, 256, threads=1)"),
          ("numpy", "a NumPy call (BLAS pinned)",
           ["-s", "import numpy as np; a = np.random.rand(500, 500)"], "np.linalg.inv(a)"),
      ]),
    Measurement("compress", "Your function: zlib (releases the GIL)", "your-function.md",
                compare("work:compress", "-s", COMPRESS_BLOCKS, "--items", "blocks"),
                compare("work:compress", "-s", QUICK_BLOCKS, "--items", "blocks",
                        "--strategies", "serial,threads", "--workers", "2", "--repeats", "3"),
                cwd="examples", json=True),
    Measurement("collatz", "Your function: pure Python (holds the GIL)", "your-function.md",
                compare("work:collatz_longest", "--items", "range(1, 80_001, 2000)"),
                compare("work:collatz_longest", "--items", "range(1, 9)",
                        "--strategies", "serial,processes", "--workers", "2", "--repeats", "3"),
                cwd="examples", json=True),
    Measurement("dask", "Dask: processes against threads", "dask.md",
                compare("--implementations", "python,cython", "--strategies",
                        "serial,threads,processes,dask,dask-threads", "--workers", "2"),
                compare("--implementations", "cython", "--strategies", "serial,dask",
                        "--workers", "2", *TINY),
                json=True, needs=["distributed"]),
    Measurement("dask-large", "Dask: the kernel at size large", "dask.md",
                compare("--implementations", "cython", "--strategies",
                        "serial,threads,dask,dask-threads", "--workers", "2", "--size", "large"),
                compare("--implementations", "cython", "--strategies", "serial,dask-threads",
                        "--workers", "2", *TINY),
                json=True, needs=["distributed"]),
    Measurement("pythons", "With and without the GIL: CPython built both ways",
                "free-threading.md",
                compare("--implementations", "python,cython", "--strategies", "serial,threads",
                        "--workers", "1,2", *PYTHONS),
                compare("--implementations", "cython", "--strategies", "serial,threads",
                        "--workers", "2", *TINY, *PYTHONS),
                json=True, needs=[str(path) for path in BUILT_PYTHONS]),
    Measurement("kernels", "The kernels against pure Python and NumPy", "kernels.md",
                ["tools/kernel_figures.py"], ["tools/kernel_figures.py", "--quick"]),
    Measurement("simd", "Vector instructions against the core's peak", "kernels.md",
                ["tools/simd_figures.py"], ["tools/simd_figures.py", "--quick"],
                needs=["sklearn"]),
    Measurement("kmeans", "kmeans against scikit-learn", "kernels.md",
                ["tools/kmeans_vs_sklearn.py"],
                ["tools/kmeans_vs_sklearn.py", "--points", "2000", "--iterations", "3",
                 "--repeats", "1"],
                needs=["sklearn"]),
    Measurement("histogram", "histogram against numpy.histogram", "kernels.md",
                ["tools/histogram_figures.py"],
                ["tools/histogram_figures.py", "--size", "100000", "--repeats", "5"]),
]


def missing(measurement):
    """What this measurement needs and this machine lacks, in words ('' if nothing)."""
    lacking = [need for need in measurement.needs
               if not (Path(need).exists() if Path(need).is_absolute()
                       else importlib.util.find_spec(need) is not None)]
    return ", ".join(lacking)


def quote(arg):
    """``arg`` quoted for a shell: in double quotes where it holds a single
    quote and nothing that double quotes would expand or end ("$`\\!)."""
    quoted = shlex.quote(arg)
    if quoted != arg and "'" in arg and not any(c in arg for c in '"$`\\!'):
        return f'"{arg}"'
    return quoted


def control_sample():
    control = Control(available_cpus())
    control.sample()
    return control


def run(measurement, quick, output, timeout):
    """One measurement: a dict of what the page shows about it."""
    cwd = ROOT / measurement.cwd
    shown = [arg.format(output=os.path.relpath(output, cwd))
             for arg in measurement.command(quick)]
    if shown[0] == "nogilkit":
        argv = [sys.executable, "-m", "nogilkit", *shown[1:]]
    else:
        argv = [sys.executable, str(ROOT / shown[0]), *shown[1:]]
        shown = ["python", *shown]
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch, "report.json")
        if measurement.json:
            argv += ["--json", str(report)]
        control = control_sample()
        start = time.perf_counter()
        try:
            done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True,
                                  timeout=timeout)
            # Where the JSON went is this script's business, not the reader's.
            status, text = done.returncode, (done.stdout + done.stderr).replace(
                f"wrote {report}\n", "")
        except subprocess.TimeoutExpired as exc:
            # On POSIX, run() leaves the output read so far undecoded.
            partial = exc.stdout.decode(errors="replace") if exc.stdout else ""
            status, text = None, f"{partial}\nstopped after {timeout:.0f} s"
        seconds = time.perf_counter() - start
        control.sample()
        summary = control.summary()
        if report.exists():
            summary = json.loads(report.read_text())["provenance"]["control"] or summary
    command = " ".join(quote(arg) for arg in shown)
    if measurement.cwd != ".":
        command = f"cd {measurement.cwd} && {command}"
    return {"measurement": measurement, "command": command, "status": status,
            "seconds": seconds, "output": text.rstrip("\n"), "control": summary}


def where(quick):
    """The page's header lines: what was measured on, and when."""
    p = provenance()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip() or "unknown"
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    quota = p["cgroup_cpu_quota"]
    return [
        f"- date: {p['created_utc']}",
        f"- commit: {commit}" + (" with uncommitted changes" if dirty else ""),
        (f"- machine: {p['cpu_model']}, {p['cpu_count']} logical CPUs, "
         f"{p['available_cpus']} available to this process"
         + (f", a CPU quota of {quota}" if quota else "")),
        f"- system: {p['platform']}; load average {p['load_average']} at the start",
        (f"- Python {p['python']} ({p['implementation']}, GIL "
         f"{'on' if p['gil_enabled'] else 'off'}); nogilkit {p['nogilkit']}, numpy {p['numpy']}"),
        f"- build: {p['compiler']}, {' '.join(p['compile_args'])}, OpenMP "
        f"{'on' if p['openmp'] else 'off'}; vector paths "
        + ", ".join(f"{kernel}={path}" for kernel, path in sorted(p["simd"].items())),
        f"- mode: {'--quick (smoke sizes: the figures mean nothing)' if quick else 'full'}",
    ]


def verdict(result):
    if result["status"] is None:
        return "**FAILED**: it did not finish in time."
    if result["status"] != 0:
        return f"**FAILED** (exit status {result['status']})."
    if busy(result["control"]):
        return (f"**Inconclusive: the machine was busy** ({describe(result['control'])}); "
                "its speedups are lower bounds and its times upper bounds, not findings.")
    return f"The machine was free enough ({describe(result['control'])})."


def page(header, results, skipped):
    lines = ["# Measured results", "",
             "Generated by `python tools/make_results.py`; do not edit by hand. Each block",
             "is a command's output, verbatim; [the docs](../README.md#more) explain the",
             "columns and the readings. The machine is shared: rerun it on yours.", "",
             *header, ""]
    for result in results:
        m = result["measurement"]
        lines += [f"## {m.title}", "",
                  (f"`{result['command']}` ({result['seconds']:.0f} s; explained in "
                   f"[{m.doc}]({m.doc})). {verdict(result)}"), "",
                  "```", result["output"], "```", ""]
        if m.name == "compare" and result["status"] == 0:
            lines += ["![speedup against workers](results-compare.png)", ""]
    if skipped:
        lines += ["## Not run here", ""]
        lines += [f"- {m.title} (`{m.name}`): needs {why.replace(str(Path.home()), '~')}"
                  for m, why in skipped]
        lines.append("")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smallest sizes, to check the script (the figures mean nothing)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "results.md",
                        help="the page to write (default docs/results.md)")
    parser.add_argument("--only", metavar="NAME,...",
                        help="these measurements only: " + ", ".join(m.name for m in MEASUREMENTS))
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds per measurement (default 1800, 300 with --quick)")
    args = parser.parse_args(argv)
    chosen = MEASUREMENTS
    if args.only:
        names = [name.strip() for name in args.only.split(",") if name.strip()]
        known = {m.name: m for m in MEASUREMENTS}
        unknown = [name for name in names if name not in known]
        if unknown:
            parser.error(f"--only: unknown measurement(s) {', '.join(unknown)}; "
                         f"expected some of {', '.join(known)}")
        chosen = [known[name] for name in names]
    if not args.output.parent.is_dir():
        parser.error(f"--output: the folder {args.output.parent} does not exist")
    timeout = args.timeout or (300.0 if args.quick else 1800.0)

    header = where(args.quick)
    results, skipped = [], []
    for number, measurement in enumerate(chosen, 1):
        why = missing(measurement)
        if why:
            skipped.append((measurement, why))
            print(f"[{number}/{len(chosen)}] {measurement.name}: not run, needs {why}",
                  file=sys.stderr)
            continue
        result = run(measurement, args.quick, args.output.parent, timeout)
        results.append(result)
        print(f"[{number}/{len(chosen)}] {measurement.name}: {result['seconds']:.0f} s. "
              + verdict(result).replace("**", ""), file=sys.stderr)
    args.output.write_text(page(header, results, skipped), encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)
    return 1 if any(result["status"] != 0 for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
