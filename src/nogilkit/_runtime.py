"""Facts about the runtime, in one low module that everything may import.

What this machine, interpreter and build offer: the CPUs this process may
use, whether the GIL is on, the process start methods, how native thread
pools are pinned, which optional packages are installed, and how the
compiled kernels were built. ``nogilkit info`` prints ``system_info()``.
"""

import contextlib
import importlib.util
import os
import platform
import sys
import sysconfig

from . import _simd
from ._ext._buildinfo import build_info
from ._version import __version__

__all__ = [
    "START_METHODS", "THREAD_LIMIT_VARIABLES", "add_note", "available_cpus",
    "available_start_methods", "build_info", "cpu_model", "default_start_method",
    "format_info", "free_threaded_build", "gil_enabled", "missing", "native_pools_limited",
    "openmp_enabled", "start_method_unavailable", "system_info",
]


# -- CPUs ------------------------------------------------------------------------------


def available_cpus():
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "process_cpu_count"):  # Python >= 3.13
        return os.process_cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def cpu_model():
    """The CPU's model name, as the OS reports it."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# -- the GIL ---------------------------------------------------------------------------


def gil_enabled():
    """True if the GIL is enabled now (always True before free-threaded CPython)."""
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    return True if is_enabled is None else is_enabled()


def free_threaded_build():
    """True for a CPython built with --disable-gil (3.13t and later)."""
    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


# -- process start methods ---------------------------------------------------------------

START_METHODS = ("fork", "forkserver", "spawn")


def available_start_methods():
    """The start methods of START_METHODS this platform has, in that order."""
    import multiprocessing

    return [m for m in START_METHODS if m in multiprocessing.get_all_start_methods()]


def default_start_method():
    """forkserver (Python 3.14's default on Linux) avoids forking a process that
    already runs threads; spawn where it does not exist."""
    return "forkserver" if "forkserver" in available_start_methods() else "spawn"


def start_method_unavailable(method):
    """Why ``method`` cannot start processes here, or None."""
    if method not in available_start_methods():
        return (f"start method {method!r} is not available here "
                f"(available: {', '.join(available_start_methods())})")
    return None


def worker_importing_main():
    """The path of the main script when this process is a worker process (spawn,
    or the forkserver) that is running it as ``__mp_main__`` right now, else
    None: the script's top-level code called us without the main guard."""
    frame = sys._getframe(1)
    while frame is not None:
        if (frame.f_code.co_name == "<module>"
                and frame.f_globals.get("__name__") == "__mp_main__"):
            return frame.f_globals.get("__file__") or "(the main module)"
        frame = frame.f_back
    return None


# -- native thread pools -----------------------------------------------------------------

# Thread pools of native libraries (BLAS, OpenMP, numexpr) read these when
# they start; worker processes inherit them.
THREAD_LIMIT_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                          "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


@contextlib.contextmanager
def native_pools_limited(threads=1):
    """Limit BLAS/OpenMP pools to ``threads`` here (threadpoolctl, if installed) and
    in worker processes started meanwhile (environment variables); yields whether
    this process's own pools could be limited.

    So that a measurement's own workers are the only parallelism it measures:
    no NumPy matrix product running its own BLAS threads under a threads
    strategy.
    """
    saved = {name: os.environ.get(name) for name in THREAD_LIMIT_VARIABLES}
    os.environ.update({name: str(threads) for name in THREAD_LIMIT_VARIABLES})
    try:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            yield False
        else:
            with threadpool_limits(limits=threads):
                yield True
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# -- optional packages -------------------------------------------------------------------

# module -> (what it is, the extra that installs it)
OPTIONAL = {
    "numba": ("numba", "numba"),
    "distributed": ("dask distributed", "dask"),
    "matplotlib": ("matplotlib", "plot"),
}


def missing(module):
    """Why the optional ``module`` cannot be used here (naming the extra to
    install), or None when it is installed."""
    if importlib.util.find_spec(module) is None:
        what, extra = OPTIONAL[module]
        return f"{what} is not installed (pip install 'nogilkit[{extra}]')"
    return None


# -- this Python -------------------------------------------------------------------------


def add_note(exc, note):
    """``exc.add_note(note)``, or the note appended to its args before Python 3.11."""
    if hasattr(exc, "add_note"):
        exc.add_note(note)
    else:
        exc.args = (*exc.args, note) if exc.args else (note,)


# -- this build --------------------------------------------------------------------------


def openmp_enabled():
    """True if the compiled kernels were built with OpenMP."""
    return build_info()["openmp"]


def system_info():
    """Everything ``nogilkit info`` prints, as a flat dict."""
    build = build_info()
    return {
        "nogilkit": __version__,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "free_threaded_build": free_threaded_build(),
        "gil_enabled": gil_enabled(),
        "cython": build["cython_version"],
        "compiler": build["compiler"],
        "compile_args": build["compile_args"],
        "openmp": build["openmp"],
        "openmp_version": build["openmp_version"],
        "openmp_reason": build["openmp_reason"],
        "simd": " ".join(f"{kernel}={path}" for kernel, path in _simd.paths().items()),
        "simd_supported": " ".join(_simd.supported()),
        "cpu_count": os.cpu_count(),
        "available_cpus": available_cpus(),
        "machine": platform.machine(),
        "platform": platform.platform(),
    }


def format_info(info):
    width = max(map(len, info))
    return "\n".join(f"{key:<{width}}  {value}" for key, value in info.items())
