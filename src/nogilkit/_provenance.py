"""Where a saved result came from: the ``provenance`` block of every JSON.

A timing read months later, or beside one from another machine, means
nothing without the machine, the build and the load it was measured under.
The keys and their types are listed in ``SCHEMA`` (and in docs/saved-results.md), and
``SCHEMA_VERSION`` changes whenever a key changes meaning or goes away.
"""

import datetime
import os
import platform

from . import _simd
from ._runtime import (THREAD_LIMIT_VARIABLES, available_cpus, cgroup_cpu_quota, cpu_model,
                       system_info)

SCHEMA_VERSION = 1

# Variables that set how many threads native code, or Python itself, runs.
THREAD_VARIABLES = (*THREAD_LIMIT_VARIABLES, "PYTHON_GIL", "PYTHON_CPU_COUNT")

# key -> (type or tuple of types, what it is); None means the value may be null.
SCHEMA = {
    "schema_version": (int, "this layout's version (SCHEMA_VERSION)"),
    "created_utc": (str, "when the result was made, ISO 8601, UTC"),
    "nogilkit": (str, "nogilkit's version"),
    "python": (str, "Python's version"),
    "implementation": (str, "CPython, PyPy..."),
    "numpy": (str, "numpy's version"),
    "cython": ((str, type(None)), "the Cython that compiled the kernels"),
    "compiler": ((str, type(None)), "the C compiler of the build"),
    "compile_args": (list, "the build's compiler flags"),
    "openmp": (bool, "whether the kernels were built with OpenMP"),
    "simd": (dict, "the instruction set each vectorised kernel ran with "
                   "(baseline, avx2, avx512; baseline, neon on aarch64)"),
    "free_threaded_build": (bool, "a CPython built with --disable-gil"),
    "gil_enabled": (bool, "whether the GIL was on while measuring"),
    "platform": (str, "the OS, as platform.platform() says"),
    "machine": (str, "the CPU architecture"),
    "cpu_model": (str, "the CPU's model name"),
    "cpu_count": (int, "logical CPUs in the machine"),
    "available_cpus": (int, "CPUs this process may use"),
    "affinity": ((list, type(None)), "the CPUs this process may run on (null: the OS does not say)"),
    "cgroup_cpu_quota": ((float, type(None)), "the container's CPU limit in cores (null: none)"),
    "thread_variables": (dict, "thread-count environment variables as set (null: unset)"),
    "load_average": ((list, type(None)), "1, 5 and 15-minute load averages when the result was made"),
    "control": ((dict, type(None)), "the contention control: cores requested, available (median), "
                                    "whether enough for scaling conclusions, its samples, the "
                                    "load average before and after (null: not measured)"),
}


def provenance(control=None):
    """The provenance block: SCHEMA's keys, ``control`` a Control's summary (or None)."""
    import numpy

    info = system_info()
    try:
        affinity = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        affinity = None
    try:
        loads = [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        loads = None
    return {
        "schema_version": SCHEMA_VERSION,
        "created_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "nogilkit": info["nogilkit"],
        "python": info["python"],
        "implementation": info["implementation"],
        "numpy": numpy.__version__,
        "cython": info["cython"],
        "compiler": info["compiler"],
        "compile_args": (info["compile_args"] or "").split(),
        "openmp": bool(info["openmp"]),
        "simd": _simd.paths(),
        "free_threaded_build": info["free_threaded_build"],
        "gil_enabled": info["gil_enabled"],
        "platform": info["platform"],
        "machine": platform.machine(),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count() or 1,
        "available_cpus": available_cpus(),
        "affinity": affinity,
        "cgroup_cpu_quota": cgroup_cpu_quota(),
        "thread_variables": {name: os.environ.get(name) for name in THREAD_VARIABLES},
        "load_average": loads,
        "control": control.summary() if control is not None else None,
    }


def check(data):
    """The problems (a list of strings, empty when none) of a provenance block."""
    problems = []
    for key, (types, _) in SCHEMA.items():
        if key not in data:
            problems.append(f"missing {key}")
        elif not isinstance(data[key], types) or isinstance(data[key], bool) and types is int:
            problems.append(f"{key}: {type(data[key]).__name__}")
    return problems


__all__ = ["SCHEMA", "SCHEMA_VERSION", "cgroup_cpu_quota", "check", "provenance"]
