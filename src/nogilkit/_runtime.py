"""Facts about the runtime, in one low module that everything may import.

What this machine, interpreter and build offer: the CPUs this process may
use and how many threads a kernel runs by default, whether the GIL is on, the process start methods, how native thread
pools are pinned, which optional packages are installed, and how the
compiled kernels were built. ``nogilkit info`` prints ``system_info()``.
"""

import contextlib
import importlib.util
import math
import os
import platform
import sys
import sysconfig
import time

from . import _simd
from ._ext import nogilkit_threads
from ._ext._buildinfo import build_info
from ._version import __version__

__all__ = [
    "START_METHODS", "THREAD_LIMIT_VARIABLES", "add_note", "available_cpus",
    "available_start_methods", "build_info", "cgroup_cpu_quota", "cpu_model",
    "default_start_method", "default_threads", "format_info", "free_threaded_build",
    "gil_enabled", "missing", "native_pools_limited", "omp_num_threads", "openmp_enabled",
    "register_threadpoolctl", "start_method_unavailable", "system_info", "thread_limits",
]


# -- CPUs ------------------------------------------------------------------------------


def available_cpus():
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "process_cpu_count"):  # Python >= 3.13
        return os.process_cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def cgroup_cpu_quota():
    """The CPU limit of this process's cgroup in cores (cgroup v2 ``cpu.max`` or v1
    ``cfs_quota_us / cfs_period_us``), or None where there is none."""
    try:
        with open("/proc/self/cgroup") as f:
            paths = [line.rstrip("\n").split(":", 2)[2] for line in f if line.startswith("0::")]
    except (OSError, IndexError):
        paths = []
    candidates = [os.path.join("/sys/fs/cgroup", p.lstrip("/"), "cpu.max") for p in paths]
    candidates.append("/sys/fs/cgroup/cpu.max")
    for path in candidates:
        try:
            with open(path) as f:
                quota, period = f.read().split()[:2]
        except (OSError, ValueError):
            continue
        return None if quota == "max" else int(quota) / int(period)
    try:
        with open("/sys/fs/cgroup/cpu/cpu.cfs_quota_us") as f:
            quota = int(f.read())
        with open("/sys/fs/cgroup/cpu/cpu.cfs_period_us") as f:
            period = int(f.read())
    except (OSError, ValueError):
        return None
    return None if quota <= 0 else quota / period


def omp_num_threads():
    """``OMP_NUM_THREADS`` as a thread count (its first value, as OpenMP reads a
    list such as ``4,2``), or None when it is unset or not a positive integer."""
    value = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    try:
        n = int(value)
    except ValueError:
        return None
    return n if n >= 1 else None


# The cgroup quota takes several file reads (about 50 µs): read at most this often.
QUOTA_SECONDS = 1.0
_quota_read = (-math.inf, None)  # (time.monotonic() of the read, quota)


def _recent_cgroup_cpu_quota():
    global _quota_read
    now = time.monotonic()
    read_at, quota = _quota_read
    if now - read_at >= QUOTA_SECONDS:
        quota = cgroup_cpu_quota()
        _quota_read = (now, quota)
    return quota


def thread_limits():
    """Every limit on a kernel's default thread count, read now (the cgroup quota
    at most QUOTA_SECONDS ago): {source: threads, or None for no limit}.
    ``default_threads()`` is the smallest."""
    quota = _recent_cgroup_cpu_quota()
    return {
        "available_cpus": available_cpus(),
        "cgroup_cpu_quota": None if quota is None else max(1, math.ceil(quota)),
        "OMP_NUM_THREADS": omp_num_threads(),
        "threadpoolctl": nogilkit_threads.thread_limit() or None,
    }


def default_threads():
    """The threads a kernel runs on for ``threads=None``, counted as scikit-learn
    counts its OpenMP threads: the CPUs this process may run on (affinity), at most
    the cgroup's CPU quota rounded up, ``OMP_NUM_THREADS`` and the limit
    ``threadpoolctl.threadpool_limits`` set (user_api "nogilkit", or none).
    Read at every call, so a limit set after import counts."""
    return max(1, min(n for n in thread_limits().values() if n is not None))


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
    """Limit BLAS/OpenMP pools and nogilkit's own to ``threads`` here (threadpoolctl)
    and in worker processes started meanwhile (environment variables); yields
    whether every pool threadpoolctl found in this process now runs at most
    ``threads`` threads (False without threadpoolctl).

    So that a measurement's own workers are the only parallelism it measures:
    no NumPy matrix product running its own BLAS threads, and no nogilkit kernel
    called with ``threads=None`` running its own pool, under a threads strategy.
    Pools already loaded (numpy imported by ``probe -s SETUP``) are reached by
    threadpoolctl; those loaded meanwhile read the environment variables.
    """
    saved = {name: os.environ.get(name) for name in THREAD_LIMIT_VARIABLES}
    os.environ.update({name: str(threads) for name in THREAD_LIMIT_VARIABLES})
    try:
        if not register_threadpoolctl():
            yield False
        else:
            from threadpoolctl import ThreadpoolController

            controller = ThreadpoolController()
            with controller.limit(limits=threads):
                yield all(lib.num_threads is not None and lib.num_threads <= threads
                          for lib in controller.lib_controllers)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# threadpoolctl's name for nogilkit's pool: threadpool_limits(n, user_api="nogilkit")
# caps it alone; threadpool_limits(n) caps it with every other pool.
THREADPOOLCTL_API = "nogilkit"
_registered_with = None  # the threadpoolctl module nogilkit's controller is registered in


def register_threadpoolctl():
    """Register nogilkit's pool with threadpoolctl (>= 3.1, if importable), once:
    ``threadpool_info()`` then lists it (user_api "nogilkit", with the threads a
    kernel would run on now) and ``threadpool_limits(n)`` caps ``default_threads()``
    to n. Returns whether threadpoolctl can control it."""
    global _registered_with
    try:
        import threadpoolctl
    except ImportError:
        return False
    if _registered_with is threadpoolctl:
        return True
    base = getattr(threadpoolctl, "LibController", None)
    register = getattr(threadpoolctl, "register", None)
    if base is None or register is None:  # threadpoolctl < 3.1
        return False

    class NogilkitController(base):
        """threadpoolctl's handle on nogilkit's pool: the exported C functions of
        nogilkit._ext.nogilkit_threads (the file threadpoolctl finds by its name)."""

        user_api = THREADPOOLCTL_API
        internal_api = "nogilkit"
        filename_prefixes = ("nogilkit_threads",)
        check_symbols = ("nogilkit_get_num_threads", "nogilkit_set_num_threads")

        def get_num_threads(self):
            # What threads=None means now: this library's cap and every other limit.
            return default_threads()

        def set_num_threads(self, num_threads):
            # A cap at or above every other limit caps nothing now: store none, so
            # that leaving threadpool_limits (which sets back what get_num_threads
            # said) leaves no cap behind.
            limits = thread_limits()
            others = [n for k, n in limits.items() if k != "threadpoolctl" and n is not None]
            num_threads = int(num_threads)
            self.dynlib.nogilkit_set_num_threads(0 if num_threads >= min(others) else num_threads)

        def get_version(self):
            return __version__

    register(NogilkitController)
    _registered_with = threadpoolctl
    return True


# -- optional packages -------------------------------------------------------------------

# module -> (what it is, the extra that installs it)
OPTIONAL = {
    "numba": ("numba", "numba"),
    "distributed": ("dask distributed", "dask"),
    "joblib": ("joblib", "joblib"),
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
        "default_threads": default_threads(),
        "thread_limits": " ".join(f"{k}={v}" for k, v in thread_limits().items()
                                  if v is not None),
        "machine": platform.machine(),
        "platform": platform.platform(),
    }


def format_info(info):
    width = max(map(len, info))
    return "\n".join(f"{key:<{width}}  {value}" for key, value in info.items())
