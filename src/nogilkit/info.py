"""What ``nogilkit info`` reports: this package, this interpreter, this build."""

import os
import platform
import sys
import sysconfig

from ._ext._buildinfo import build_info
from ._parallel import available_cpus
from ._version import __version__


def openmp_enabled():
    """True if the compiled kernels were built with OpenMP."""
    return build_info()["openmp"]


def gil_enabled():
    """True if the GIL is enabled now (always True before free-threaded CPython)."""
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    return True if is_enabled is None else is_enabled()


def system_info():
    """Everything ``nogilkit info`` prints, as a flat dict."""
    build = build_info()
    return {
        "nogilkit": __version__,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "free_threaded_build": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
        "gil_enabled": gil_enabled(),
        "cython": build["cython_version"],
        "compiler": build["compiler"],
        "compile_args": build["compile_args"],
        "openmp": build["openmp"],
        "openmp_version": build["openmp_version"],
        "openmp_reason": build["openmp_reason"],
        "cpu_count": os.cpu_count(),
        "available_cpus": available_cpus(),
        "machine": platform.machine(),
        "platform": platform.platform(),
    }


def format_info(info):
    width = max(map(len, info))
    return "\n".join(f"{key:<{width}}  {value}" for key, value in info.items())
