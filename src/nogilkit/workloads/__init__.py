"""Every workload the comparison engine runs: each kernel family's, and ``io``.

A workload made at run time (a user's function, ``workloads/function.py``)
is not registered: tasks carry it whole.
"""

from .._workload import IMPLEMENTATIONS, CheckFailed, Problem, Unavailable, Workload
from ..kernels import FAMILIES
from .io import IO

WORKLOADS = {w.name: w for w in (*(family.workload for family in FAMILIES), IO())}


def get_workload(name):
    try:
        return WORKLOADS[name]
    except KeyError:
        raise ValueError(
            f"unknown workload {name!r}; valid workloads: {', '.join(WORKLOADS)}"
        ) from None


__all__ = ["IMPLEMENTATIONS", "WORKLOADS", "CheckFailed", "Problem", "Unavailable",
           "Workload", "get_workload"]
