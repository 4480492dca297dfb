"""What a kernel family declares, so that nothing else keeps a list of kernels.

A family module (``nogilkit/kernels/<family>.py``) holds the validated public
function(s), their pure-Python reference, their NumPy twin and the family's
workload for the comparison engine, and ends with a ``FAMILY``: from it,
``nogilkit.reference`` and ``nogilkit.vectorized`` gather the references and
twins, ``nogilkit.workloads`` the workload, and the asv suite its benchmarks.
"""

from dataclasses import dataclass, field
from typing import Callable

from .._workload import Workload


@dataclass(frozen=True)
class Benchmark:
    """A public kernel called at a fixed size, as the asv suite times it.

    Attributes
    ----------
    name : str
        The kernel's name; asv's method is ``time_<name>``.
    group : str
        asv's class. Benchmarks keep their class and method names, so that a
        benchmark's history goes on across commits.
    prepare : callable
        ``prepare(threads)`` makes the inputs (seeded, untimed) and returns a
        function of no arguments that calls the kernel on them with
        ``threads`` (None for a kernel that takes no ``threads=``).
    threaded : bool
        Whether the kernel takes ``threads=`` (then it is timed on 1, 2 and
        every core).
    peakmem : bool
        Whether asv also records the call's peak memory (``peakmem_<name>``).
    """

    name: str
    group: str
    prepare: Callable
    threaded: bool = True
    peakmem: bool = False


@dataclass(frozen=True)
class Family:
    """One kernel family: its public kernels and everything declared beside them."""

    name: str
    kernels: tuple  # the public functions
    workload: Workload
    references: dict  # name -> pure-Python function, for nogilkit.reference
    numpy: dict = field(default_factory=dict)  # name -> NumPy function, for nogilkit.vectorized
    benchmarks: tuple = ()
