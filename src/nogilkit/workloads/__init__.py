"""The comparison engine's workloads: one module per kernel family."""

from .base import IMPLEMENTATIONS, CheckFailed, Problem, Unavailable, Workload
from .histogram import Histogram
from .io import IO
from .kmeans import KMeans
from .mandelbrot import Mandelbrot
from .nbody import NBody
from .spectral_norm import SpectralNorm
from .total import Total

WORKLOADS = {w.name: w for w in (Mandelbrot(), SpectralNorm(), NBody(), KMeans(), Histogram(),
                                        Total(), IO())}


def get_workload(name):
    try:
        return WORKLOADS[name]
    except KeyError:
        raise ValueError(
            f"unknown workload {name!r}; valid workloads: {', '.join(WORKLOADS)}"
        ) from None


__all__ = ["IMPLEMENTATIONS", "WORKLOADS", "CheckFailed", "Problem", "Unavailable",
           "Workload", "get_workload"]
